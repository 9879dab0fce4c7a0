"""Registering monitors' numbers in the admin: typed once, then only masked; audited."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from intake.models import SenderNumber
from tests.intake.conftest import CLEAR

pytestmark = pytest.mark.django_db
ADD = "/admin/intake/sendernumber/add/"


def test_an_administrator_registers_a_number_that_is_then_only_shown_masked(cast, admin_client):
    response = admin_client.post(ADD, {"user": cast.analyst.pk, "number": "+60 12 345 6789", "language": "ms"})
    assert response.status_code == 302, response.content.decode()[:2000]
    row = SenderNumber.objects.get()
    assert (row.user, row.masked, row.language) == (cast.analyst, "+60 1•• ••• •789", "ms")
    pages = [
        admin_client.get("/admin/intake/sendernumber/").content.decode(),
        admin_client.get(f"/admin/intake/sendernumber/{row.pk}/change/").content.decode(),
        admin_client.get("/admin/audit/auditevent/").content.decode(),
    ]
    assert "+60 1•• ••• •789" in pages[0]
    for page in pages:
        assert CLEAR[0] not in page
    event = AuditEvent.objects.get(object_type="sender_number")
    assert event.detail == f"phone number +60 1•• ••• •789 registered for {cast.analyst.username}"


def test_a_refused_number_is_not_sent_back_to_the_browser(cast, admin_client):
    admin_client.post(ADD, {"user": cast.analyst.pk, "number": "+60123456789", "language": "en"})
    response = admin_client.post(ADD, {"user": cast.coordinator.pk, "number": "+60123456789", "language": "en"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "already registered" in page and CLEAR[0] not in page
    assert SenderNumber.objects.count() == 1


def test_removing_a_number_is_audited(cast, admin_client):
    admin_client.post(ADD, {"user": cast.analyst.pk, "number": "+60123456789", "language": "en"})
    row = SenderNumber.objects.get()
    response = admin_client.post(f"/admin/intake/sendernumber/{row.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302 and not SenderNumber.objects.exists()
    assert AuditEvent.objects.filter(object_type="sender_number", detail__contains="removed").exists()
