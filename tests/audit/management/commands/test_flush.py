"""``manage.py flush`` (audit/management/commands/flush.py): the one way to empty the trail."""

from __future__ import annotations

import pytest
from django.db import DatabaseError

from audit.choices import AuditAction
from audit.models import AuditEvent


@pytest.mark.django_db(transaction=True)
def test_only_a_whole_database_flush_empties_the_audit_trail(cast):
    from django.core.management import call_command

    from audit.services import audit_record

    audit_record(action=AuditAction.ACCESS_DENIED, actor=cast.analyst, status=404)
    with pytest.raises(DatabaseError, match="append-only"):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.count() == 1
    call_command("flush", interactive=False, verbosity=0)  # as the test runner does between tests
    assert not AuditEvent.objects.exists()
