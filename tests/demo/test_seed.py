"""The demo seed: the deployment the issue describes, the same data on every run."""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.test import override_settings
from django.utils import timezone
from shapely.geometry import shape

from alerts.choices import AlertEventKind, AlertState, AssignmentState
from alerts.models import Alert, AlertEvent, Assignment
from demo.partners import DEMO_PASSWORD
from demo.places import plan_places
from demo.reports import plan_reports
from demo.seed import SeedResult, seed_demo
from ewers.choices import RegionLevel, Role, Sector
from ewers.geojson import validate_boundary
from ewers.models import Organisation, Region, User
from indicators.choices import Category, Polarity
from indicators.models import FieldReport, Indicator

pytestmark = pytest.mark.django_db

DEMO_LOGINS = {
    "analyst": Role.ANALYST,
    "police": Role.RESPONDER,
    "agency": Role.RESPONDER,
    "cso": Role.RESPONDER,
    "coordinator": Role.COORDINATOR,
    "admin": Role.ADMIN,
}


def snapshot() -> str:
    """A digest of every seeded row that matters, excluding ids and password salts."""
    data = {
        "regions": list(
            Region.objects.order_by("code").values_list("code", "name", "level", "parent__code", "boundary")
        ),
        "organisations": [
            (
                o.code,
                o.name,
                o.sector,
                o.min_alert_level,
                sorted(o.coverage.values_list("code", flat=True)),
                sorted(o.mandate.values_list("code", flat=True)),
            )
            for o in Organisation.objects.order_by("code")
        ],
        "users": list(
            User.objects.order_by("username").values_list(
                "username", "organisation__code", "role", "is_staff", "is_superuser", "is_active"
            )
        ),
        "history": [FieldReport.history.count(), Organisation.history.count()],
        "indicators": list(
            Indicator.objects.order_by("code").values_list(
                "code", "category", "theme__code", "polarity", "weight", "threshold_high", "half_life_days", "version"
            )
        ),
        "reports": [
            (
                r.idempotency_key,
                r.community.code,
                r.created_by.username,
                r.observed_at.isoformat(),
                r.received_at.isoformat(),
                r.grading,
                r.narrative,
                r.source_reference,
                sorted((x.indicator.code, x.value) for x in r.readings.all()),
            )
            for r in FieldReport.objects.select_related("community", "created_by")
            .prefetch_related("readings__indicator")
            .order_by("idempotency_key")
        ],
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


@pytest.fixture(scope="module")
def seeded_once(django_db_setup, django_db_blocker) -> Iterator[SeedResult]:
    """The demo, seeded once for the module as ``manage.py seed_demo`` seeds it (outside a
    test's transaction, so after-commit work runs); each test then runs in a transaction
    rolled back at its end, and the module empties the database when it is done."""
    with django_db_blocker.unblock(), override_settings(DEBUG=True):
        result = seed_demo()
    yield result
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)


@pytest.fixture
def seeded(seeded_once, db, settings) -> SeedResult:
    settings.DEBUG = True
    return seeded_once


def area(ring):
    return abs(sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in itertools.pairwise(ring))) / 2


def test_it_builds_the_place_hierarchy(seeded):
    counts = {level: Region.objects.filter(level=level).count() for level in RegionLevel.values}
    assert counts == {"country": 1, "region": 4, "district": 12, "community": 60}
    for region in Region.objects.all():
        validate_boundary(region.boundary)


def test_community_boundaries_tile_their_country(seeded):
    country = Region.objects.get(level=RegionLevel.COUNTRY)
    communities = Region.objects.filter(level=RegionLevel.COMMUNITY)
    total = sum(area(c.boundary["coordinates"][0]) for c in communities)
    assert total == pytest.approx(area(country.boundary["coordinates"][0]), rel=1e-9)
    for district in Region.objects.filter(level=RegionLevel.DISTRICT):
        inside = communities.filter(district=district)
        assert inside.count() == 5
        assert sum(area(c.boundary["coordinates"][0]) for c in inside) == pytest.approx(
            area(district.boundary["coordinates"][0]), rel=1e-9
        )


