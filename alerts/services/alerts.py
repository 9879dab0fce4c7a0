"""Alerts: raised, escalated or held back after each assessment (the pure rule
``alerts.rules.alert_decide``), verified and closed by coordinators."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from alerts.choices import (
    ASSIGNMENT_ACTIVE_STATES,
    AlertEventKind,
    AlertState,
    AssignmentState,
    HandoffState,
    IncidentOutcome,
)
from alerts.models import Alert, AlertEvent, Assignment, Handoff
from alerts.permissions import MAY_NOT_MANAGE, alert_may_manage
from alerts.rules import AlertAction, AlertDecision, alert_decide
from alerts.services.notifications import holders_notify_closed
from alerts.services.routing import alert_route, alert_routing_themes, alert_theme_shares
from alerts.services.timeline import audit_add, event_add, text_required
from ewers.choices import RiskLevel
from ewers.exceptions import StateConflict
from ewers.models import User
from ewers.permissions import permission_require
from indicators.models import Indicator, RiskAssessment
from indicators.scoring import ContributionFact

logger = logging.getLogger(__name__)


# How many contributions an alert keeps as its explanation.
EXPLANATION_SIZE = 5
# The organisations told that an alert closed: those that still held it then, or had
# finished their share on it (not those it was moved or withdrawn from before).
ASSIGNMENT_HELD_AT_CLOSE = (AssignmentState.CLOSED, AssignmentState.COMPLETED, AssignmentState.DECLINED)


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


def score_note(assessment: RiskAssessment, triggered: bool, previous: str = "") -> str:
    """The note of an opening or escalation, in the site's language whoever's request made
    it (``score_note_shown`` gives it in the reader's)."""
    with translation.override(settings.LANGUAGE_CODE):
        return _score_note_text(assessment.score, assessment.level, triggered, previous)


def _score_note_text(score: float, level: str, triggered: bool, previous: str) -> str:
    note = _("Score %(score).1f (%(level)s).") % {"score": score, "level": RiskLevel(level).label}
    if previous:
        note = _("From %(previous)s. ") % {"previous": RiskLevel(previous).label} + note
    if triggered:
        note += " " + _("A trigger reading reached its critical threshold.")
    return note


def score_note_shown(note: str) -> str:
    """An event note written by ``score_note`` in the current language; any other note as
    it is (a person's words, or a note from before the site's language was fixed)."""
    with translation.override(settings.LANGUAGE_CODE):
        levels = {str(label): value for value, label in RiskLevel.choices}
        trigger = " " + _("A trigger reading reached its critical threshold.")
    found = _SCORE_NOTE.match(note.removesuffix(trigger))
    if found is None or found["level"] not in levels or (found["previous"] and found["previous"] not in levels):
        return note
    previous = levels[found["previous"]] if found["previous"] else ""
    return _score_note_text(float(found["score"]), levels[found["level"]], note.endswith(trigger), previous)


# What score_note writes in English: "From High. Score 81.0 (Critical)."
_SCORE_NOTE = re.compile(r"^(?:From (?P<previous>[^.]+)\. )?Score (?P<score>-?[0-9.]+) \((?P<level>[^)]+)\)\.$")


# A community's open alert (locked) and the highest level still cooling down there.
Situation = tuple[Alert | None, str | None]


def alert_situations(assessments: Sequence[RiskAssessment]) -> dict[int, Situation]:
    """For each assessment (one per community, as a scoring batch makes them), its
    community's situation at the assessment's time, in two queries: the open alerts locked
    in community order, and the closed alerts still cooling down."""
    if not assessments:
        return {}
    communities = sorted({a.community_id for a in assessments})
    open_alerts = {
        a.community_id: a
        for a in Alert.objects.select_for_update()
        .filter(community__in=communities, state=AlertState.OPEN)
        .order_by("community_id")
    }
    cooling = list(
        Alert.objects.filter(community__in=communities, cooldown_until__gt=min(a.assessed_at for a in assessments))
        .exclude(state=AlertState.OPEN)
        .values_list("community_id", "cooldown_until", "level")
    )
    found: dict[int, Situation] = {}
    for assessment in assessments:
        levels = sorted(
            (
                level
                for c, until, level in cooling
                if c == assessment.community_id and until is not None and until > assessment.assessed_at
            ),
            key=RiskLevel.rank,
        )
        found[assessment.pk] = (open_alerts.get(assessment.community_id), levels[-1] if levels else None)
    return found


def alert_decision(
    assessment: RiskAssessment, *, previous_level: str | None, triggered: bool, known: Situation
) -> AlertDecision:
    """What ``alerts.rules.alert_decide`` says of a new assessment in its community's situation."""
    open_alert, cooling_level = known
    return alert_decide(
        level=assessment.level,
        previous_level=previous_level,
        triggered=triggered,
        alert_from=settings.EWERS_ALERT_LEVEL,
        open_level=open_alert.level if open_alert else None,
        cooldown_level=cooling_level,
    )


def alert_consider(
    *,
    assessment: RiskAssessment,
    previous_level: str | None,
    contributions: Sequence[ContributionFact],
    triggered: bool,
    indicators: dict[int, Indicator],
    triggers: Sequence[tuple[int, int]] = (),
    known: Situation | None = None,
) -> Alert | None:
    """Open, escalate or leave the community's alert after a new assessment.

    ``triggers`` are the (indicator, report) of fresh trigger readings at their critical
    threshold: their themes route whatever their share.

    ``known``: the community's situation read ahead for a batch (``alert_situations``).
    Runs inside the scoring transaction, which holds the community's row lock, so two
    assessments of one community cannot both open an alert (the partial unique index
    "one open alert per community" is the last guard).
    """
    at = assessment.assessed_at
    if known is None:  # not read ahead for a batch (``alert_situations``): read it here
        known = alert_situations([assessment])[assessment.pk]
    open_alert, cooling_level = known
    decision = alert_decision(assessment, previous_level=previous_level, triggered=triggered, known=known)
    if decision.action == AlertAction.OPEN:
        alert = Alert.objects.create(
            community_id=assessment.community_id,
            level=decision.level,
            assessment=assessment,
            explanation=alert_explanation(contributions, indicators),
            opened_at=at,
        )
        event = event_add(
            alert, AlertEventKind.OPENED, at=at, level=alert.level, note=score_note(assessment, triggered)
        )
        audit_add(alert, f"opened ({alert.level})", actor=None, at=at)
        _route_assessment(alert, at=at, contributions=contributions, indicators=indicators, triggers=triggers)
        transaction.on_commit(lambda: alert_log_handover(alert=alert, event=event))
        return alert
    if decision.action == AlertAction.ESCALATE and open_alert is not None:
        previous_code = open_alert.level
        open_alert.level = decision.level
        open_alert.assessment = assessment
        open_alert.escalated_at = at
        open_alert.explanation = alert_explanation(contributions, indicators)
        open_alert.save(update_fields=["level", "assessment", "escalated_at", "explanation"])
        note = score_note(assessment, triggered, previous=previous_code)
        event = event_add(open_alert, AlertEventKind.ESCALATED, at=at, level=open_alert.level, note=note)
        audit_add(open_alert, f"escalated {previous_code} → {open_alert.level}", actor=None, at=at)
        _route_assessment(open_alert, at=at, contributions=contributions, indicators=indicators, triggers=triggers)
        transaction.on_commit(lambda: alert_log_handover(alert=open_alert, event=event))
        return open_alert
    if decision.action == AlertAction.SUPPRESSED:
        logger.info(
            "alert for community %s at %s held back by a cooldown at %s",
            assessment.community_id,
            assessment.level,
            cooling_level,
        )
    return open_alert


def _route_assessment(
    alert: Alert,
    *,
    at: datetime,
    contributions: Sequence[ContributionFact],
    indicators: dict[int, Indicator],
    triggers: Sequence[tuple[int, int]],
) -> None:
    """Route the alert on the themes of the assessment that opened or escalated it."""
    alert.theme_shares = alert_theme_shares(contributions, indicators)
    alert.save(update_fields=["theme_shares"])
    themes, police_at_once = alert_routing_themes(alert.theme_shares, (i for i, _r in triggers), indicators)
    alert_route(alert=alert, at=at, themes=themes, police_at_once=police_at_once)


def alert_log_handover(*, alert: Alert, event: AlertEvent) -> None:
    """Called once an alert opens or escalates, after the transaction commits: a log line
    for operators that the alert was handed over.

    Routing and the notification rows are committed with the alert; their e-mails are
    queued by ``_notify``'s own commit hook, not here.
    """
    logger.info(
        "alert %s %s: community=%s level=%s event=%s",
        alert.pk,
        event.kind,
        alert.community_id,
        alert.level,
        event.pk,
    )


def _alert_close(
    *,
    alert: Alert,
    user: User,
    state: str,
    note: str,
    outcome: str | None = None,
    at: datetime | None = None,
) -> Alert:
    """Resolve (with an incident outcome) or dismiss (a false alarm) an open alert.

    Closing the loop (PRODUCT.md, "Trust between sectors"): every live assignment —
    pending, acknowledged or in progress — ends as ``closed``, open handover proposals
    lapse, and every organisation that held the alert is told, with the outcome; each keeps
    a closing summary. Closing starts the cooldown: the community does not raise again at
    this level or a lower one for EWERS_ALERT_COOLDOWN_DAYS. Called by ``alert_resolve``
    and ``alert_dismiss`` only, inside their transaction, with the alert locked, open and
    the user allowed.
    """
    at = at or timezone.now()
    if state not in (AlertState.RESOLVED, AlertState.DISMISSED):
        raise ValidationError({"state": [_("An alert is closed as resolved or dismissed.")]})
    note = text_required(note, "note", _("Say why the alert is closed."))
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
    assignments = list(
        Assignment.objects.select_for_update(of=("self",)).select_related("organisation").filter(alert=alert)
    )
    for assignment in assignments:
        if assignment.state not in ASSIGNMENT_ACTIVE_STATES:
            continue
        previous = assignment.state
        assignment.state = AssignmentState.CLOSED
        assignment.finished_at = at
        assignment._history_user = user  # type: ignore[attr-defined]
        assignment.save(update_fields=["state", "finished_at"])
        # The event names its organisation, so only that organisation (and the
        # coordinators) see it on the timeline.
        event_add(alert, AlertEventKind.CLOSED, at=at, actor=user, organisation=assignment.organisation_id)
        audit_add(assignment, f"{previous} → closed (alert {state})", actor=user, at=at)
    Handoff.objects.filter(assignment__alert=alert, state=HandoffState.PROPOSED).update(
        state=HandoffState.LAPSED, answered_at=at
    )
    # Written last, so the timeline ends with the closing and its note.
    kind = AlertEventKind.RESOLVED if state == AlertState.RESOLVED else AlertEventKind.DISMISSED
    event_add(alert, kind, at=at, actor=user, level=alert.level, note=note)
    audit_add(alert, f"open → {state}", actor=user, at=at)
    holders_notify_closed(alert, [a for a in assignments if a.state in ASSIGNMENT_HELD_AT_CLOSE], at=at)
    return alert


def alert_lock(alert: Alert, user: User) -> Alert:
    """Check who acts, then lock the alert's row and read its current state."""
    permission_require(alert_may_manage(user, alert), MAY_NOT_MANAGE)
    return Alert.objects.select_for_update().get(pk=alert.pk)


def alert_closed_message(alert: Alert) -> str:
    """What a later action is told about a closed alert: that it was closed, when and by whom."""
    who = alert.closed_by.get_full_name() or alert.closed_by.get_username() if alert.closed_by else ""
    values = {
        "state": alert.get_state_display().lower(),
        "when": timezone.localtime(alert.closed_at).strftime("%Y-%m-%d %H:%M") if alert.closed_at else "",
        "who": who,
    }
    return _("This alert was %(state)s on %(when)s by %(who)s: it can no longer be changed.") % values


def alert_require_open(alert: Alert) -> None:
    """``StateConflict`` unless the alert is open (naming when and by whom it was closed).
    Every action checks it under a lock; the API also checks it first, so a closed alert
    answers 409 whatever the body."""
    if alert.state != AlertState.OPEN:
        raise StateConflict(alert_closed_message(alert))


@transaction.atomic
def alert_verify(*, alert: Alert, user: User, at: datetime | None = None) -> Alert:
    """A coordinator has reviewed the open alert and vouches for it."""
    at = at or timezone.now()
    alert = alert_lock(alert, user)
    alert_require_open(alert)
    if alert.verified:
        raise StateConflict(_("This alert is already verified."))
    alert.verified = True
    alert.verified_at = at
    alert.verified_by = user
    alert._history_user = user  # type: ignore[attr-defined]  # simple-history's hook
    alert.save(update_fields=["verified", "verified_at", "verified_by"])
    event_add(alert, AlertEventKind.VERIFIED, at=at, actor=user, level=alert.level)
    audit_add(alert, "unverified → verified", actor=user, at=at)
    return alert


@transaction.atomic
def alert_resolve(*, alert: Alert, user: User, note: str, outcome: str, at: datetime | None = None) -> Alert:
    """Close the alert with a note and whether an incident followed (yes / no / unknown)."""
    alert = alert_lock(alert, user)
    alert_require_open(alert)
    return _alert_close(alert=alert, user=user, state=AlertState.RESOLVED, note=note, outcome=outcome, at=at)


@transaction.atomic
def alert_dismiss(*, alert: Alert, user: User, note: str, at: datetime | None = None) -> Alert:
    """Close the alert as a false alarm, with a note; live assignments end with it."""
    alert = alert_lock(alert, user)
    alert_require_open(alert)
    return _alert_close(alert=alert, user=user, state=AlertState.DISMISSED, note=note, at=at)
