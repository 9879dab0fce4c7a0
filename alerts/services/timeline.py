"""The alert's timeline and the audit trail: every change of an alert or an assignment
writes one event (shown on the alert page to those it concerns) and one audit row."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

from django.core.exceptions import ValidationError

from alerts.models import Alert, AlertEvent, Assignment
from audit.choices import AuditAction
from audit.services import AuditEntry, audit_record_many
from ewers.models import Organisation, User


def event_add(
    alert: Alert,
    kind: str,
    *,
    at: datetime,
    actor: User | None = None,
    organisation: Organisation | int | None = None,
    level: str = "",
    note: str = "",
) -> AlertEvent:
    organisation_id = organisation.pk if isinstance(organisation, Organisation) else organisation
    return AlertEvent.objects.create(
        alert=alert, kind=kind, at=at, actor=actor, organisation_id=organisation_id, level=level, note=note
    )


# The audit rows held back by ``audit_deferred`` (None: written at once).
_deferred: ContextVar[list[AuditEntry] | None] = ContextVar("alerts_audit_deferred", default=None)


def audit_entry(
    obj: Alert | Assignment,
    detail: str,
    *,
    actor: User | None,
    at: datetime,
    action: str = AuditAction.STATE_CHANGE,
) -> AuditEntry:
    """The audit row of a change of an alert or an assignment."""
    return AuditEntry(
        action=action,
        actor=actor,
        object_type="alert" if isinstance(obj, Alert) else "assignment",
        object_id=obj.pk,
        detail=detail,
        at=at,
    )


def audit_add(
    obj: Alert | Assignment,
    detail: str,
    *,
    actor: User | None,
    at: datetime,
    action: str = AuditAction.STATE_CHANGE,
) -> None:
    audits_add([audit_entry(obj, detail, actor=actor, at=at, action=action)])


def audits_add(entries: Sequence[AuditEntry]) -> None:
    """Append audit rows in their order: at once, or at the end of ``audit_deferred``'s block."""
    held = _deferred.get()
    if held is not None:
        held.extend(entries)
    else:
        audit_record_many(entries)


@contextmanager
def audit_deferred() -> Iterator[None]:
    """Write the audit rows of the block at its end, in their order, in one append (none if
    it fails: its transaction rolls back anyway). Appending to the audit chain holds the
    chain's lock until the transaction commits, and every writer of the trail (each API
    request) waits for it: the scorer's alerting of a batch holds it from here to its
    commit, not from its first alert on."""
    rows: list[AuditEntry] = []
    token = _deferred.set(rows)
    try:
        yield
    finally:
        _deferred.reset(token)
    audit_record_many(rows)


def text_required(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value or "\x00" in value:
        raise ValidationError({field: [message]})
    return value