def test_it_builds_a_realistic_catalogue(seeded):
    indicators = Indicator.objects.all()
    assert 15 <= indicators.count() <= 20
    assert set(indicators.values_list("category", flat=True)) == set(Category.values)
    assert indicators.filter(polarity=Polarity.RESILIENCE).count() >= 2
    assert indicators.values("theme").distinct().count() >= 5
    assert all(i.versions.count() == 1 for i in indicators)


def test_it_builds_the_partners(seeded):
    sectors = list(Organisation.objects.values_list("sector", flat=True))
    assert sectors.count(Sector.POLICE) >= 1
    assert sectors.count(Sector.GOVERNMENT) >= 3  # two agencies and the coordination desk
    assert sectors.count(Sector.CSO) == 3
    cso_shares = {
        o.code: (
            frozenset(o.coverage.values_list("code", flat=True)),
            frozenset(o.mandate.values_list("code", flat=True)),
        )
        for o in Organisation.objects.filter(sector=Sector.CSO)
    }
    assert len(set(cso_shares.values())) == 3  # different mandates and coverage


def test_every_demo_login_exists_with_its_role_and_sector(seeded):
    for username, role in DEMO_LOGINS.items():
        user = User.objects.get(username=username)
        assert user.role == role
        assert user.check_password(DEMO_PASSWORD)
    assert User.objects.get(username="police").organisation.sector == Sector.POLICE
    assert User.objects.get(username="agency").organisation.sector == Sector.GOVERNMENT
    assert User.objects.get(username="cso").organisation.sector == Sector.CSO
    police, cso = (User.objects.get(username=u).organisation for u in ("police", "cso"))
    assert set(police.coverage.all()) != set(cso.coverage.all())
    assert set(police.mandate.all()) != set(cso.mandate.all())


