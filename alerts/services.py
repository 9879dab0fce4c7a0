"""Writes of the alerts app: raising, escalating and closing alerts, with their timelines.

An alert is decided by the pure rule ``alerts.rules.alert_decide`` from each new risk
assessment. Every change of an alert adds an ``AlertEvent`` (its timeline), and every
opening or escalation passes through ``alert_dispatch``: the seam where routing to
responding organisations plugs in.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from alerts.choices import AlertEventKind, AlertState, AssignmentState, IncidentOutcome
from alerts.models import Alert, AlertEvent, Assignment
from alerts.rules import AlertAction, alert_decide
from ewers.choices import RiskLevel
from ewers.models import Organisation, User
from indicators.models import Indicator, RiskAssessment
from indicators.scoring import ContributionFact

logger = logging.getLogger(__name__)

# How many contributions an alert keeps as its explanation.
EXPLANATION_SIZE = 5


def alert_explanation(
    contributions: Sequence[ContributionFact], indicators: dict[int, Indicator]
) -> list[dict[str, object]]:
    """The top risk contributions, frozen into the alert: why it was raised.

    Only indicator names, report ids and amounts: no narrative, no source.
    """
    drivers = sorted((c for c in contributions if c.amount > 0), key=lambda c: -c.amount)
    total = sum(c.amount for c in drivers) or 1.0
    rows: list[dict[str, object]] = []
    for c in drivers[:EXPLANATION_SIZE]:
        indicator = indicators.get(c.indicator_id)
        rows.append(
            {
                "indicator": indicator.code if indicator else str(c.indicator_id),
                "indicator_name": indicator.name if indicator else "",
                "theme": indicator.theme.code if indicator else "",
                "report": c.report_id,
                "amount": round(c.amount, 4),
                "share": round(c.amount / total, 4),
            }
        )
    return rows


def alert_dispatch(*, alert: Alert, event: AlertEvent) -> None:
    """Called once an alert opens or escalates, after the transaction commits.

    This is where routing to the responding organisations plugs in (PRODUCT.md, step 4).
    Until then the coordinators covering the community see the alert on their pages and
    in the API; this records the hand-over in the log for operators.
    """
    logger.info(
        "alert %s %s: community=%s level=%s event=%s",
        alert.pk,
        event.kind,
        alert.community_id,
        alert.level,
        event.pk,
    )


def _event(
    alert: Alert,
    kind: str,
    *,
    at: datetime,
    actor: User | None = None,
    organisation: Organisation | None = None,
    level: str = "",
    note: str = "",
) -> AlertEvent:
    return AlertEvent.objects.create(
        alert=alert, kind=kind, at=at, actor=actor, organisation=organisation, level=level, note=note
    )


def _score_note(assessment: RiskAssessment, triggered: bool) -> str:
    note = _("Score %(score).1f (%(level)s).") % {"score": assessment.score, "level": assessment.get_level_display()}
    if triggered:
        note += " " + _("A trigger reading reached its critical threshold.")
    return note


def alert_consider(
    *,
    assessment: RiskAssessment,
    previous_level: str | None,
    contributions: Sequence[ContributionFact],
    triggered: bool,
    indicators: dict[int, Indicator],
) -> Alert | None:
    """Open, escalate or leave the community's alert after a new assessment.

    Runs inside the scoring transaction, which holds the community's row lock, so two
    assessments of one community cannot both open an alert (the partial unique index
    "one open alert per community" is the last guard).
    """
    at = assessment.assessed_at
    open_alert = (
        Alert.objects.select_for_update().filter(community=assessment.community_id, state=AlertState.OPEN).first()
    )
    # The highest level still cooling down after a close holds back alerts up to it.
    cooling = sorted(
        Alert.objects.filter(community=assessment.community_id, cooldown_until__gt=at)
        .exclude(state=AlertState.OPEN)
        .values_list("level", flat=True),
        key=RiskLevel.rank,
    )
    decision = alert_decide(
        level=assessment.level,
        previous_level=previous_level,
        triggered=triggered,
        alert_from=settings.EWERS_ALERT_LEVEL,
        open_level=open_alert.level if open_alert else None,
        cooldown_level=cooling[-1] if cooling else None,
    )
    if decision.action == AlertAction.OPEN:
        alert = Alert.objects.create(
            community_id=assessment.community_id,
            level=decision.level,
            assessment=assessment,
            explanation=alert_explanation(contributions, indicators),
            opened_at=at,
        )
        event = _event(alert, AlertEventKind.OPENED, at=at, level=alert.level, note=_score_note(assessment, triggered))
        transaction.on_commit(lambda: alert_dispatch(alert=alert, event=event))
        return alert
    if decision.action == AlertAction.ESCALATE and open_alert is not None:
        previous = open_alert.get_level_display()
        open_alert.level = decision.level
        open_alert.assessment = assessment
        open_alert.escalated_at = at
        open_alert.explanation = alert_explanation(contributions, indicators)
        open_alert.save(update_fields=["level", "assessment", "escalated_at", "explanation"])
        note = _("From %(previous)s. ") % {"previous": previous} + _score_note(assessment, triggered)
        event = _event(open_alert, AlertEventKind.ESCALATED, at=at, level=open_alert.level, note=note)
        transaction.on_commit(lambda: alert_dispatch(alert=open_alert, event=event))
        return open_alert
    if decision.action == AlertAction.SUPPRESSED:
        logger.info(
            "alert for community %s at %s held back by a cooldown at %s",
            assessment.community_id,
            assessment.level,
            cooling[-1],
        )
    return open_alert


@transaction.atomic
def alert_close(
    *,
    alert: Alert,
    user: User,
    state: str,
    note: str,
    outcome: str | None = None,
    at: datetime | None = None,
) -> Alert:
    """Resolve (with an incident outcome) or dismiss (a false alarm) an open alert.

    Closing starts the cooldown: the community does not raise again at this level or a
    lower one for EWERS_ALERT_COOLDOWN_DAYS. Dismissing withdraws pending assignments.
    """
    at = at or timezone.now()
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    if alert.state != AlertState.OPEN:
        raise ValidationError(_("Only an open alert can be closed."), code="state")
    if state not in (AlertState.RESOLVED, AlertState.DISMISSED):
        raise ValidationError({"state": [_("An alert is closed as resolved or dismissed.")]})
    if not note.strip() or "\x00" in note:
        raise ValidationError({"note": [_("Say why the alert is closed.")]})
    if state == AlertState.RESOLVED and outcome not in IncidentOutcome.values:
        raise ValidationError({"outcome": [_("Say whether an incident followed: yes, no or unknown.")]})
    alert.state = state
    alert.closed_at = at
    alert.closed_by = user
    alert.close_note = note
    alert.outcome = outcome if state == AlertState.RESOLVED else None
    alert.cooldown_until = at + timedelta(days=settings.EWERS_ALERT_COOLDOWN_DAYS)
    alert._history_user = user  # type: ignore[attr-defined]  # simple-history's hook
    alert.save()
    kind = AlertEventKind.RESOLVED if state == AlertState.RESOLVED else AlertEventKind.DISMISSED
    _event(alert, kind, at=at, actor=user, level=alert.level, note=note)
    if state == AlertState.DISMISSED:
        for assignment in Assignment.objects.select_for_update().filter(alert=alert, state=AssignmentState.PENDING):
            assignment.state = AssignmentState.WITHDRAWN
            assignment.finished_at = at
            assignment.save(update_fields=["state", "finished_at"])
            # The event names its organisation, so only that organisation (and the
            # coordinators) see it on the timeline.
            _event(alert, AlertEventKind.WITHDRAWN, at=at, actor=user, organisation=assignment.organisation)
    return alert
