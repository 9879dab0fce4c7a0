"""The database seal on the audit trail (audit/seal.py): no row is changed or deleted."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, transaction

from audit.models import AuditEvent


def test_the_database_refuses_to_change_or_delete_audit_rows(cast, raised):
    row = AuditEvent.objects.order_by("id").first()
    for attempt in (
        lambda: AuditEvent.objects.filter(pk=row.pk).update(detail="rewritten"),
        lambda: AuditEvent.objects.filter(pk=row.pk).delete(),
        lambda: AuditEvent.objects.all().delete(),
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            attempt()
    row.refresh_from_db()
    assert row.detail == "opened (high)"
