"""Routing glue: the facts the pure rule (``alerts.routing.route``) needs, read from the
database, and the assignments it decides, written with their events and notifications."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime

from django.conf import settings

from alerts.choices import (
    ASSIGNMENT_ACTIVE_STATES,
    AlertEventKind,
    AssignmentState,
    NotificationKind,
)
from alerts.models import Alert, Assignment
from alerts.routing import AlertFact, OrganisationFact, acknowledge_due, route, tightened_due
from alerts.selectors import responders_active
from alerts.services.notifications import responders_notify
from alerts.services.timeline import audit_add, event_add
from audit.choices import AuditAction
from ewers.choices import RiskLevel
from ewers.models import Organisation
from indicators.models import Indicator
from indicators.scoring import ContributionFact


def alert_themes(contributions: Sequence[ContributionFact], indicators: dict[int, Indicator]) -> frozenset[str]:
    """The themes of every indicator that raised the score (all positive contributions, a
    trigger's included), not only the few the explanation keeps: an organisation whose
    mandate meets any of them is concerned."""
    return frozenset(
        indicators[c.indicator_id].theme.code for c in contributions if c.amount > 0 and c.indicator_id in indicators
    )


def _responding_organisation_ids(organisation_ids: Iterable[int]) -> set[int]:
    """Active organisations with at least one active responder."""
    return set(
        responders_active()
        .filter(organisation__in=list(organisation_ids))
        .values_list("organisation_id", flat=True)
        .distinct()
    )


def _organisation_facts(places: frozenset[int]) -> list[OrganisationFact]:
    """The organisations covering any of ``places``, as routing facts: three queries."""
    covers: dict[int, set[int]] = defaultdict(set)
    coverage = Organisation.coverage.through.objects.filter(region_id__in=places)
    for organisation_id, region_id in coverage.values_list("organisation_id", "region_id"):
        covers[organisation_id].add(region_id)
    themes: dict[int, set[str]] = defaultdict(set)
    mandate = Organisation.mandate.through.objects.filter(organisation_id__in=list(covers))
    for organisation_id, code in mandate.values_list("organisation_id", "theme__code"):
        themes[organisation_id].add(code)
    responding = _responding_organisation_ids(covers)
    levels = dict(Organisation.objects.filter(pk__in=list(covers)).values_list("pk", "min_alert_level"))
    return [
        OrganisationFact(
            id=pk,
            covers=frozenset(covers[pk]),
            themes=frozenset(themes[pk]),
            min_level=levels[pk],
            responds=pk in responding,
        )
        for pk in sorted(levels)
    ]


def assignment_new(alert: Alert, organisation: Organisation, *, at: datetime) -> Assignment:
    return Assignment.objects.create(
        alert=alert,
        organisation=organisation,
        level=alert.level,
        created_at=at,
        due_at=acknowledge_due(alert.level, at, settings.EWERS_ACK_HOURS),
    )


def alert_route(*, alert: Alert, at: datetime, themes: frozenset[str]) -> list[Assignment]:
    """Assign the alert to every organisation that qualifies now; return the new assignments.

    Called inside the scoring transaction when an alert opens or escalates. On an
    escalation, organisations that newly qualify get an assignment; every assignment
    still active gets a timeline event, the new level and, while pending, the sooner of
    its deadline and the new level's; its responders are told.
    """
    community = alert.community  # read once here; every notification's message reuses it
    places = community.lineage_ids
    fact = AlertFact(community_id=community.pk, places=places, level=alert.level, themes=themes)
    qualifying = route(fact, _organisation_facts(places))
    existing = {
        a.organisation_id: a
        for a in Assignment.objects.select_for_update(of=("self",)).select_related("organisation").filter(alert=alert)
    }
    for assignment in existing.values():
        assignment.alert = alert
    hours = settings.EWERS_ACK_HOURS
    for assignment in existing.values():
        if assignment.state not in ASSIGNMENT_ACTIVE_STATES:
            continue
        if RiskLevel.rank(assignment.level) >= RiskLevel.rank(alert.level):
            continue
        previous = assignment.level
        assignment.level = alert.level
        if assignment.state == AssignmentState.PENDING:
            assignment.due_at = tightened_due(assignment.due_at, alert.level, at, hours)
        assignment.save(update_fields=["level", "due_at"])
        event_add(alert, AlertEventKind.ESCALATED, at=at, organisation=assignment.organisation_id, level=alert.level)
        audit_add(assignment, f"level {previous} → {alert.level}", actor=None, at=at)
        responders_notify(assignment, NotificationKind.ESCALATED, at=at)
    created: list[Assignment] = []
    # One read of the organisations the alert newly goes to (their names are in the messages).
    newcomers = Organisation.objects.in_bulk([pk for pk in qualifying if pk not in existing])
    for organisation_id in qualifying:
        if organisation_id in existing:
            continue
        assignment = assignment_new(alert, newcomers[organisation_id], at=at)
        event_add(alert, AlertEventKind.ASSIGNED, at=at, organisation=organisation_id, level=alert.level)
        audit_add(assignment, "routed → pending", actor=None, at=at, action=AuditAction.ASSIGNMENT_CREATED)
        responders_notify(assignment, NotificationKind.ASSIGNED, at=at)
        created.append(assignment)
    return created