def test_it_logs_about_90_days_of_reports(seeded):
    reports = FieldReport.objects.all()
    assert 400 <= reports.count() <= 1500
    oldest = reports.order_by("observed_at").first().observed_at
    newest = reports.order_by("-observed_at").first().observed_at
    assert timezone.now() - oldest > timedelta(days=85)
    assert newest <= timezone.now()
    assert timezone.now() - newest < timedelta(days=3)
    assert reports.filter(source_reference__isnull=False).exists()
    assert all(r.readings.exists() for r in reports[:50])
    # The hotspots stand out: some communities get far more visits than the calm ones.
    per_community = sorted(reports.values_list("community").annotate(n=Count("id")).values_list("n", flat=True))
    assert per_community[-1] >= 3 * per_community[len(per_community) // 2]


def test_the_plans_are_pure():
    now = timezone.now()
    assert plan_places() == plan_places()
    first = plan_reports(plan_places(), now=now)
    assert first == plan_reports(plan_places(), now=now)
    assert [r.key for r in first] == [f"demo-{n}" for n in range(1, len(first) + 1)]


def test_every_reporter_covers_the_communities_they_report_on(seeded):
    for report in FieldReport.objects.select_related("created_by", "community"):
        assert Region.objects.visible_to(report.created_by).filter(pk=report.community_id).exists()


def test_seeding_twice_gives_the_same_data(seeded, settings):
    first = snapshot()
    result = seed_demo(now=timezone.now() + timedelta(hours=3))
    assert result.reports_created == 0
    assert snapshot() == first


def test_the_partners_have_taken_up_the_older_alerts(seeded):
    """Routing ran while the reports were scored; the older alerts' assignments are under
    way; the newest went to its first tier, which missed its deadline: the sweep marked it
    overdue once, told the coordinators and brought the next tier in."""
    assignments = Assignment.objects.select_related("alert", "organisation")
    assert assignments.exists()
    newest = Alert.objects.order_by("-opened_at").first()
    for assignment in assignments.exclude(alert=newest).filter(alert__state=AlertState.OPEN):
        assert assignment.state == AssignmentState.IN_PROGRESS, assignment
    # The older alerts the demo closed (demo.learning) ended their work with them.
    for assignment in assignments.exclude(alert__state=AlertState.OPEN):
        assert assignment.state == AssignmentState.CLOSED, assignment
        assert assignment.acknowledged_at < assignment.due_at
    first, second = assignments.filter(alert=newest).order_by("tier")
    assert (first.organisation.code, first.tier, first.state) == ("jaringan-damai", 1, AssignmentState.PENDING)
    assert first.overdue_notified_at is not None
    assert (second.organisation.code, second.tier, second.state) == ("national-unity", 2, AssignmentState.PENDING)
    assert second.overdue_notified_at is None
    overdue = AlertEvent.objects.filter(kind=AlertEventKind.OVERDUE)
    assert overdue.count() == 1
    assert AlertEvent.objects.filter(alert=newest, kind=AlertEventKind.TIER_RAISED).count() == 1
    # Least coercive first: no alert of the demo reached the police but those of travel.
    for alert in Alert.objects.filter(assignments__organisation__sector="police").distinct():
        assert "travel-conflict-zones" in alert.routing["police_at_once"]
    seed_demo(now=timezone.now() + timedelta(hours=3))
    assert AlertEvent.objects.filter(kind=AlertEventKind.OVERDUE).count() == overdue.count()


def test_every_demo_place_has_a_valid_outline(seeded):
    places = Region.objects.all()
    assert places.count() == 77
    for place in places:
        validate_boundary(place.outline)
        assert shape(place.outline).is_valid, place.code
        assert shape(place.outline).area == pytest.approx(shape(place.boundary).area, rel=0.01), place.code


def test_it_shows_a_register_with_hits_and_misses_one_surge_and_one_stale_community(seeded):
    """docs/learning.md: the register's incidents, the alert quality they give, the planted
    surge and the community that fell silent."""
    from analytics.selectors.quality import quality_table
    from demo.learning import STALE_COMMUNITY, SURGE_COMMUNITY
    from learning.models import Incident
    from learning.selectors import stale_community_ids, surges_build

    coordinator = User.objects.get(username="coordinator")
    incidents = Incident.objects.all()
    assert incidents.count() == 6
    assert incidents.filter(alerts__isnull=False).distinct().count() == 2  # linked by the recorder
    closed = Alert.objects.exclude(state=AlertState.OPEN)
    assert sorted(closed.values_list("state", flat=True)) == ["dismissed", "resolved", "resolved"]
    table = quality_table(coordinator, since=timezone.now() - timedelta(days=365))
    overall = table.overall
    assert (overall.alerts, overall.followed, overall.pending, overall.dismissed) == (4, 3, 2, 1)
    assert (overall.incidents, overall.preceded) == (6, 3)  # three hits, three misses
    assert overall.precision == 0.75 and overall.recall == 0.5 and overall.suppressed == []
    surges = {(row.community_code, row.theme_code) for row in surges_build(coordinator)}
    assert (SURGE_COMMUNITY, "intercommunal-tension") in surges
    assert not any(code == "HM-01-01-01" for code, _theme in surges)  # a calm one, flat
    stale = Region.objects.filter(pk__in=stale_community_ids(coordinator))
    assert [place.code for place in stale] == [STALE_COMMUNITY]


def test_it_shows_two_vignettes_with_attempts_and_calibration_figures(seeded):
    """docs/learning.md, "Training and calibration": both calibration pages show figures, and
    the indicator the trainees read all over the scale is flagged for rewording."""
    from demo.training import TRAINEES, UNCLEAR, plan_attempts, seed_training
    from training.models import TrainingAttempt, Vignette
    from training.selectors import analyst_calibration, organisation_calibration

    assert Vignette.objects.count() == 2
    assert TrainingAttempt.objects.count() == len(plan_attempts(now=timezone.now())) == 36
    assert not FieldReport.objects.filter(created_by__username__startswith="trainee.").exists()
    coordinator = User.objects.get(username="coordinator")
    report = organisation_calibration(coordinator)
    assert sorted(s.analyst.username for s in report.analysts if s.attempts) == sorted(t[0] for t in TRAINEES)
    assert [row.indicator.code for row in report.flagged] == [UNCLEAR]
    pooled = {row.indicator.code: row.overall for row in report.pooled.rows}
    assert pooled["P01"].kappa is not None and pooled["P01"].kappa > 0.6
    assert pooled["P02"].kappa is None  # read by one vignette only: the expert's value never varies
    analyst = User.objects.get(username="analyst")
    own = analyst_calibration(analyst, analyst)
    assert own.attempts == 12 and len(own.periods) == 3
    monthly = [cell for row in own.rows for cell in row.cells if cell is not None and cell.kappa is not None]
    assert monthly  # figures per month
    assert seed_training({"coordinator": coordinator, "analyst": analyst}, now=timezone.now()) == 0
    assert TrainingAttempt.objects.count() == 36


def test_it_expects_one_monitor_to_check_in_weekly(seeded):
    """docs/learning.md, "Missed check-ins": the demo's monitor with an expectation."""
    from demo.learning import CHECK_IN_MONITOR
    from learning.models import CheckInExpectation

    expectation = CheckInExpectation.objects.get()
    assert expectation.monitor.username == CHECK_IN_MONITOR
    assert (expectation.every_days, expectation.escalate_after_days, expectation.is_active) == (7, 3, True)


def test_the_forecast_plan_replaces_one_communitys_visits_only():
    from demo.forecast import FORECAST_COMMUNITY, plan_build_up

    now = timezone.now()
    plan = plan_reports(plan_places(), now=now)
    built = plan_build_up(plan, now=now)
    assert built == plan_build_up(plan, now=now)
    assert [s for s in built if s.community_code != FORECAST_COMMUNITY] == [
        s for s in plan if s.community_code != FORECAST_COMMUNITY
    ]
    planted = [s for s in built if s.community_code == FORECAST_COMMUNITY]
    assert [s.key for s in planted] == [f"demo-fc-{n}" for n in range(1, len(planted) + 1)]
    assert len(planted) >= 24 and all(s.readings == [("S05", 1.0)] for s in planted)


def test_it_shows_forecasts_with_their_accuracy(seeded):
    """docs/forecast.md: Kota Lama's slow build-up gives a forecast that beats "same as
    now" in its backtest; the API and the heatmap show it with both accuracies."""
    from rest_framework.test import APIClient

    from demo.forecast import FORECAST_DISTRICT
    from learning.selectors import forecasts_build

    coordinator = User.objects.get(username="coordinator")
    forecasts = {area.code: area.forecast for area in forecasts_build(coordinator)}
    assert len(forecasts) == 12
    planted = forecasts[FORECAST_DISTRICT]
    assert planted is not None and planted.shown
    model, naive = planted.backtest.model, planted.backtest.naive
    assert model.origins == naive.origins >= 5
    assert model.level_error < naive.level_error and model.hits > naive.hits
    assert planted.now_level == "moderate"
    client = APIClient()
    client.force_authenticate(coordinator)
    body = client.get("/api/v1/forecasts/", {"level": "district"}).json()
    shown = {row["area"]: row for row in body["results"]}
    assert FORECAST_DISTRICT in shown
    assert shown[FORECAST_DISTRICT]["accuracy"]["model"]["hits"] == model.hits
    assert shown[FORECAST_DISTRICT]["accuracy"]["naive"]["hits"] == naive.hits
    assert len(body["results"]) + len(body["hidden"]) == 12
