"""Routing glue: the facts the pure rules (``alerts.routing``) need, read from the database,
and the assignments they decide, written with their events and notifications.

An alert's routing state is kept on it (``Alert.routing``): the themes that route, those
whose police go at once, and the response tier each theme has reached. Opening or
escalating an alert routes it (``alert_route``); a decline or a missed deadline at a
theme's current tier brings the next tier in, once (``alert_tier_raise``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from django.conf import settings

from alerts.choices import (
    ASSIGNMENT_ACTIVE_STATES,
    AlertEventKind,
    AssignmentState,
    NotificationKind,
)
from alerts.models import Alert, Assignment
from alerts.routing import (
    AlertFact,
    OrganisationFact,
    Routing,
    acknowledge_due,
    route,
    theme_shares,
    themes_routed,
    tier_raise,
    tightened_due,
)
from alerts.services.notifications import responders_notify
from alerts.services.routing_reads import organisations_covering, tier_table
from alerts.services.timeline import audit_add, event_add
from audit.choices import AuditAction
from ewers.choices import RiskLevel
from ewers.models import Organisation, Theme
from indicators.models import Indicator
from indicators.scoring import ContributionFact


def alert_theme_shares(
    contributions: Sequence[ContributionFact], indicators: Mapping[int, Indicator]
) -> dict[str, float]:
    """Each theme's share of the positive contribution, over every contribution (not only
    the few the explanation keeps), rounded for storage."""
    amounts = ((indicators[c.indicator_id].theme.code, c.amount) for c in contributions if c.indicator_id in indicators)
    return {theme: round(share, 4) for theme, share in theme_shares(amounts).items()}


def alert_routing_themes(
    shares: Mapping[str, float],
    trigger_indicator_ids: Iterable[int],
    indicators: Mapping[int, Indicator],
    police: Collection[str] | None = None,
) -> tuple[frozenset[str], frozenset[str]]:
    """The themes that route (a share of at least EWERS_ROUTE_MIN_SHARE, or a trigger at its
    critical threshold), and those of them whose police go at once (``Theme.police_at_once``;
    ``police``: those themes' codes, when the caller has read them)."""
    triggers = {indicators[i].theme.code for i in trigger_indicator_ids if i in indicators}
    routed = themes_routed(shares, triggers, settings.EWERS_ROUTE_MIN_SHARE)
    if police is not None:
        return routed, frozenset(t for t in routed if t in police)
    at_once = frozenset(Theme.objects.filter(code__in=routed, police_at_once=True).values_list("code", flat=True))
    return routed, at_once


def organisation_facts(places: frozenset[int]) -> list[OrganisationFact]:
    """The active organisations covering any of ``places``, as routing facts."""
    return organisations_covering(places).facts


def _alert_fact(alert: Alert) -> AlertFact:
    routing: dict[str, Any] = alert.routing or {}
    return AlertFact(
        community_id=alert.community_id,
        places=alert.community.lineage_ids,
        level=alert.level,
        themes=frozenset(routing.get("themes", [])),
        police_at_once=frozenset(routing.get("police_at_once", [])),
    )


def assignment_new(alert: Alert, organisation: Organisation, *, at: datetime, tier: int | None = None) -> Assignment:
    return Assignment.objects.create(
        alert=alert,
        organisation=organisation,
        level=alert.level,
        tier=tier,
        created_at=at,
        due_at=acknowledge_due(alert.level, at, settings.EWERS_ACK_HOURS),
    )


def _escalate_existing(alert: Alert, existing: Iterable[Assignment], *, at: datetime) -> None:
    """Active assignments follow the alert up: the new level, a tighter deadline while
    pending, an event and their responders told."""
    hours = settings.EWERS_ACK_HOURS
    for assignment in existing:
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


def _assign_routed(
    alert: Alert, decided: Routing, existing: Mapping[int, Assignment], *, at: datetime
) -> list[Assignment]:
    """An assignment for each organisation routing chose that has none yet on the alert."""
    created: list[Assignment] = []
    # One read of the organisations the alert newly goes to (their names are in the messages).
    newcomers = Organisation.objects.in_bulk([pk for pk in decided.organisations if pk not in existing])
    for organisation_id in decided.organisations:
        if organisation_id in existing:
            continue
        tier = decided.tiers.get(organisation_id)
        assignment = assignment_new(alert, newcomers[organisation_id], at=at, tier=tier)
        event_add(alert, AlertEventKind.ASSIGNED, at=at, organisation=organisation_id, level=alert.level)
        audit_add(
            assignment, f"routed at tier {tier} → pending", actor=None, at=at, action=AuditAction.ASSIGNMENT_CREATED
        )
        responders_notify(assignment, NotificationKind.ASSIGNED, at=at)
        created.append(assignment)
    return created


def _existing(alert: Alert, *, lock: bool = True) -> dict[int, Assignment]:
    """The alert's assignments by organisation; locked when they are to be changed."""
    assignments = Assignment.objects.select_related("organisation").filter(alert=alert)
    if lock:
        assignments = assignments.select_for_update(of=("self",))
    existing = {a.organisation_id: a for a in assignments}
    for assignment in existing.values():
        assignment.alert = alert  # the loaded alert (and its community) for the messages
    return existing


def alert_route(
    *, alert: Alert, at: datetime, themes: frozenset[str], police_at_once: frozenset[str] = frozenset()
) -> list[Assignment]:
    """Route the alert to the organisations the rule chooses now; return the new assignments.

    Called inside the scoring transaction when an alert opens or escalates. The routed
    themes add to those it already had (an escalation never takes one away); each theme
    keeps the tier it reached. On an escalation, every active assignment gets the new level
    and, while pending, the sooner of its deadline and the new level's; its responders are
    told.
    """
    routing: dict[str, Any] = dict(alert.routing or {})
    routing["themes"] = sorted(set(routing.get("themes", [])) | themes)
    routing["police_at_once"] = sorted(set(routing.get("police_at_once", [])) | police_at_once)
    alert.routing = routing
    fact = _alert_fact(alert)
    decided = route(fact, organisation_facts(fact.places), tier_table(fact.themes), routing.get("reached", {}))
    alert.routing = {**routing, "reached": dict(decided.reached)}
    alert.save(update_fields=["routing"])
    existing = _existing(alert)
    _escalate_existing(alert, existing.values(), at=at)
    return _assign_routed(alert, decided, existing, at=at)


def alert_tier_raise(
    *, alert: Alert, failed: Assignment, at: datetime, facts: list[OrganisationFact] | None = None
) -> list[Assignment]:
    """After ``failed`` declined or missed its deadline: bring the next tier in for each
    theme it answered at that theme's current tier — once (the theme's tier moves up, so
    the same tier failing again brings no one more). Returns the new assignments.

    Called under the alert's or the assignment's lock, inside the action's transaction.
    ``facts``: the organisations covering the community, when the caller has read them
    (the overdue sweep, once per community).
    """
    # Read again under the alert's lock: two failures of one tier (two declines at once, or
    # a sweep marking two overdue assignments of one alert) raise it once. FOR NO KEY
    # UPDATE: the timeline rows other actions insert (a KEY SHARE on the alert) do not block
    # it, so two declines cannot deadlock on it.
    alert.routing = (
        Alert.objects.select_for_update(of=("self",), no_key=True).values_list("routing", flat=True).get(pk=alert.pk)
    )
    fact = _alert_fact(alert)
    routing: dict[str, Any] = dict(alert.routing or {})
    reached: dict[str, int] = dict(routing.get("reached", {}))
    if not reached:
        return []
    facts = facts if facts is not None else organisation_facts(fact.places)
    failed_fact = next((o for o in facts if o.id == failed.organisation_id), None)
    if failed_fact is None:
        return []
    tiers = tier_table(fact.themes)
    raised = tier_raise(fact, facts, tiers, reached, failed_fact)
    if raised == reached:
        return []
    routing["reached"] = raised
    alert.routing = routing
    alert.save(update_fields=["routing"])
    decided = route(fact, facts, tiers, raised)
    # Only read: the alert's lock serialises tier raises, and the assignments being acted on
    # stay locked by their own actions (locking them here would deadlock with those).
    existing = _existing(alert, lock=False)
    moved = sorted(t for t in raised if raised[t] != reached.get(t))
    names = dict(Theme.objects.filter(code__in=moved).values_list("code", "name"))
    note = "; ".join(f"{names.get(t, t)}: tier {reached.get(t)} → {raised[t]}" for t in moved)
    event_add(alert, AlertEventKind.TIER_RAISED, at=at, level=alert.level, note=note)
    audit_add(alert, f"next tier after assignment {failed.pk}: " + ", ".join(moved), actor=None, at=at)
    return _assign_routed(alert, decided, existing, at=at)
