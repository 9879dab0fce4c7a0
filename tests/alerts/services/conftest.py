"""The audit trail of an alert or an assignment, as the services' tests read it."""

from __future__ import annotations

from audit.models import AuditEvent


def audit_details(object_type, object_id):
    return list(
        AuditEvent.objects.filter(object_type=object_type, object_id=str(object_id))
        .order_by("id")
        .values_list("detail", flat=True)
    )
