"""The audit trail in the admin (audit/admin.py): administrators read it, nobody edits it."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse

from audit.models import AuditEvent


def test_administrators_read_the_audit_trail_in_the_admin_and_nobody_edits_it(cast, raised, client):
    row = AuditEvent.objects.order_by("id").first()
    model_admin = admin.site._registry[AuditEvent]
    client.force_login(cast.admin)
    listing = client.get(reverse("admin:audit_auditevent_changelist"))
    assert listing.status_code == 200
    assert row in listing.context["cl"].result_list
    assert client.get(reverse("admin:audit_auditevent_changelist"), {"q": str(row.object_id)}).status_code == 200
    assert client.get(reverse("admin:audit_auditevent_change", args=[row.pk])).status_code == 200
    assert client.post(reverse("admin:audit_auditevent_change", args=[row.pk]), {"detail": "x"}).status_code == 403
    assert client.get(reverse("admin:audit_auditevent_delete", args=[row.pk])).status_code == 403
    assert client.get(reverse("admin:audit_auditevent_add")).status_code == 403
    cast.coordinator.is_staff = cast.coordinator.is_superuser = True
    cast.coordinator.save()
    request = type("R", (), {"user": cast.coordinator})()
    assert model_admin.has_view_permission(request)
    assert not any(
        (
            model_admin.has_add_permission(request),
            model_admin.has_change_permission(request, row),
            model_admin.has_delete_permission(request, row),
        )
    )
    cast.coordinator.is_superuser = False
    cast.coordinator.save()
    client.force_login(cast.coordinator)  # staff, but not an administrator
    assert client.get(reverse("admin:audit_auditevent_changelist")).status_code == 403
    row.refresh_from_db()
    assert row.detail == "opened (high)"
