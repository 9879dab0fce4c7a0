"""The analytics pages for each role: heatmap, community page and overview (403 / 404),
the overview's numbers against hand-computed values, and no source reference shown."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from alerts.choices import AlertState, AssignmentState, IncidentOutcome
from alerts.models import Alert
from analytics.selectors import overview_build, response_performance
from ewers.choices import RegionLevel, RiskLevel
from ewers.services import region_upsert
from indicators.models import Contribution, RiskAssessment
from tests import factories

ROLES = ["coordinator", "analyst", "police_user", "cso_user", "admin"]


def assess(community, score, at, level=None):
    level = level or ("critical" if score >= 75 else "high" if score >= 50 else "moderate" if score >= 25 else "low")
    return RiskAssessment.objects.create(
        community=community, score=score, raw_score=score / 10, level=level, assessed_at=at
    )


@pytest.mark.parametrize("who", ROLES)
def test_it_shows_the_heatmap_to_every_role(client, cast, who):
    assess(cast.places["c1"], 40, timezone.now())
    client.force_login(getattr(cast, who))
    response = client.get(reverse("analytics:heatmap"))
    assert response.status_code == 200
    assert "heatmap-map-figure" in response.content.decode()
    for level in ("district", "region"):
        assert client.get(reverse("analytics:heatmap"), {"level": level}).status_code == 200


@pytest.mark.parametrize("who", ROLES)
def test_it_keeps_the_overview_for_coordinators(client, cast, who):
    client.force_login(getattr(cast, who))
    response = client.get(reverse("analytics:overview"))
    assert response.status_code == (200 if who == "coordinator" else 403)


def test_it_puts_the_pages_in_the_navigation_by_role(client, cast):
    client.force_login(cast.coordinator)
    labels = [item["label"] for item in client.get(reverse("home")).context["nav_items"]]
    assert "Heatmap" in labels and "Overview" in labels
    client.force_login(cast.analyst)
    labels = [item["label"] for item in client.get(reverse("home")).context["nav_items"]]
    assert "Heatmap" in labels and "Overview" not in labels


@pytest.mark.parametrize(
    ("who", "place", "status"),
    [
        ("coordinator", "c1", 200),
        ("coordinator", "c2", 200),
        ("analyst", "c2", 200),
        ("police_user", "c1", 200),
        ("cso_user", "c1", 200),
        ("cso_user", "c2", 404),  # the CSO covers c1 only
        ("other_analyst", "c1", 404),
    ],
)
def test_it_opens_a_community_page_within_the_coverage_only(client, cast, who, place, status):
    client.force_login(getattr(cast, who))
    community = cast.places[place]
    assert client.get(reverse("analytics:community", args=[community.code])).status_code == status
    assert client.get(reverse("analytics:community", args=[community.pk])).status_code == status


def test_it_links_the_breadcrumb_to_a_district_only_within_the_coverage(client, cast):
    c1 = cast.places["c1"]
    link = f"region={c1.district.code}"
    client.force_login(cast.coordinator)
    assert link in client.get(reverse("analytics:community", args=[c1.code])).content.decode()
    # The CSO covers c1 only: its district is named, not linked (the filter would answer 400).
    client.force_login(cast.cso_user)
    body = client.get(reverse("analytics:community", args=[c1.code])).content.decode()
    assert c1.district.name in body
    assert link not in body
    assert (
        client.get(reverse("analytics:heatmap"), {"level": "community", "region": c1.district.code}).status_code == 400
    )


def test_it_answers_404_for_no_such_community_or_a_district(client, cast):
    client.force_login(cast.coordinator)
    assert client.get(reverse("analytics:community", args=["nowhere"])).status_code == 404
    assert client.get(reverse("analytics:community", args=[cast.places["district"].code])).status_code == 404


@pytest.fixture
def community_story(cast):
    """c1 with a trend, an explanation, a report with a source reference and an open alert."""
    c1 = cast.places["c1"]
    now = timezone.now()
    report = factories.make_report(
        cast.analyst, c1, cast.indicator, source_reference="Informant Kestrel-9", enqueue_scoring=False
    )
    assess(c1, 20, now - timedelta(days=20))
    latest = assess(c1, 80, now - timedelta(hours=1), level=RiskLevel.CRITICAL)
    Contribution.objects.create(
        assessment=latest, indicator=cast.indicator, indicator_version=1, report=report, amount=6.4
    )
    alert = Alert.objects.create(
        community=c1, level=RiskLevel.CRITICAL, assessment=latest, opened_at=now - timedelta(hours=1)
    )
    return {"report": report, "alert": alert}


def test_it_tells_a_community_story_without_the_source(client, cast, community_story):
    client.force_login(cast.coordinator)
    response = client.get(reverse("analytics:community", args=[cast.places["c1"].code]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "community-trend-figure" in body and "community-explanation-figure" in body
    assert [s.code for s in response.context["shares"]] == ["P01"]
    assert response.context["shares"][0].amount == pytest.approx(6.4)
    assert f"#{community_story['report'].pk}" in body
    assert "Kestrel" not in body  # never the source reference, even for a coordinator
    assert reverse("alerts:detail", args=[community_story["alert"].pk]) in body
    # The trend marks the alert's opening.
    trend = response.context["trend_figure"]
    assert [trace["name"] for trace in trend["data"]] == ["Score", "Alert opened"]


def test_it_tells_an_analyst_that_an_alert_is_open_without_the_response(client, cast, community_story):
    client.force_login(cast.analyst)
    body = client.get(reverse("analytics:community", args=[cast.places["c1"].code])).content.decode()
    assert "Alert open for this community: level Critical" in body
    assert reverse("alerts:detail", args=[community_story["alert"].pk]) not in body
    assert "Kestrel" not in body
    # The analyst's own organisation's report is listed.
    assert f"#{community_story['report'].pk}" in body


def test_it_lists_only_the_reports_the_user_may_see(client, cast, community_story):
    # The CSO's responder has no assignment: it may see none of the reports.
    client.force_login(cast.cso_user)
    response = client.get(reverse("analytics:community", args=[cast.places["c1"].code]))
    assert response.context["reports"] == []
    assert response.context["alerts"] == []


def test_it_reads_a_community_page_in_the_same_queries_whatever_the_coverage(client, cast, community_story):
    client.force_login(cast.coordinator)
    url = reverse("analytics:community", args=[cast.places["c1"].code])

    def count():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured.captured_queries)

    before = count()
    for i in range(30):
        region_upsert(code=f"T-1-1-X{i}", name=f"X {i}", level=RegionLevel.COMMUNITY, parent=cast.places["district"])
    assert count() == before


# --- Overview numbers --------------------------------------------------------------------


@pytest.fixture
def response_story(cast):
    now = timezone.now()
    c1, c2 = cast.places["c1"], cast.places["c2"]
    t0 = now - timedelta(days=2)
    open_alert = Alert.objects.create(community=c1, level=RiskLevel.CRITICAL, opened_at=t0)

    def closed(state, outcome=None):
        return Alert.objects.create(
            community=c2,
            level=RiskLevel.HIGH,
            state=state,
            outcome=outcome,
            opened_at=now - timedelta(days=5),
            closed_at=now - timedelta(days=1),
        )

    yes = closed(AlertState.RESOLVED, IncidentOutcome.YES)
    closed(AlertState.RESOLVED, IncidentOutcome.NO)
    closed(AlertState.RESOLVED, IncidentOutcome.UNKNOWN)
    closed(AlertState.DISMISSED)
    # Outside the period: not counted.
    old = closed(AlertState.RESOLVED, IncidentOutcome.YES)
    Alert.objects.filter(pk=old.pk).update(closed_at=now - timedelta(days=60))
    # The police acknowledged after 1 h and 3 h and completed one after 5 h; the CSO is late.
    factories.make_assignment(
        alert=open_alert,
        organisation=cast.police,
        level=RiskLevel.CRITICAL,
        state=AssignmentState.COMPLETED,
        created_at=t0,
        due_at=t0 + timedelta(hours=1),
        acknowledged_at=t0 + timedelta(hours=1),
        finished_at=t0 + timedelta(hours=5),
        outcome="Patrols stepped up.",
    )
    factories.make_assignment(
        alert=yes,
        organisation=cast.police,
        level=RiskLevel.HIGH,
        state=AssignmentState.IN_PROGRESS,
        created_at=t0,
        due_at=t0 + timedelta(hours=6),
        acknowledged_at=t0 + timedelta(hours=3),
    )
    factories.make_assignment(
        alert=open_alert, organisation=cast.cso, level=RiskLevel.CRITICAL, created_at=t0, due_at=t0 + timedelta(hours=1)
    )
    # Withdrawn work (a dismissed alert) says nothing about the organisation.
    factories.make_assignment(
        alert=yes,
        organisation=cast.cso,
        level=RiskLevel.HIGH,
        state=AssignmentState.WITHDRAWN,
        created_at=t0,
        due_at=t0,
    )
    # Made before the period and still pending long after its deadline: overdue now.
    factories.make_assignment(
        alert=old,
        organisation=cast.cso,
        level=RiskLevel.HIGH,
        created_at=now - timedelta(days=60),
        due_at=now - timedelta(days=59),
    )
    # Rising: c1 from 10 (31 days ago) and 20 (8 days ago) to 70; c2 from nothing to 30.
    assess(c1, 10, now - timedelta(days=31))
    assess(c1, 20, now - timedelta(days=8))
    assess(c1, 70, now - timedelta(hours=1))
    assess(c2, 30, now - timedelta(hours=2))
    # Another country's community never shows in this coordinator's overview.
    assess(cast.other_places["c1"], 99, now)


def test_it_computes_the_overview_by_hand(cast, response_story):
    overview = overview_build(cast.coordinator, days=30)
    assert [(r.code, r.rise) for r in overview.rising[7]] == [("T-1-1-1", 50), ("T-1-1-2", 30)]
    assert [(r.code, r.rise) for r in overview.rising[30]] == [("T-1-1-1", 60), ("T-1-1-2", 30)]
    assert overview.alerts_by_level == {"moderate": 0, "high": 0, "critical": 1}
    assert overview.alerts_by_region == [("T-1", "T region", 1)]
    cso, police = overview.performance
    assert police.organisation == "Organisation police"
    assert (police.assignments, police.acknowledged, police.completed, police.overdue) == (2, 2, 1, 0)
    assert police.median_acknowledge == timedelta(hours=2)
    assert police.median_complete == timedelta(hours=5)
    assert (cso.assignments, cso.overdue, cso.median_acknowledge) == (1, 2, None)
    assert cso.organisation_id == cast.cso.pk
    quality = overview.quality
    assert (quality.resolved, quality.dismissed, quality.incident_yes, quality.incident_no) == (3, 1, 1, 1)
    assert quality.share_followed == 0.5 and quality.share_percent == 50


def test_it_filters_the_overview_by_region(cast, response_story):
    other = overview_build(cast.coordinator, days=30, region=cast.places["c1"].district)
    assert [r.code for r in other.rising[7]] == ["T-1-1-1", "T-1-1-2"]
    region_upsert(code="T-9", name="Empty region", level=RegionLevel.REGION, parent=cast.places["country"])
    from ewers.models import Region

    empty = overview_build(cast.coordinator, days=30, region=Region.objects.get(code="T-9"))
    assert empty.rising[7] == [] and empty.performance == [] and empty.alerts_by_level["critical"] == 0


def test_it_shows_the_overview_page(client, cast, response_story):
    client.force_login(cast.coordinator)
    response = client.get(reverse("analytics:overview"), {"period": "30"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Organisation police" in body and ">2 h<" in body and ">5 h<" in body
    assert "50%" in body
    assert client.get(reverse("analytics:overview"), {"period": "12"}).status_code == 400
    assert client.get(reverse("analytics:overview"), {"region": "U-1"}).status_code == 400


def test_it_takes_medians_of_plain_rows():
    now = timezone.now()
    rows = [
        {
            "organisation_id": 1,
            "organisation__name": "A",
            "state": AssignmentState.ACKNOWLEDGED,
            "created_at": now,
            "acknowledged_at": now + timedelta(minutes=m),
            "finished_at": None,
            "due_at": now,
        }
        for m in (10, 20, 90)
    ]
    (a,) = response_performance(rows)
    assert a.median_acknowledge == timedelta(minutes=20)
    assert a.median_complete is None and a.overdue == 0


def test_it_groups_performance_by_organisation_id_and_adds_the_overdue_ones():
    now = timezone.now()
    row = {"state": AssignmentState.PENDING, "created_at": now, "acknowledged_at": None, "finished_at": None}
    rows = [
        {**row, "organisation_id": 1, "organisation__name": "Same"},
        {**row, "organisation_id": 2, "organisation__name": "Same"},
    ]
    result = response_performance(rows, overdue=[(2, "Same", 3), (7, "Late only", 1)])
    assert [(r.organisation_id, r.assignments, r.overdue) for r in result] == [(7, 0, 1), (1, 1, 0), (2, 1, 3)]
