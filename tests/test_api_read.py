"""API v1 reads: regions, communities with their risk, assessments, history, indicators, alerts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from alerts.models import Alert, AlertEvent
from indicators.models import Contribution, RiskAssessment
from tests import factories
from tests.api import as_user, get

pytestmark = pytest.mark.django_db


def codes(user: Any, url: str) -> list[str]:
    return [row["code"] for row in get(user, url)["results"]]


T_TREE = ["T", "T-1", "T-1-1", "T-1-1-1", "T-1-1-2"]
U_TREE = ["U", "U-1", "U-1-1", "U-1-1-1", "U-1-1-2"]


# --- Regions -----------------------------------------------------------------------------------


def test_each_role_lists_exactly_the_regions_it_covers(cast):
    url = reverse("api-region-list")
    assert codes(cast.analyst, url) == T_TREE[1:]
    assert codes(cast.other_analyst, url) == U_TREE[1:]
    assert codes(cast.cso_user, url) == ["T-1-1-1"]
    assert codes(cast.coordinator, url) == T_TREE
    assert codes(cast.police_user, url) == sorted(T_TREE + U_TREE)
    assert codes(cast.admin, url) == sorted(T_TREE + U_TREE)


def test_a_region_row_names_its_level_and_parent(cast):
    rows = get(cast.analyst, reverse("api-region-list") + "?level=community")["results"]
    district = cast.places["district"]
    assert rows == [
        {
            "id": cast.places["c1"].pk,
            "code": "T-1-1-1",
            "name": "T village one",
            "level": "community",
            "parent": district.pk,
        },
        {
            "id": cast.places["c2"].pk,
            "code": "T-1-1-2",
            "name": "T village two",
            "level": "community",
            "parent": district.pk,
        },
    ]
    assert codes(cast.analyst, reverse("api-region-list") + f"?parent={cast.places['region'].pk}") == ["T-1-1"]
    assert codes(cast.analyst, reverse("api-region-list") + f"?parent={cast.other_places['region'].pk}") == []


def test_a_region_outside_coverage_is_a_404(cast):
    assert as_user(cast.analyst).get(reverse("api-region-detail", args=[cast.places["c1"].pk])).status_code == 200
    assert as_user(cast.analyst).get(reverse("api-region-detail", args=[cast.other_places["c1"].pk])).status_code == 404
    assert as_user(cast.cso_user).get(reverse("api-region-detail", args=[cast.places["c2"].pk])).status_code == 404


def test_reads_need_credentials(cast):
    for name in ("api-region-list", "api-community-list", "api-indicator-list", "api-alert-list", "api-report-list"):
        assert APIClient().get(reverse(name)).status_code == 401


# --- Communities, assessments, history ----------------------------------------------------------


@pytest.fixture
def assessed(cast):
    """Two assessments of T village one, the newer at 62 (high), with two contributions."""
    c1 = cast.places["c1"]
    report = factories.make_report(cast.analyst, c1, cast.indicator, enqueue_scoring=False)
    resilience = factories.make_indicator("R01", polarity="resilience")
    now = timezone.now()
    RiskAssessment.objects.filter(community=c1).delete()
    old = RiskAssessment.objects.create(
        community=c1, assessed_at=now - timedelta(days=3), score=20, raw_score=0.5, level="low"
    )
    new = RiskAssessment.objects.create(
        community=c1, assessed_at=now - timedelta(hours=1), score=62, raw_score=2, level="high"
    )
    Contribution.objects.create(assessment=new, indicator=resilience, indicator_version=1, report=report, amount=-0.4)
    Contribution.objects.create(
        assessment=new, indicator=cast.indicator, indicator_version=1, report=report, amount=1.2
    )
    return {"old": old, "new": new, "report": report}


def test_each_role_lists_exactly_the_communities_it_covers_with_their_risk(cast, assessed):
    url = reverse("api-community-list")
    rows = get(cast.analyst, url)["results"]
    assert [row["code"] for row in rows] == ["T-1-1-1", "T-1-1-2"]
    district, region = cast.places["district"], cast.places["region"]
    assert rows[0] == {
        "id": cast.places["c1"].pk,
        "code": "T-1-1-1",
        "name": "T village one",
        "district": {"id": district.pk, "code": "T-1-1", "name": "T district"},
        "region": {"id": region.pk, "code": "T-1", "name": "T region"},
        "risk_score": 62.0,
        "risk_level": "high",
        "risk_assessed_at": rows[0]["risk_assessed_at"],
    }
    assert (rows[1]["risk_score"], rows[1]["risk_level"]) == (None, None)
    assert codes(cast.other_analyst, url) == ["U-1-1-1", "U-1-1-2"]
    assert codes(cast.cso_user, url) == ["T-1-1-1"]
    assert codes(cast.coordinator, url) == ["T-1-1-1", "T-1-1-2"]
    assert codes(cast.police_user, url) == ["T-1-1-1", "T-1-1-2", "U-1-1-1", "U-1-1-2"]


def test_a_community_is_addressed_by_id_or_code(cast):
    c1 = cast.places["c1"]
    for ref in (c1.code, c1.pk):
        assert get(cast.analyst, reverse("api-community-detail", args=[ref]))["id"] == c1.pk


def test_the_assessment_lists_its_contributions_largest_first(cast, assessed):
    data = get(cast.analyst, reverse("api-community-assessment", args=["T-1-1-1"]))
    report = assessed["report"].pk
    assert (data["score"], data["level"], data["community"]) == (62.0, "high", "T-1-1-1")
    assert data["contributions"] == [
        {
            "indicator": "P01",
            "indicator_name": cast.indicator.name,
            "polarity": "risk",
            "report": report,
            "contribution": 1.2,
        },
        {
            "indicator": "R01",
            "indicator_name": "Hate speech in local forums",
            "polarity": "resilience",
            "report": report,
            "contribution": -0.4,
        },
    ]
    # Risk is a signal about places: a responder covering the community sees it too.
    assert get(cast.cso_user, reverse("api-community-assessment", args=[cast.places["c1"].pk]))["score"] == 62.0


def test_a_community_without_assessment_says_so(cast):
    response = as_user(cast.analyst).get(reverse("api-community-assessment", args=["T-1-1-2"]))
    assert response.status_code == 404
    assert "no assessment yet" in response.json()["detail"]


def test_the_history_is_newest_first_and_filtered_by_since(cast, assessed):
    url = reverse("api-community-history", args=["T-1-1-1"])
    rows = get(cast.analyst, url)
    assert [(row["score"], row["level"]) for row in rows] == [(62.0, "high"), (20.0, "low")]
    since = (timezone.now() - timedelta(days=1)).isoformat()
    client = as_user(cast.analyst)
    assert [row["score"] for row in client.get(url, {"since": since}).json()] == [62.0]
    assert [row["score"] for row in client.get(url, {"limit": 1}).json()] == [62.0]
    assert client.get(url, {"since": "last week"}).status_code == 400
    assert client.get(url, {"limit": 501}).status_code == 400


@pytest.mark.parametrize("name", ["api-community-detail", "api-community-assessment", "api-community-history"])
def test_a_community_outside_coverage_is_a_404(cast, assessed, name):
    for user, ref in [
        (cast.other_analyst, "T-1-1-1"),
        (cast.cso_user, "T-1-1-2"),
        (cast.analyst, "U-1-1-1"),
        (cast.analyst, "T-1-1"),  # a district is not a community
        (cast.analyst, "NOPE"),
        (cast.analyst, "99999999999999999999999"),
    ]:
        response = as_user(user).get(reverse(name, args=[ref]))
        assert response.status_code == 404, (user, ref)
        assert "62" not in response.content.decode()


# --- Indicators ---------------------------------------------------------------------------------


def test_the_indicator_catalogue_is_listed_for_everyone(cast):
    factories.make_indicator("OLD", is_active=False)
    expected = {
        "id": cast.indicator.pk,
        "code": "P01",
        "name": cast.indicator.name,
        "description": "",
        "category": "proximate",
        "theme": "tension",
        "polarity": "risk",
        "weight": 1.0,
        "scale_min": 0.0,
        "scale_max": 4.0,
        "scale_labels": {},
        "thresholds": {"moderate": 2.0, "high": 3.0, "critical": 4.0},
        "half_life_days": 21.0,
        "version": 1,
    }
    for user in (cast.analyst, cast.police_user, cast.coordinator, cast.admin):
        assert get(user, reverse("api-indicator-list"))["results"] == [expected]
    assert get(cast.analyst, reverse("api-indicator-detail", args=["P01"])) == expected
    assert get(cast.analyst, reverse("api-indicator-detail", args=[cast.indicator.pk])) == expected
    assert as_user(cast.analyst).get(reverse("api-indicator-detail", args=["OLD"])).status_code == 404
    assert as_user(cast.analyst).get(reverse("api-indicator-detail", args=["P0\x001"])).status_code == 404


# --- Alerts ---------------------------------------------------------------------------------------


@pytest.fixture
def alerts(cast):
    """An alert in T (assigned to police and the CSO) and one in U (assigned to police)."""
    due = timezone.now() + timedelta(hours=4)
    t_alert = Alert.objects.create(
        community=cast.places["c1"],
        level="high",
        explanation=[
            {"indicator": "P01", "indicator_name": "Hate", "theme": "tension", "report": 1, "amount": 1.2, "share": 1.0}
        ],
    )
    u_alert = Alert.objects.create(community=cast.other_places["c1"], level="critical")
    AlertEvent.objects.create(alert=t_alert, kind="opened", level="high", note="Score 62")
    for alert, organisation in [(t_alert, cast.police), (t_alert, cast.cso), (u_alert, cast.police)]:
        factories.make_assignment(alert=alert, organisation=organisation, due_at=due)
        AlertEvent.objects.create(alert=alert, kind="assigned", organisation=organisation, actor=cast.coordinator)
    return {"t": t_alert, "u": u_alert}


def alert_ids(user: Any, query: str = "") -> list[int]:
    return sorted(row["id"] for row in get(user, reverse("api-alert-list") + query)["results"])


def test_each_role_lists_exactly_the_alerts_it_may_see(cast, alerts):
    assert alert_ids(cast.coordinator) == [alerts["t"].pk]
    assert alert_ids(cast.police_user) == sorted([alerts["t"].pk, alerts["u"].pk])
    assert alert_ids(cast.cso_user) == [alerts["t"].pk]
    assert alert_ids(cast.analyst) == []
    assert alert_ids(cast.admin) == []
    assert alert_ids(cast.police_user, "?level=critical") == [alerts["u"].pk]
    assert alert_ids(cast.police_user, "?community=T-1-1-1") == [alerts["t"].pk]
    assert alert_ids(cast.police_user, "?state=resolved") == []


def test_an_alert_carries_its_explanation_timeline_and_assignments(cast, alerts):
    data = get(cast.coordinator, reverse("api-alert-detail", args=[alerts["t"].pk]))
    assert data["community"] == {"id": cast.places["c1"].pk, "code": "T-1-1-1", "name": "T village one"}
    assert (data["level"], data["state"], data["verified"], data["escalated_at"]) == ("high", "open", False, None)
    assert data["explanation"] == alerts["t"].explanation
    assert [(e["kind"], e["organisation"], e["actor"]) for e in data["timeline"]] == [
        ("opened", None, None),
        ("assigned", "police", "coord"),
        ("assigned", "cso", "coord"),
    ]
    assert sorted(a["organisation"] for a in data["assignments"]) == ["cso", "police"]
    assert data["assignments"][0]["overdue"] is False


def test_a_responder_sees_only_its_own_organisations_assignment(cast, alerts):
    data = get(cast.cso_user, reverse("api-alert-detail", args=[alerts["t"].pk]))
    assert [a["organisation"] for a in data["assignments"]] == ["cso"]
    assert [(e["kind"], e["organisation"]) for e in data["timeline"]] == [("opened", None), ("assigned", "cso")]
    assert "police" not in str(data)


def test_an_alert_outside_the_share_is_a_404(cast, alerts):
    for user, alert in [
        (cast.cso_user, alerts["u"]),
        (cast.coordinator, alerts["u"]),
        (cast.analyst, alerts["t"]),
        (cast.admin, alerts["t"]),
    ]:
        assert as_user(user).get(reverse("api-alert-detail", args=[alert.pk])).status_code == 404
    assert as_user(cast.coordinator).get(reverse("api-alert-detail", args=["x"])).status_code == 404


def test_alerts_are_read_only(cast, alerts):
    client = as_user(cast.coordinator)
    assert client.post(reverse("api-alert-list"), {}, format="json").status_code == 405
    assert client.delete(reverse("api-alert-detail", args=[alerts["t"].pk])).status_code == 405
    assert Alert.objects.count() == 2


def test_listing_alerts_costs_the_same_queries_for_one_or_many(cast, alerts):
    client = as_user(cast.police_user)
    with CaptureQueriesContext(connection) as two:
        assert len(client.get(reverse("api-alert-list")).json()["results"]) == 2
    for community in (cast.places["c2"], cast.other_places["c2"]):
        alert = Alert.objects.create(community=community, level="moderate")
        factories.make_assignment(alert=alert, organisation=cast.police, due_at=timezone.now())
        AlertEvent.objects.create(alert=alert, kind="assigned", organisation=cast.police)
    with CaptureQueriesContext(connection) as four:
        assert len(client.get(reverse("api-alert-list")).json()["results"]) == 4
    assert len(four.captured_queries) == len(two.captured_queries)
