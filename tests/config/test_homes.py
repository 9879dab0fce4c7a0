"""The home page of each role (config/homes.py): what each desk shows of the user's share,
in as many queries for many rows as for few."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from alerts.models import Alert
from config import homes
from ewers.choices import RiskLevel
from tests import factories
from tests.queries import count_queries

pytestmark = pytest.mark.django_db


def test_the_analyst_sees_their_organisations_latest_reports(cast, client):
    factories.make_report(cast.analyst, cast.places["c1"], cast.indicator)
    factories.make_report(cast.other_analyst, cast.other_places["c1"], cast.indicator)
    client.force_login(cast.analyst)
    page = client.get(reverse("home")).content.decode()
    assert "T village one" in page
    assert "U village one" not in page


def test_the_responder_sees_their_organisations_assignments_only(cast, client):
    alert = Alert.objects.create(community=cast.places["c1"], level=RiskLevel.HIGH)
    factories.make_assignment(alert=alert, organisation=cast.cso, due_at=timezone.now() - timedelta(minutes=5))
    other = Alert.objects.create(community=cast.other_places["c2"], level=RiskLevel.CRITICAL)
    factories.make_assignment(alert=other, organisation=cast.police, due_at=timezone.now() + timedelta(hours=1))
    client.force_login(cast.cso_user)
    page = client.get(reverse("home")).content.decode()
    assert "T village one" in page
    assert 'class="badge badge-overdue"' in page
    assert "U village two" not in page


def test_the_coordinator_sees_the_regions_covered(cast, client):
    factories.make_report(cast.analyst, cast.places["c1"], cast.indicator)
    factories.make_report(cast.other_analyst, cast.other_places["c1"], cast.indicator)
    client.force_login(cast.coordinator)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    [row] = response.context["summary"].regions
    assert (row.region.code, row.communities, row.reports_recent) == ("T", 2, 1)
    assert "U land" not in response.content.decode()
    assert "No open alerts in your regions." in response.content.decode()


def test_the_coordinator_sees_open_alerts_by_level(cast, client):
    Alert.objects.create(community=cast.places["c1"], level=RiskLevel.HIGH)
    Alert.objects.create(community=cast.other_places["c1"], level=RiskLevel.CRITICAL)  # outside the coverage
    client.force_login(cast.coordinator)
    summary = client.get(reverse("home")).context["summary"]
    assert summary.alerts_by_level == {"critical": 0, "high": 1, "moderate": 0}


def count_home_queries(client, user) -> int:
    client.force_login(user)
    return count_queries(client, reverse("home"))


@pytest.mark.parametrize("role", ["analyst", "cso_user", "coordinator", "admin"])
def test_home_pages_make_the_same_number_of_queries_for_many_rows(cast, client, role):
    user = getattr(cast, role)
    factories.make_report(cast.analyst, cast.places["c1"], cast.indicator)
    alert = Alert.objects.create(community=cast.places["c1"], level=RiskLevel.HIGH)
    factories.make_assignment(alert=alert, organisation=cast.cso, due_at=timezone.now() + timedelta(hours=1))
    few = count_home_queries(client, user)
    for _ in range(8):
        factories.make_report(cast.analyst, cast.places["c2"], cast.indicator)
    alert2 = Alert.objects.create(community=cast.places["c2"], level=RiskLevel.CRITICAL)
    factories.make_assignment(alert=alert2, organisation=cast.cso, due_at=timezone.now() - timedelta(hours=1))
    assert count_home_queries(client, user) == few


def test_the_responder_cards_count_beyond_the_listed_rows(cast, monkeypatch):
    monkeypatch.setattr(homes, "HOME_LIST_LIMIT", 1)
    for code in ("c1", "c2"):
        alert = Alert.objects.create(community=cast.places[code], level=RiskLevel.HIGH)
        factories.make_assignment(alert=alert, organisation=cast.cso, due_at=timezone.now() - timedelta(hours=1))
    summary = homes.home_summary(cast.cso_user)
    assert len(summary.assignments) == 1
    assert summary.cards["assignments_active"] == 2
    assert summary.cards["assignments_overdue"] == 2
