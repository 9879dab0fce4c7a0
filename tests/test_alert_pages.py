"""The alert pages: the list and one alert, read-only, for every role inside and outside its share."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from alerts.choices import AlertEventKind, AlertState, IncidentOutcome
from alerts.models import Alert, AlertEvent
from ewers.choices import RiskLevel
from tests import factories

pytestmark = pytest.mark.django_db

LIST = reverse("alerts:list")


def detail(alert: Alert) -> str:
    return reverse("alerts:detail", args=[alert.pk])


@pytest.fixture
def alerts(cast):
    """An open alert in the cast's country, assigned to the CSO and the police; a closed
    one beside it; and one in the other country, assigned to the police."""
    report = factories.make_report(cast.analyst, cast.places["c1"], cast.indicator)
    inside = Alert.objects.create(
        community=cast.places["c1"],
        level=RiskLevel.HIGH,
        explanation=[
            {"indicator": "P01", "indicator_name": "Hate speech in local forums", "report": report.pk, "amount": 1.75}
        ],
    )
    AlertEvent.objects.create(alert=inside, kind=AlertEventKind.OPENED, level=RiskLevel.HIGH, note="Score 61.0")
    AlertEvent.objects.create(
        alert=inside, kind=AlertEventKind.ESCALATED, level=RiskLevel.CRITICAL, note="A trigger reading"
    )
    factories.make_assignment(alert=inside, organisation=cast.cso, due_at=timezone.now() - timedelta(hours=1))
    factories.make_assignment(alert=inside, organisation=cast.police, due_at=timezone.now() + timedelta(hours=5))
    closed = Alert.objects.create(
        community=cast.places["c2"],
        level=RiskLevel.CRITICAL,
        state=AlertState.RESOLVED,
        outcome=IncidentOutcome.NO,
        closed_at=timezone.now(),
        opened_at=timezone.now() + timedelta(minutes=1),  # newer, yet listed after the open one
    )
    outside = Alert.objects.create(community=cast.other_places["c1"], level=RiskLevel.CRITICAL)
    factories.make_assignment(alert=outside, organisation=cast.police, due_at=timezone.now() + timedelta(hours=1))
    return {"inside": inside, "closed": closed, "outside": outside, "report": report}


def listed(response) -> list[int]:
    return [alert.pk for alert in response.context["page"].object_list]


def test_a_coordinator_sees_the_alerts_of_covered_communities_only_open_first(cast, alerts, client):
    client.force_login(cast.coordinator)
    response = client.get(LIST)
    assert response.status_code == 200
    assert listed(response) == [alerts["inside"].pk, alerts["closed"].pk]
    assert client.get(detail(alerts["inside"])).status_code == 200
    assert client.get(detail(alerts["closed"])).status_code == 200
    assert client.get(detail(alerts["outside"])).status_code == 404


def test_the_alert_list_filters(cast, alerts, client):
    client.force_login(cast.coordinator)
    assert listed(client.get(LIST, {"state": "open"})) == [alerts["inside"].pk]
    assert listed(client.get(LIST, {"level": "critical"})) == [alerts["closed"].pk]
    assert listed(client.get(LIST, {"community": cast.places["c2"].code})) == [alerts["closed"].pk]
    assert listed(client.get(LIST, {"verified": "true"})) == []
    assert client.get(LIST, {"state": "nonsense"}).status_code == 200


@pytest.mark.parametrize("who", ["analyst", "other_analyst", "admin"])
def test_analysts_and_administrators_see_no_alert(cast, alerts, client, who):
    client.force_login(getattr(cast, who))
    response = client.get(LIST)
    assert response.status_code == 200
    assert listed(response) == []
    for alert in alerts.values():
        if isinstance(alert, Alert):
            assert client.get(detail(alert)).status_code == 404


def test_a_responder_sees_the_alerts_assigned_to_their_organisation(cast, alerts, client):
    client.force_login(cast.cso_user)
    assert listed(client.get(LIST)) == [alerts["inside"].pk]
    response = client.get(detail(alerts["inside"]))
    page = response.content.decode()
    assert response.status_code == 200
    # Its own organisation's share only.
    assert [a.organisation for a in response.context["assignments"]] == [cast.cso]
    assert "Organisation police" not in page
    assert 'class="badge badge-overdue"' in page
    assert client.get(detail(alerts["outside"])).status_code == 404

    client.force_login(cast.police_user)
    assert set(listed(client.get(LIST))) == {alerts["inside"].pk, alerts["outside"].pk}
    assert client.get(detail(alerts["closed"])).status_code == 404


def test_the_alert_page_shows_level_state_explanation_timeline_and_assignments(cast, alerts, client):
    client.force_login(cast.coordinator)
    page = client.get(detail(alerts["inside"])).content.decode()
    assert f"Alert #{alerts['inside'].pk}" in page
    assert "High" in page and "Open" in page and "Not yet verified" in page
    assert "Hate speech in local forums" in page and "+1.75" in page
    assert f'href="{reverse("reports:detail", args=[alerts["report"].pk])}"' in page
    assert "Escalated" in page and "A trigger reading" in page and "Score 61.0" in page
    assert "Organisation cso" in page and "Organisation police" in page
    closed = client.get(detail(alerts["closed"])).content.decode()
    assert "Resolved" in closed and "No incident followed" in closed


def test_the_alert_pages_ask_for_login(alerts, client):
    for url in (LIST, detail(alerts["inside"])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_the_coordinators_home_links_to_the_alerts(cast, alerts, client):
    client.force_login(cast.coordinator)
    page = client.get(reverse("home")).content.decode()
    assert f'href="{LIST}?state=open"' in page


def test_the_responders_home_links_each_assignment_to_its_alert(cast, alerts, client):
    client.force_login(cast.cso_user)
    page = client.get(reverse("home")).content.decode()
    assert f'href="{detail(alerts["inside"])}"' in page
