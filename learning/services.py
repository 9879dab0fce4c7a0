"""Writes of the learning app: recording an incident (audited).

An incident may come with no alert before it: the misses are what recall counts."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.choices import AuditAction
from audit.services import audit_record
from ewers.choices import RegionLevel
from ewers.models import Region, User
from ewers.permissions import permission_require
from learning.choices import DESCRIPTION_MAX_LENGTH, IncidentKind, IncidentSeverity
from learning.models import Incident
from learning.permissions import MAY_NOT_RECORD, incident_may_record
from learning.selectors import incident_alerts_linkable


@transaction.atomic
def incident_record(
    *,
    user: User,
    community: Region,
    occurred_at: datetime,
    kind: str,
    severity: str,
    description: str,
    alert_ids: Iterable[int] = (),
    now: datetime | None = None,
) -> Incident:
    """Record an incident in a community the user's organisation covers, linked to the
    alerts ``alert_ids`` (of that community, opened before it, visible to the user) that
    warned of it; an alert the user cannot see is "unknown", like one that does not exist.

    Every problem is a ``ValidationError`` by field, found before anything is written."""
    permission_require(incident_may_record(user), MAY_NOT_RECORD)
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    # Outside the coverage a community is "unknown": its existence is not confirmed.
    if community.level != RegionLevel.COMMUNITY or community.pk not in user.covered_community_ids:
        errors.setdefault("community", []).append(_("Unknown community."))
    if timezone.is_naive(occurred_at):
        errors.setdefault("occurred_at", []).append(_("Give the time with its time zone."))
    elif occurred_at > now:
        errors.setdefault("occurred_at", []).append(_("An incident cannot be in the future."))
    if kind not in IncidentKind.values:
        errors.setdefault("kind", []).append(_("Choose a kind of incident."))
    if severity not in IncidentSeverity.values:
        errors.setdefault("severity", []).append(_("Choose a severity: low, moderate, high or critical."))
    description = (description or "").strip()
    if not description:
        errors.setdefault("description", []).append(_("Describe what happened."))
    elif len(description) > DESCRIPTION_MAX_LENGTH:
        errors.setdefault("description", []).append(_("At most %(n)d characters.") % {"n": DESCRIPTION_MAX_LENGTH})
    elif "\x00" in description:
        errors.setdefault("description", []).append(_("The text contains a NUL character."))
    wanted = set(alert_ids)
    linked = list(incident_alerts_linkable(user).filter(pk__in=wanted))
    if len(linked) != len(wanted):
        errors.setdefault("alerts", []).append(_("Unknown alert."))
    for alert in linked:
        if alert.community_id != community.pk:
            errors.setdefault("alerts", []).append(_("Alert #%(id)d is of another community.") % {"id": alert.pk})
        elif "occurred_at" not in errors and alert.opened_at > occurred_at:
            errors.setdefault("alerts", []).append(
                _("Alert #%(id)d opened after the incident: it did not warn of it.") % {"id": alert.pk}
            )
    if errors:
        raise ValidationError(errors)
    assert user.organisation is not None  # incident_may_record: members of an organisation only
    incident = Incident.objects.create(
        community=community,
        occurred_at=occurred_at,
        kind=kind,
        severity=severity,
        description=description,
        organisation=user.organisation,
        recorded_by=user,
        recorded_at=now,
    )
    incident.alerts.set(linked)
    # The description stays out of the trail (it may name people): kind, severity, links.
    links = ",".join(str(a.pk) for a in sorted(linked, key=lambda a: a.pk)) or "none"
    audit_record(
        action=AuditAction.STATE_CHANGE,
        actor=user,
        object_type="incident",
        object_id=incident.pk,
        detail=f"incident recorded: {kind} {severity} in community {community.pk}; alerts {links}",
        at=now,
    )
    return incident
