"""The audit rows the alert and assignment changes write (alerts/services/timeline.py): they
hold no protected value."""

from __future__ import annotations

from alerts.services import alert_dismiss, assignment_decline
from audit.models import AuditEvent
from tests.conftest import NARRATIVE, SOURCE


def test_audit_rows_hold_no_protected_value(cast, raised):
    alert, assignment = raised
    assignment_decline(assignment=assignment, user=cast.cso_user, reason=NARRATIVE)
    alert_dismiss(alert=alert, user=cast.coordinator, note=NARRATIVE)
    for detail in AuditEvent.objects.values_list("detail", flat=True):
        assert NARRATIVE not in detail and SOURCE not in detail
