"""The incident pages: list, form (errors on the page, never a half-save), detail."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from learning.models import Incident

pytestmark = pytest.mark.django_db


def form(cast, **overrides):
    values = {
        "community": cast.places["c1"].pk,
        "occurred_at": "2026-01-02T09:00",
        "kind": "property",
        "severity": "moderate",
        "description": "The prayer hall's windows were broken.",
    }
    values.update(overrides)
    return values


def test_a_coordinator_records_an_incident_with_its_alert_and_reads_it(client, raised, cast):
    alert, _ = raised
    alert.opened_at -= timedelta(hours=1)  # the form's times are to the minute
    alert.save(update_fields=["opened_at"])
    client.force_login(cast.coordinator)
    page = client.get("/incidents/new/")
    assert page.status_code == 200 and f"#{alert.pk}" in page.content.decode()
    now = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    response = client.post("/incidents/new/", form(cast, alerts=[alert.pk], occurred_at=now))
    incident = Incident.objects.get()
    assert response.status_code == 302 and response.url == f"/incidents/{incident.pk}/"
    detail = client.get(response.url).content.decode()
    assert "The prayer hall&#x27;s windows were broken." in detail and f"/alerts/{alert.pk}/" in detail
    listing = client.get("/incidents/").content.decode()
    assert f"/incidents/{incident.pk}/" in listing


def test_a_missed_incident_is_marked_as_such(client, cast):
    client.force_login(cast.coordinator)
    client.post("/incidents/new/", form(cast))
    assert "No alert before it" in client.get("/incidents/").content.decode()


def test_bad_input_comes_back_as_form_errors(client, cast):
    client.force_login(cast.cso_user)
    for bad in ({"community": cast.places["c2"].pk}, {"occurred_at": "2999-01-01T00:00"}, {"description": ""}):
        response = client.post("/incidents/new/", form(cast, **bad))
        assert response.status_code == 400
        assert response.context["form"].errors
    assert not Incident.objects.exists()
