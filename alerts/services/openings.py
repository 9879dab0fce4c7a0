"""Alerts opened set-based: every alert a scoring batch opens, with its routing, assignments,
timeline, notifications, history and audit rows, in a fixed handful of statements.

``alert_consider`` opens one alert in about 36 statements (routing's facts read for it
alone, each assignment, event, history and audit row written by itself); a batch opening
sixty alerts took over two thousand. Here the facts are read once for the batch (the
communities, the organisations covering any of them, the themes' tiers and police, the
responders) and every row is inserted in bulk. The rows are those the one-by-one path
writes, in the same order within each table (``tests/alerts/services/test_openings.py``
compares the two): the alerts in community order; for each, its opening event, then an
assignment, an event, an audit row and the responders' notifications per organisation
routing chose; the history rows simple-history writes for the alert's creation and its
two saves (its theme shares, then its routing) and for each assignment's creation.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache, partial
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from simple_history.utils import get_change_reason_from_object

from alerts.choices import AlertEventKind, NotificationKind
from alerts.models import Alert, AlertEvent, Assignment, Notification
from alerts.routing import AlertFact, OrganisationFact, TierTable, acknowledge_due, route
from alerts.services.alerts import alert_explanation, alert_log_handover, score_note
from alerts.services.notifications import notification_new, notifications_email_queue
from alerts.services.routing import alert_routing_themes, alert_theme_shares
from alerts.services.routing_reads import routing_facts
from alerts.services.timeline import audit_entry, audits_add
from audit.choices import AuditAction
from ewers.db.rows import RowsWriter
from indicators.models import Indicator, RiskAssessment
from indicators.scoring import ContributionFact


@dataclass(frozen=True)
class Opening:
    """An alert to open: the assessment that raised it and what the scorer found."""

    assessment: RiskAssessment
    level: str  # the level ``alert_decide`` opens it at
    contributions: Sequence[ContributionFact]
    triggered: bool
    indicators: Mapping[int, Indicator]
    triggers: Sequence[tuple[int, int]] = ()


@cache
def _history_model(model: type[models.Model]) -> Any:
    """``model``'s historical model, found once: simple-history's ``Model.history``
    descriptor builds a new manager class on every access (~0.1 ms, twice an opening)."""
    return model.history.model  # type: ignore[attr-defined]


def _history(model: type[models.Model], rows: Iterable[tuple[models.Model, str]], at: datetime) -> list[Any]:
    """The rows simple-history's ``post_save`` writes for each (instance, "+" or "~"), the
    instance holding the values it had then (not saved yet)."""
    history = _history_model(model)
    tracked = history.tracked_fields
    return [
        history(
            history_date=at,
            history_user=history.get_default_history_user(instance),
            history_change_reason=get_change_reason_from_object(instance),
            history_type=kind,
            **{f.attname: getattr(instance, f.attname) for f in tracked},
        )
        for instance, kind in rows
    ]


def _facts_for(facts: Sequence[OrganisationFact], places: frozenset[int]) -> list[OrganisationFact]:
    """``organisation_facts(places)`` cut from the facts of a wider set of places: the
    organisations covering any of ``places``, each covering only those of them."""
    found = []
    for fact in facts:
        covers = fact.covers & places
        if covers:
            found.append(
                OrganisationFact(
                    id=fact.id,
                    covers=covers,
                    themes=fact.themes,
                    min_level=fact.min_level,
                    responds=fact.responds,
                    sector=fact.sector,
                )
            )
    return found


def _tiers_for(tiers: TierTable, themes: Iterable[str]) -> TierTable:
    return {theme: tiers[theme] for theme in themes if theme in tiers}


@transaction.atomic(savepoint=False)  # inside the scoring batch's transaction: no savepoint needed
def alerts_open(openings: Sequence[Opening]) -> list[Alert]:
    """Open an alert for each of ``openings`` (one per community, none of them with an open
    alert: ``alert_decide`` said so under the communities' locks) and route it, exactly as
    ``alert_consider`` opens one; returns the alerts in the same order."""
    if not openings:
        return []
    # The communities, the police-at-once themes, the tiers and the organisations covering
    # any of the communities: one read (``routing_facts``).
    read = routing_facts({o.assessment.community_id for o in openings})
    communities, police = read.communities, read.police
    alerts: list[Alert] = []
    facts: list[AlertFact] = []
    for opening in openings:
        assessment = opening.assessment
        indicators = dict(opening.indicators)
        alert = Alert(
            community=communities[assessment.community_id],
            level=opening.level,
            assessment=assessment,
            explanation=alert_explanation(opening.contributions, indicators),
            opened_at=assessment.assessed_at,
            theme_shares=alert_theme_shares(opening.contributions, indicators),
        )
        themes = alert_routing_themes(alert.theme_shares, (i for i, _r in opening.triggers), indicators, police)
        alert.routing = {"themes": sorted(themes[0]), "police_at_once": sorted(themes[1])}
        fact = AlertFact(
            community_id=assessment.community_id,
            places=alert.community.lineage_ids,
            level=alert.level,
            themes=frozenset(alert.routing["themes"]),
            police_at_once=frozenset(alert.routing["police_at_once"]),
        )
        alerts.append(alert)
        facts.append(fact)
    covering, tiers = read.covering, read.tiers
    decided = []
    for alert, fact in zip(alerts, facts, strict=True):
        routing = route(fact, _facts_for(covering.facts, fact.places), _tiers_for(tiers, fact.themes), {})
        alert.routing = {**alert.routing, "reached": dict(routing.reached)}
        decided.append(routing)
    named, responders = covering.organisations, covering.responders
    # Every row named as it is made, written together (``RowsWriter``: one statement on PostgreSQL).
    writer = RowsWriter(
        {
            Alert: len(alerts),
            Assignment: (assigned := sum(len(r.organisations) for r in decided)),
            AlertEvent: len(alerts) + assigned,
            Notification: sum(len(responders.get(pk, [])) for r in decided for pk in r.organisations),
        }
    )
    writer.save(alerts)
    now = timezone.now()
    writer.save(_alert_history(alerts, now))

    events: list[AlertEvent] = []
    assignments: list[Assignment] = []
    opened_events: list[AlertEvent] = []
    for opening, alert, routing in zip(openings, alerts, decided, strict=True):
        at = opening.assessment.assessed_at
        opened = AlertEvent(
            alert=alert,
            kind=AlertEventKind.OPENED,
            at=at,
            level=alert.level,
            note=score_note(opening.assessment, opening.triggered),
        )
        events.append(opened)
        opened_events.append(opened)
        for organisation_id in routing.organisations:
            assignments.append(
                Assignment(
                    alert=alert,
                    organisation=named[organisation_id],
                    level=alert.level,
                    tier=routing.tiers.get(organisation_id),
                    created_at=at,
                    due_at=acknowledge_due(alert.level, at, settings.EWERS_ACK_HOURS),
                )
            )
            events.append(
                AlertEvent(
                    alert=alert, kind=AlertEventKind.ASSIGNED, at=at, organisation_id=organisation_id, level=alert.level
                )
            )
    writer.save(assignments)
    writer.save(_history(Assignment, ((a, "+") for a in assignments), now))
    writer.save(events)

    entries = []
    notifications: list[Notification] = []
    by_alert: dict[int, list[Assignment]] = defaultdict(list)
    for assignment in assignments:
        by_alert[id(assignment.alert)].append(assignment)
    for alert in alerts:
        at = alert.opened_at
        entries.append(audit_entry(alert, f"opened ({alert.level})", actor=None, at=at))
        for assignment in by_alert[id(alert)]:
            entries.append(
                audit_entry(
                    assignment,
                    f"routed at tier {assignment.tier} → pending",
                    actor=None,
                    at=at,
                    action=AuditAction.ASSIGNMENT_CREATED,
                )
            )
            notifications += notification_new(
                responders.get(assignment.organisation_id, []),
                NotificationKind.ASSIGNED,
                alert=alert,
                assignment=assignment,
                at=at,
            )
    writer.save(notifications)
    writer.flush()
    audits_add(entries)
    notifications_email_queue(notifications)
    for alert, event in zip(alerts, opened_events, strict=True):
        transaction.on_commit(partial(alert_log_handover, alert=alert, event=event))
    return alerts


def _alert_history(alerts: Sequence[Alert], at: datetime) -> list[Any]:
    """The history rows ``alert_consider`` leaves: its creation (no theme shares or routing
    yet), then its save with the theme shares, then with the routing."""
    rows: list[tuple[models.Model, str]] = []
    for alert in alerts:
        created = Alert(**{f.attname: getattr(alert, f.attname) for f in Alert._meta.concrete_fields})
        created.theme_shares, created.routing = {}, {}
        shared = Alert(**{f.attname: getattr(alert, f.attname) for f in Alert._meta.concrete_fields})
        shared.routing = {}
        rows += [(created, "+"), (shared, "~"), (alert, "~")]
    return _history(Alert, rows, at)
