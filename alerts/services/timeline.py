"""The alert's timeline and the audit trail: every change of an alert or an assignment
writes one event (shown on the alert page to those it concerns) and one audit row."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError

from alerts.models import Alert, AlertEvent, Assignment
from audit.choices import AuditAction
from audit.services import audit_record
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


def audit_add(
    obj: Alert | Assignment,
    detail: str,
    *,
    actor: User | None,
    at: datetime,
    action: str = AuditAction.STATE_CHANGE,
) -> None:
    audit_record(
        action=action,
        actor=actor,
        object_type="alert" if isinstance(obj, Alert) else "assignment",
        object_id=obj.pk,
        detail=detail,
        at=at,
    )


def text_required(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value or "\x00" in value:
        raise ValidationError({field: [message]})
    return value
