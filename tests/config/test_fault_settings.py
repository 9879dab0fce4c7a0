"""The timeouts of docs/operations.md come from the environment, with safe defaults and a
loud error for a combination that would run a message twice (issue 17)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "k3J9x-2QvLm8Rt7Ws1Yz0Pa4Nb6Cd5Ef9Gh8Ij7Kl6Mn5Op4Qr3St2Uv1Wx0Yz9",
    "FIELD_ENCRYPTION_SALT": "a-salt-only-this-deployment-knows",
    "ALLOWED_HOSTS": "ewers.example.org",
    "DATABASE_URL": "postgres://ewers:secret@db.example.org:5432/ewers",
    "REDIS_URL": "redis://redis.example.org:6379/0",
}
READ = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'db': s.DATABASES['default']['OPTIONS'], 'engine': s.DATABASES['default']['ENGINE'], "
    "'broker': s.CELERY_BROKER_TRANSPORT_OPTIONS, 'publish': s.CELERY_TASK_PUBLISH_RETRY_POLICY, "
    "'cache': s.CACHES['default']['OPTIONS'], 'health_checks': s.DATABASES['default']['CONN_HEALTH_CHECKS']}))"
)


def settings_of(**overrides: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG"}}
    env |= {"DJANGO_SETTINGS_MODULE": "config.settings", "EWERS_ENV_FILE": ""} | PRODUCTION | overrides
    return subprocess.run(
        [sys.executable, "-c", READ], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_every_wait_on_postgresql_and_redis_is_bounded_by_default():
    result = settings_of()
    assert result.returncode == 0, result.stderr
    read = json.loads(result.stdout)
    assert read["engine"] == "ewers.db.postgresql"  # fails fast during a partition
    assert read["health_checks"] is True
    assert read["db"] == {
        "connect_timeout": 5,
        "options": "-c statement_timeout=20000",
        "tcp_user_timeout": 10000,
        "keepalives": 1,
        "keepalives_idle": 3,
        "keepalives_interval": 2,
        "keepalives_count": 3,
    }
    assert read["broker"]["visibility_timeout"] == 360  # the task time limit (300 s) and a minute
    assert read["broker"]["unacked_restore_interval"] == 10
    assert (read["broker"]["socket_connect_timeout"], read["broker"]["socket_timeout"]) == (1.0, 5.0)
    assert read["publish"]["max_retries"] == 1 and read["publish"]["interval_start"] == 0
    assert read["cache"] == {"socket_connect_timeout": 1.0, "socket_timeout": 5.0}


def test_the_timeouts_follow_the_environment():
    result = settings_of(
        DATABASE_CONNECT_TIMEOUT="3",
        DATABASE_STATEMENT_TIMEOUT="0",
        CELERY_TASK_TIME_LIMIT="120",
        REDIS_CONNECT_TIMEOUT="0.5",
    )
    assert result.returncode == 0, result.stderr
    read = json.loads(result.stdout)
    assert read["db"]["connect_timeout"] == 3
    assert "options" not in read["db"]  # 0: no statement timeout (long migrations)
    assert read["broker"]["visibility_timeout"] == 180
    assert read["broker"]["socket_connect_timeout"] == 0.5


def test_a_visibility_timeout_within_the_task_time_limit_is_refused():
    # A message still being worked on would be handed to a second worker.
    result = settings_of(CELERY_VISIBILITY_TIMEOUT="300", CELERY_TASK_TIME_LIMIT="300")
    assert result.returncode != 0
    assert "CELERY_VISIBILITY_TIMEOUT must be longer than CELERY_TASK_TIME_LIMIT" in result.stderr


def test_a_malformed_timeout_is_a_loud_error():
    result = settings_of(DATABASE_CONNECT_TIMEOUT="soon")
    assert result.returncode != 0
    assert "DATABASE_CONNECT_TIMEOUT must be a whole number" in result.stderr


def test_the_web_server_runs_threaded_workers_from_its_config_file():
    # A request waiting on the database holds a thread, not the process: /healthz still answers.
    env = os.environ | {"GUNICORN_THREADS": "6", "XDG_RUNTIME_DIR": str(ROOT / "var")}
    command = [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "--print-config", "config.wsgi"]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    printed = {
        k.strip(): v.strip() for k, v in (line.split(" = ", 1) for line in result.stdout.splitlines() if " = " in line)
    }
    assert {k: printed[k] for k in ("worker_class", "threads", "timeout")} == {
        "worker_class": "gthread",
        "threads": "6",
        "timeout": "60",
    }
    compose = (ROOT / "docker-compose.yml").read_text()
    assert '"gunicorn", "--config", "gunicorn.conf.py"' in compose
    assert '"gunicorn", "--config", "gunicorn.conf.py"' in (ROOT / "Dockerfile").read_text()
