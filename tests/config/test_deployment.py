"""The deployment files: one image for web, worker and beat beside PostgreSQL and Redis."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_compose_runs_the_full_stack_from_one_service_definition():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"postgres", "redis", "web", "worker", "beat"}
    app = [services[name] for name in ("web", "worker", "beat")]
    assert len({s["image"] for s in app}) == 1
    assert all(s["environment"]["DATABASE_URL"].startswith("postgres://") for s in app)
    assert all(s["environment"]["REDIS_URL"].startswith("redis://") for s in app)
    assert all(s["depends_on"]["postgres"]["condition"] == "service_healthy" for s in app)
    assert "gunicorn" in " ".join(services["web"]["command"])
    assert services["worker"]["command"][:4] == ["celery", "-A", "config", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "config", "beat"]
