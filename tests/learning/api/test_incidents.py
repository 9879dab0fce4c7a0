"""GET/POST /api/v1/incidents/: the share, 201, and 400 with field messages."""

from __future__ import annotations

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from learning.models import Incident

pytestmark = pytest.mark.django_db

URL = "/api/v1/incidents/"


def client_of(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def body(**overrides):
    values = {
        "community": "T-1-1-1",
        "occurred_at": "2026-01-02T09:00:00+08:00",
        "kind": "violence",
        "severity": "critical",
        "description": "A shop owner was attacked.",
    }
    values.update(overrides)
    return values


def test_it_records_and_lists_an_incident_with_its_alert(raised, cast):
    alert, _ = raised
    now = timezone.now().isoformat()
    created = client_of(cast.cso_user).post(URL, body(alerts=[alert.pk], occurred_at=now), format="json")
    assert created.status_code == 201, created.content
    data = created.json()
    assert (data["community"], data["alerts"], data["preceded_by_alert"], data["organisation"]) == (
        "T-1-1-1",
        [alert.pk],
        True,
        "cso",
    )
    listed = client_of(cast.coordinator).get(URL, {"warned": "true"}).json()
    assert [row["id"] for row in listed["results"]] == [data["id"]]
    assert client_of(cast.coordinator).get(URL, {"warned": "false"}).json()["count"] == 0
    assert client_of(cast.coordinator).get(f"{URL}{data['id']}/").status_code == 200


def test_an_incident_needs_no_alert(cast):
    created = client_of(cast.coordinator).post(URL, body(), format="json")
    assert created.status_code == 201
    assert created.json()["alerts"] == [] and created.json()["preceded_by_alert"] is False


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"community": "U-1-1-1"}, "community"),
        ({"community": 12.5}, "community"),
        ({"occurred_at": "2026-01-02T09:00:00"}, "occurred_at"),
        ({"occurred_at": "2999-01-01T00:00:00Z"}, "occurred_at"),
        ({"kind": "nope"}, "kind"),
        ({"severity": 3}, "severity"),
        ({"description": 42}, "description"),
        ({"description": "a\x00b"}, "description"),
        ({"alerts": ["1"]}, "alerts"),
        ({"alerts": [987654]}, "alerts"),
    ],
)
def test_bad_input_answers_400_by_field_and_saves_nothing(cast, overrides, field):
    response = client_of(cast.coordinator).post(URL, body(**overrides), format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Incident.objects.exists()


def test_analysts_may_not_record(cast):
    assert client_of(cast.analyst).post(URL, body(), format="json").status_code == 403
    assert client_of(cast.analyst).get(URL).json()["count"] == 0


def test_an_alert_of_its_community_shortly_before_counts_as_a_warning_without_a_link(raised, cast, client):
    now = timezone.now().isoformat()
    after = client_of(cast.coordinator).post(URL, body(occurred_at=now), format="json").json()
    before = client_of(cast.coordinator).post(URL, body(occurred_at="2026-01-02T09:00:00+08:00"), format="json").json()
    assert (after["alerts"], after["preceded_by_alert"]) == ([], True)  # the rule of learning.quality.warned
    assert before["preceded_by_alert"] is False  # long before the alert opened
    client.force_login(cast.coordinator)
    page = client.get("/incidents/").content.decode()
    assert "An alert of its community came before it" in page and "No alert before it" in page
