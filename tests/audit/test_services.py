"""Appending many audit rows at once (``audit_record_many``) writes the rows, hashes and
order that appending them one by one (``audit_record``) writes, and the chain verifies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.choices import AuditAction
from audit.models import AuditEvent
from audit.selectors import audit_chain_verify
from audit.services import AuditEntry, audit_record, audit_record_many

START = datetime(2026, 1, 1, tzinfo=UTC)
COLUMNS = ("prev_hash", "hash", "at", "actor_id", "action", "object_type", "object_id", "object_ids", "detail")


class _RolledBack(Exception):
    pass


def _written(append):
    """The rows ``append`` adds after the ones already there, read before it is rolled back."""
    found: list[tuple[object, ...]] = []
    try:
        with transaction.atomic():
            last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
            append()
            assert audit_chain_verify().intact
            found = list(AuditEvent.objects.filter(id__gt=last).order_by("id").values_list(*COLUMNS))
            raise _RolledBack
    except _RolledBack:
        pass
    return found


ENTRY = st.builds(
    AuditEntry,
    action=st.sampled_from([AuditAction.STATE_CHANGE, AuditAction.ASSIGNMENT_CREATED]),
    object_type=st.sampled_from(["alert", "assignment"]),
    object_id=st.integers(min_value=1, max_value=10**6),
    object_ids=st.lists(st.integers(min_value=1, max_value=99), max_size=3),
    detail=st.text(max_size=320).filter(lambda t: "\x00" not in t),
    at=st.integers(min_value=0, max_value=10**6).map(lambda s: START + timedelta(seconds=s)),
)


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(entries=st.lists(ENTRY, max_size=8), before=st.integers(min_value=0, max_value=2))
def test_appending_many_writes_what_appending_one_by_one_writes(cast, entries, before):
    for n in range(before):  # a chain that does not start empty
        audit_record(action=AuditAction.STATE_CHANGE, actor=cast.coordinator, detail=f"before {n}", at=START)

    def one_by_one():
        for e in entries:
            audit_record(
                action=e.action,
                actor=e.actor,
                object_type=e.object_type,
                object_id=e.object_id,
                object_ids=e.object_ids,
                detail=e.detail,
                at=e.at,
            )

    alone = _written(one_by_one)
    together = _written(lambda: audit_record_many(entries))
    assert together == alone
    assert len(together) == len(entries)


def test_nothing_to_append_writes_nothing(db):
    assert audit_record_many([]) == []
    assert not AuditEvent.objects.exists()
