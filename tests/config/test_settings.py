"""Settings: production refuses an insecure start; a bad value is a loud error."""

from __future__ import annotations

import pytest

from tests.processes import run_django

SECURE = {
    "DEBUG": "false",
    "SECRET_KEY": "k3J9x-2QvLm8Rt7Ws1Yz0Pa4Nb6Cd5Ef9Gh8Ij7Kl6Mn5Op4Qr3St2Uv1Wx0Yz9",
    "FIELD_ENCRYPTION_SALT": "a-salt-only-this-deployment-knows",
    "ALLOWED_HOSTS": "ewers.example.org",
    "DATABASE_URL": "sqlite:///:memory:",
}


def test_it_starts_with_secure_production_settings():
    assert run_django(SECURE).returncode == 0


def test_production_settings_pass_the_deploy_check():
    result = run_django(SECURE, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("SECRET_KEY", "SECRET_KEY must be set"),
        ("FIELD_ENCRYPTION_SALT", "FIELD_ENCRYPTION_SALT must be set"),
        ("ALLOWED_HOSTS", "ALLOWED_HOSTS must name the hosts"),
    ],
)
def test_production_refuses_to_start_without(missing, message):
    env = {k: v for k, v in SECURE.items() if k != missing}
    result = run_django(env)
    assert result.returncode != 0
    assert message in result.stderr


def test_production_refuses_the_development_key():
    result = run_django(SECURE | {"SECRET_KEY": "django-insecure-" + "x" * 60})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_a_wildcard_host():
    result = run_django(SECURE | {"ALLOWED_HOSTS": "*"})
    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DEBUG", "maybe", "DEBUG must be one of"),
        ("EMAIL_PORT", "twenty-five", "EMAIL_PORT must be a whole number"),
        ("AXES_FAILURE_LIMIT", "0", "AXES_FAILURE_LIMIT must be at least 1"),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL must be"),
        ("DATABASE_URL", "not-a-url", "DATABASE_URL must be a database URL"),
        ("SECURE_HSTS_SECONDS", "0", "SECURE_HSTS_SECONDS must be at least 1"),
    ],
)
def test_a_bad_value_is_a_loud_error(name, value, message):
    result = run_django(SECURE | {name: value})
    assert result.returncode != 0
    assert message in result.stderr


def test_an_env_file_is_read_but_real_variables_win(tmp_path):
    env_file = tmp_path / "ewers.env"
    env_file.write_text("DEBUG=true\nLOG_LEVEL=WARNING\n")
    code = "import django; django.setup(); from django.conf import settings as s; print(s.DEBUG, s.LOG_LEVEL)"
    env = {"EWERS_ENV_FILE": str(env_file), "LOG_LEVEL": "ERROR", "DATABASE_URL": "sqlite:///:memory:"}
    result = run_django(env, code=code)
    assert result.stdout.split() == ["True", "ERROR"], result.stderr


def test_the_test_settings_cannot_be_switched_on_by_a_variable():
    # The production module has no test switch: the old flag changes nothing.
    result = run_django({"DEBUG": "false", "EWERS_TESTING": "true", "DATABASE_URL": "sqlite:///:memory:"})
    assert result.returncode != 0
    assert "Refusing to start" in result.stderr


def test_development_needs_no_configuration():
    result = run_django({"DEBUG": "true", "DATABASE_URL": "sqlite:///:memory:"})
    assert result.returncode == 0, result.stderr


def test_without_redis_tasks_run_in_process(settings):
    # The suite itself may run with REDIS_URL; check the rule on a fresh process.
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.CELERY_TASK_ALWAYS_EAGER, s.CELERY_BROKER_URL)"
    )
    env = {"DEBUG": "true", "DATABASE_URL": "sqlite:///:memory:"}
    assert run_django(env, code=code).stdout.split() == ["True", "memory://"]
    result = run_django(env | {"REDIS_URL": "redis://127.0.0.1:6379/9"}, code=code)
    assert result.stdout.split() == ["False", "redis://127.0.0.1:6379/9"]
