"""The fixed cast of every test: one small country, partners in each role, a catalogue;
and the helpers and fixtures the tests of several apps share."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.db import IntegrityError

from alerts.models import Alert, Assignment
from ewers.catalogues import catalogues_compile
from ewers.choices import Role, Sector
from ewers.models import Organisation, Region, User
from indicators.models import Indicator
from indicators.services import ReadingInput
from tests import factories

# The catalogues compiled as `make setup` does, for pytest run on its own (README "Languages").
catalogues_compile(settings.BASE_DIR / "locale", only_stale=True)

# Set by .ci/run (and by anyone who wants the real services locally).
HAS_REAL_SERVICES = bool(os.environ.get("REDIS_URL")) and os.environ.get("DATABASE_URL", "").startswith("postgres")
requires_real_services = pytest.mark.skipif(
    not HAS_REAL_SERVICES, reason="needs PostgreSQL and Redis: set DATABASE_URL and REDIS_URL"
)
# The bulk writers are PostgreSQL's (indicators.services.reports_write); other databases
# (SQLite, the embedded demo) save each report on its own, so their query counts grow.
bulk_writes_only = pytest.mark.skipif(
    not HAS_REAL_SERVICES, reason="the bulk writes are PostgreSQL's: set DATABASE_URL"
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


@pytest.fixture(autouse=True)
def _site_language() -> Iterator[None]:
    """Each test starts in the site's language: a request as a user who chose Malay leaves
    Malay active in the thread (as LocaleMiddleware leaves the browser's), and a later test
    of the same xdist worker would otherwise read its messages in Malay."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


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


# --- Shared by the tests of several apps ---------------------------------------


def raises_integrity():
    """Expect the database to refuse the write (inside a savepoint, so the test goes on)."""
    return pytest.raises(IntegrityError)


@pytest.fixture
def admin_client(cast, client):
    """The administrator role: staff, in the Administrators group, not a superuser."""
    assert cast.admin.is_staff and not cast.admin.is_superuser
    client.force_login(cast.admin)
    return client


@pytest.fixture
def superuser_client(cast, client):
    """A superuser who is also a coordinator of the desk (covers country T only)."""
    cast.coordinator.is_staff = cast.coordinator.is_superuser = True
    cast.coordinator.save()
    client.force_login(cast.coordinator)
    return client


@pytest.fixture
def strong(cast):
    """Three risk indicators, so one report can push a community well over the high band."""
    theme = cast.indicator.theme
    return [cast.indicator] + [factories.make_indicator(f"P0{n}", theme=theme, weight=1.5) for n in (2, 3)]


# --- A routed alert, as the response workflow's tests (alerts, audit) start from ---


NARRATIVE = "Posters threatening the other congregation near the well."
SOURCE = "SRC-SECRET-4711"


@pytest.fixture
def people(cast):
    """E-mail addresses for the CSO's responder and the coordinator."""
    for user, email in ((cast.cso_user, "cso@example.org"), (cast.coordinator, "coord@example.org")):
        user.email = email
        user.save(update_fields=["email"])
    return cast


def report(cast, indicators, value=4, community=None):
    return factories.make_report(
        cast.analyst,
        community or cast.places["c1"],
        indicators[0],
        readings=[ReadingInput(indicator=i, value=value) for i in indicators],
        source_reliability="A",
        information_credibility=1,
        narrative=NARRATIVE,
        source_reference=SOURCE,
    )


@pytest.fixture
def raised(people, strong, django_capture_on_commit_callbacks):
    """A high alert on c1 (tension), routed: the CSO's assignment."""
    with django_capture_on_commit_callbacks(execute=True):
        report(people, strong)
    alert = Alert.objects.get()
    return alert, Assignment.objects.get(alert=alert)
