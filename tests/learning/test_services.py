"""Recording incidents: with or without a warning, in the recorder's coverage only,
checked whole before anything is written, audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from audit.models import AuditEvent
from learning.models import Incident
from learning.services import incident_record
from tests import factories

pytestmark = pytest.mark.django_db


def record(user, community, **values):
    values.setdefault("occurred_at", timezone.now() - timedelta(hours=1))
    values.setdefault("kind", "clash")
    values.setdefault("severity", "high")
    values.setdefault("description", "Stones thrown between two groups after Friday prayers.")
    return incident_record(user=user, community=community, **values)


def test_it_records_an_incident_no_alert_preceded(cast):
    incident = record(cast.coordinator, cast.places["c2"])
    assert (incident.community, incident.organisation, incident.recorded_by) == (
        cast.places["c2"],
        cast.desk,
        cast.coordinator,
    )
    assert list(incident.alerts.all()) == []
    row = AuditEvent.objects.get(object_type="incident", object_id=str(incident.pk))
    assert row.actor == cast.coordinator and "alerts none" in row.detail
    # The description may name people: it stays out of the trail.
    assert "Stones" not in row.detail


def test_it_links_the_alerts_that_warned_of_it(raised, cast):
    alert, _ = raised
    incident = record(cast.cso_user, cast.places["c1"], alert_ids=[alert.pk], occurred_at=timezone.now())
    assert list(incident.alerts.all()) == [alert]
    assert incident.organisation == cast.cso


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"occurred_at": timezone.now() + timedelta(days=1)}, "occurred_at"),
        ({"kind": "riot-ish"}, "kind"),
        ({"severity": "extreme"}, "severity"),
        ({"description": "   "}, "description"),
        ({"description": "x" * 2001}, "description"),
        ({"description": "a\x00b"}, "description"),
        ({"alert_ids": [999999]}, "alerts"),
    ],
)
def test_it_refuses_bad_input_by_field_and_saves_nothing(cast, values, field):
    with pytest.raises(ValidationError) as error:
        record(cast.coordinator, cast.places["c1"], **values)
    assert field in error.value.message_dict
    assert not Incident.objects.exists()


def test_a_community_outside_the_coverage_is_unknown(cast):
    with pytest.raises(ValidationError) as error:
        record(cast.cso_user, cast.places["c2"])  # the CSO covers c1 only
    assert error.value.message_dict["community"] == ["Unknown community."]


def test_it_links_only_alerts_of_the_community_opened_before_and_in_the_share(raised, cast):
    alert, _ = raised
    with pytest.raises(ValidationError) as error:
        record(cast.coordinator, cast.places["c2"], alert_ids=[alert.pk])
    assert "another community" in error.value.message_dict["alerts"][0]
    with pytest.raises(ValidationError) as error:
        record(cast.coordinator, cast.places["c1"], alert_ids=[alert.pk], occurred_at=alert.opened_at - timedelta(1))
    assert "opened after the incident" in error.value.message_dict["alerts"][0]
    # The police do not hold the alert: to them it is unknown, like one that does not exist.
    with pytest.raises(ValidationError) as error:
        record(cast.police_user, cast.places["c1"], alert_ids=[alert.pk])
    assert error.value.message_dict["alerts"] == ["Unknown alert."]
    assert not Incident.objects.exists()


def test_analysts_and_administrators_do_not_record_incidents(cast):
    for user in (cast.analyst, cast.admin):
        with pytest.raises(PermissionDenied):
            record(user, cast.places["c1"])


def test_a_responder_sees_its_own_and_those_linked_to_alerts_it_holds(raised, cast):
    alert, _ = raised
    police_own = record(cast.police_user, cast.places["c2"])
    linked = record(cast.coordinator, cast.places["c1"], alert_ids=[alert.pk], occurred_at=timezone.now())
    unlinked = record(cast.coordinator, cast.places["c1"])
    visible = set(Incident.objects.visible_to(cast.cso_user))
    assert visible == {linked}
    assert set(Incident.objects.visible_to(cast.police_user)) == {police_own}
    assert set(Incident.objects.visible_to(cast.coordinator)) == {police_own, linked, unlinked}
    assert not Incident.objects.visible_to(cast.analyst).exists()
    other = factories.make_organisation(code="elsewhere", coverage=[cast.other_places["country"]])
    stranger = factories.make_user("stranger", other, "responder")
    assert not Incident.objects.visible_to(stranger).exists()
