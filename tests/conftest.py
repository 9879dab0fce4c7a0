"""The fixed cast of every test: one small country, partners in each role, a catalogue."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass

import pytest

from ewers.choices import Role, Sector
from ewers.models import Organisation, Region, User
from indicators.models import Indicator
from tests import factories

# Set by .ci/run (and by anyone who wants the real services locally).
HAS_REAL_SERVICES = bool(os.environ.get("REDIS_URL")) and os.environ.get("DATABASE_URL", "").startswith("postgres")
requires_real_services = pytest.mark.skipif(
    not HAS_REAL_SERVICES, reason="needs PostgreSQL and Redis: set DATABASE_URL and REDIS_URL"
)


@dataclass
class Cast:
    """Users in every role, each with an organisation whose share differs."""

    places: dict[str, Region]
    other_places: dict[str, Region]
    indicator: Indicator
    lab: Organisation
    police: Organisation
    cso: Organisation
    desk: Organisation
    analyst: User
    other_analyst: User
    police_user: User
    cso_user: User
    coordinator: User
    admin: User


@pytest.fixture(autouse=True)
def _limits_start_afresh() -> None:
    """Throttle counts, rate limits and used one-time codes live in the cache: each test
    starts with none (the suite's cache is in memory, config/settings_test.py)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def cast(db: None) -> Cast:
    places = factories.make_tree("T")
    other = factories.make_tree("U")
    tension = factories.make_theme("tension")
    weapons = factories.make_theme("weapons")
    lab = factories.make_organisation(code="lab", sector=Sector.ACADEMIA, coverage=[places["region"]])
    other_lab = factories.make_organisation(code="other-lab", sector=Sector.ACADEMIA, coverage=[other["region"]])
    police = factories.make_organisation(
        code="police", sector=Sector.POLICE, coverage=[places["country"], other["country"]], mandate=[weapons]
    )
    cso = factories.make_organisation(code="cso", sector=Sector.CSO, coverage=[places["c1"]], mandate=[tension])
    desk = factories.make_organisation(code="desk", sector=Sector.GOVERNMENT, coverage=[places["country"]])
    return Cast(
        places=places,
        other_places=other,
        indicator=factories.make_indicator("P01", theme=tension),
        lab=lab,
        police=police,
        cso=cso,
        desk=desk,
        analyst=factories.make_user("ana", lab, Role.ANALYST),
        other_analyst=factories.make_user("otto", other_lab, Role.ANALYST),
        police_user=factories.make_user("pol", police, Role.RESPONDER),
        cso_user=factories.make_user("cso", cso, Role.RESPONDER),
        coordinator=factories.make_user("coord", desk, Role.COORDINATOR),
        admin=factories.make_user("adm", desk, Role.ADMIN),
    )


@pytest.fixture(scope="session")
def celery_config():
    """The app of the tests that start a real worker (celery.contrib.pytest): Redis from
    REDIS_URL and a queue of this run's own, so no other worker on the machine takes its tasks."""
    return {
        "broker_url": os.environ.get("REDIS_URL", "memory://"),
        "result_backend": os.environ.get("REDIS_URL", "cache+memory://"),
        "task_default_queue": f"ewers-test-{uuid.uuid4().hex[:8]}",
        "task_acks_late": True,
        "broker_connection_retry_on_startup": True,
    }


@pytest.fixture(scope="module")
def browser():
    """Headless Debian Chromium for a module of browser tests (see tests/chromium.py)."""
    from tests.chromium import chromium

    yield from chromium()
