"""GET /api/v1/alert-quality/ and the overview's figures: planted alerts and incidents give
the expected precision, recall and lead time; small counts are suppressed as in exports."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from alerts.models import Alert
from learning.models import Incident

pytestmark = pytest.mark.django_db

URL = "/api/v1/alert-quality/"


def client_of(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def plant(cast):
    """Two high alerts on c1 (one followed 5 days later, one 10 days later), one dismissed
    moderate alert on c2 that nothing followed, and one incident on c2 with no alert in
    its window (a miss)."""
    now = timezone.now()
    c1, c2 = cast.places["c1"], cast.places["c2"]

    def alert(community, days_ago, level, state="resolved", outcome="no"):
        return Alert.objects.create(
            community=community,
            level=level,
            state=state,
            outcome=outcome if state == "resolved" else None,
            opened_at=now - timedelta(days=days_ago),
            closed_at=now - timedelta(days=days_ago - 1),
            explanation=[{"indicator": "P01", "amount": 1.0}],
        )

    a1 = alert(c1, 100, "high", outcome="yes")
    a2 = alert(c1, 60, "high")
    a3 = alert(c2, 200, "moderate", state="dismissed")

    def incident(community, days_ago, alerts=()):
        item = Incident.objects.create(
            community=community,
            occurred_at=now - timedelta(days=days_ago),
            kind="clash",
            severity="high",
            description="Planted.",
            organisation=cast.desk,
            recorded_by=cast.coordinator,
        )
        item.alerts.set(alerts)
        return item

    incident(c1, 95, [a1])
    incident(c1, 50)  # matched to a2 by place and time
    incident(c2, 20)  # the dismissed alert was 180 days before: a miss
    return a1, a2, a3


def test_it_measures_planted_alerts_and_incidents(cast, settings):
    settings.EWERS_EXPORT_MIN_REPORTS = 1
    settings.EWERS_OUTCOME_DAYS = 30
    plant(cast)
    body = client_of(cast.coordinator).get(URL).json()
    overall = body["overall"]
    assert (overall["alerts"], overall["followed"], overall["precision"]) == (3, 2, 0.667)
    assert (overall["incidents"], overall["preceded"], overall["recall"]) == (3, 2, 0.667)
    assert overall["median_lead_days"] == 7.5  # 5 and 10 days
    assert overall["dismissed_share"] == 0.333 and overall["suppressed"] == []
    levels = {row["group"]: row for row in body["by_level"]}
    assert (levels["high"]["precision"], levels["moderate"]["precision"]) == (1.0, 0.0)
    assert [row["group"] for row in body["by_indicator"]] == ["P01"]
    assert body["window_days"] == 30
    high = client_of(cast.coordinator).get(URL, {"level": "high"}).json()["overall"]
    assert (high["alerts"], high["recall"]) == (2, 0.667)


def test_small_counts_are_suppressed_as_in_exports(cast, settings):
    settings.EWERS_EXPORT_MIN_REPORTS = 5
    plant(cast)
    overall = client_of(cast.coordinator).get(URL).json()["overall"]
    assert (overall["alerts"], overall["incidents"]) == (3, 3)
    for name in ("precision", "recall", "median_lead_days", "followed", "preceded", "dismissed_share"):
        assert overall[name] is None and name in overall["suppressed"]


def test_only_coordinators_read_it_and_bad_queries_are_400(cast):
    for user in (cast.analyst, cast.cso_user, cast.police_user, cast.admin):
        assert client_of(user).get(URL).status_code == 403
    coordinator = client_of(cast.coordinator)
    for bad in ({"months": "0"}, {"months": "x"}, {"level": "low"}, {"period": "2026-13"}, {"period": "March"}):
        response = coordinator.get(URL, bad)
        assert response.status_code == 400 and set(bad) <= set(response.json()), bad


def test_the_overview_shows_the_register_figures(cast, settings, client):
    settings.EWERS_EXPORT_MIN_REPORTS = 1
    plant(cast)
    client.force_login(cast.coordinator)
    page = client.get("/overview/")
    assert page.status_code == 200
    measured = page.context["overview"].quality.measured
    assert (measured.overall.precision_percent, measured.overall.recall_percent) == (67, 67)
    html = page.content.decode()
    assert "Preceded by an alert (recall)" in html and "7.5 days" in html
