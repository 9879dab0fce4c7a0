"""The triage queue's pages: coordinators covering the community accept (a report they
grade) or discard a message from an unregistered number; both audited; 404 outside."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from indicators.models import FieldReport
from intake.choices import TriageState
from intake.models import TriageItem
from tests.intake.conftest import CLEAR, STRANGER_NUMBER

pytestmark = pytest.mark.django_db


@pytest.fixture
def item(sms):
    body = sms.send("T111 P01 3 C3 Men with flags at the mosque", sender=STRANGER_NUMBER, id="t-1").json()
    assert body["status"] == "triage"
    return TriageItem.objects.get()


@pytest.fixture
def item_out(sms):
    sms.send("U111 P01 2 C3 outside", sender=STRANGER_NUMBER, id="t-2")
    return TriageItem.objects.get(community__code="U-1-1-1")


def test_the_coordinator_sees_the_queue_of_their_coverage_with_masked_senders(cast, client, item, item_out):
    client.force_login(cast.coordinator)
    page = client.get("/triage/").content.decode()
    assert f"/triage/{item.pk}/" in page and f"/triage/{item_out.pk}/" not in page
    assert "+60 1•• ••• •432" in page
    detail = client.get(f"/triage/{item.pk}/").content.decode()
    assert "Men with flags at the mosque" in detail and "+60 1•• ••• •432" in detail
    for digits in CLEAR:
        assert digits not in page and digits not in detail
    assert client.get(f"/triage/{item_out.pk}/").status_code == 404


@pytest.mark.parametrize("who", ["analyst", "police_user", "cso_user", "admin"])
def test_other_roles_have_no_queue(cast, client, item, who):
    client.force_login(getattr(cast, who))
    assert client.get("/triage/").status_code == 403
    assert client.get(f"/triage/{item.pk}/").status_code == 404
    assert (
        client.post(f"/triage/{item.pk}/accept/", {"source_reliability": "B", "information_credibility": 2}).status_code
        == 404
    )
    assert client.post(f"/triage/{item.pk}/discard/").status_code == 404
    assert TriageItem.objects.get().state == TriageState.PENDING


def test_accepting_makes_a_report_the_coordinator_graded_and_is_audited(cast, client, item):
    client.force_login(cast.coordinator)
    response = client.post(f"/triage/{item.pk}/accept/", {"source_reliability": "B", "information_credibility": 2})
    report = FieldReport.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/reports/{report.pk}/"
    assert (report.created_by, report.grading, report.community, report.narrative) == (
        cast.coordinator,
        "B2",
        cast.places["c1"],
        "Men with flags at the mosque",
    )
    assert report.observed_at == item.received_at
    item.refresh_from_db()
    assert (item.state, item.report, item.decided_by) == (TriageState.ACCEPTED, report, cast.coordinator)
    event = AuditEvent.objects.get(object_type="sms_triage")
    assert (event.actor, event.object_id, event.detail) == (
        cast.coordinator,
        str(item.pk),
        f"pending → accepted as report {report.pk}",
    )
    # Twice is once: the second answer says it was already handled.
    again = client.post(f"/triage/{item.pk}/accept/", {"source_reliability": "A", "information_credibility": 1})
    assert again.status_code == 302 and FieldReport.objects.count() == 1
    assert "already handled" in client.get(again["Location"]).content.decode()


def test_discarding_makes_no_report_and_is_audited(cast, client, item):
    client.force_login(cast.coordinator)
    response = client.post(f"/triage/{item.pk}/discard/")
    assert response.status_code == 302 and response["Location"] == "/triage/"
    item.refresh_from_db()
    assert item.state == TriageState.DISCARDED and FieldReport.objects.count() == 0
    assert AuditEvent.objects.get(object_type="sms_triage").detail == "pending → discarded"
    assert (
        client.post(f"/triage/{item.pk}/accept/", {"source_reliability": "B", "information_credibility": 2}).status_code
        == 302
    )
    assert FieldReport.objects.count() == 0
    assert f"/triage/{item.pk}/" in client.get("/triage/?state=discarded").content.decode()
    assert f"/triage/{item.pk}/" not in client.get("/triage/").content.decode()


def test_a_bad_grade_is_a_form_error_and_changes_nothing(cast, client, item):
    client.force_login(cast.coordinator)
    response = client.post(f"/triage/{item.pk}/accept/", {"source_reliability": "G", "information_credibility": 9})
    assert response.status_code == 400
    assert FieldReport.objects.count() == 0 and TriageItem.objects.get().state == TriageState.PENDING
    assert not AuditEvent.objects.filter(object_type="sms_triage").exists()


def test_a_message_whose_indicator_retired_since_cannot_be_accepted_and_says_why(cast, client, item):
    cast.indicator.is_active = False
    cast.indicator.save()
    client.force_login(cast.coordinator)
    response = client.post(f"/triage/{item.pk}/accept/", {"source_reliability": "B", "information_credibility": 2})
    assert response.status_code == 400 and "unknown indicator" in response.content.decode()
    assert FieldReport.objects.count() == 0 and TriageItem.objects.get().state == TriageState.PENDING


def test_the_navigation_offers_the_queue_to_coordinators_only(cast, client):
    client.force_login(cast.coordinator)
    assert "/triage/" in client.get("/").content.decode()
    client.force_login(cast.analyst)
    assert "/triage/" not in client.get("/").content.decode()
