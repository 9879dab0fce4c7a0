"""Writes of the alerts app: raising, escalating, routing and closing alerts, and the
response workflow of their assignments.

An alert is decided by the pure rule ``alerts.rules.alert_decide`` from each new risk
assessment and routed by the pure ``alerts.routing.route``; both run inside the scoring
transaction, so an alert and its assignments commit together. Every change adds an
``AlertEvent`` (the timeline) and an audit row; notifications are rows written in the
same transaction, and their e-mails are queued once it commits (the overdue sweep sends
any a broker outage left behind).

Every action locks its row (``select_for_update``) and checks the state after the lock,
so of two concurrent actions on one assignment only one wins; the other gets
``StateConflict``.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from alerts.choices import (
    ASSIGNMENT_ACTIVE_STATES,
    AlertEventKind,
    AlertState,
    AssignmentState,
    IncidentOutcome,
    NotificationKind,
)
from alerts.models import Alert, AlertEvent, Assignment, Notification
from alerts.routing import (
    AlertFact,
    AssignmentAction,
    OrganisationFact,
    TransitionNotAllowed,
    acknowledge_due,
    assignment_allowed_actions,
    assignment_next_state,
    route,
    tightened_due,
)
from alerts.rules import AlertAction, alert_decide
from alerts.selectors import organisations_assignable, responders_active
from audit.choices import AuditAction
from audit.services import audit_record
from ewers.choices import RiskLevel, Role
from ewers.models import Organisation, Region, User
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


class StateConflict(TransitionNotAllowed):
    """The action is not allowed from the object's current state (API 409, a message in
    the pages); ``str()`` is a sentence for the user."""


_ACTION_NAMES: dict[str, Promise] = {
    AssignmentAction.ACKNOWLEDGE: gettext_lazy("acknowledged"),
    AssignmentAction.START: gettext_lazy("started"),
    AssignmentAction.COMPLETE: gettext_lazy("completed"),
    AssignmentAction.DECLINE: gettext_lazy("declined"),
}


def _conflict(assignment: Assignment, action: str) -> StateConflict:
    return StateConflict(
        _("This assignment is %(state)s: it cannot be %(action)s now.")
        % {"state": assignment.get_state_display().lower(), "action": str(_ACTION_NAMES.get(action, action))}
    )


# --- Who may act ------------------------------------------------------------------


def alert_may_manage(user: User, alert: Alert) -> bool:
    """Verify, resolve, dismiss, assign and move: coordinators covering the community.

    Reads the user's covered communities once per user object (``covered_community_ids``),
    so it costs no query per row in a list.
    """
    return bool(
        user.is_active
        and user.role == Role.COORDINATOR
        and user.organisation_id is not None
        and alert.community_id in user.covered_community_ids
    )


def assignment_may_work(user: User, assignment: Assignment) -> bool:
    """Acknowledge, start, complete, decline: active responders of the assigned organisation.

    Coordinators do not act for an organisation: its own people answer for it.
    """
    return bool(
        user.is_active
        and user.role == Role.RESPONDER
        and user.organisation_id is not None
        and user.organisation_id == assignment.organisation_id
    )


# A coordinator can move an assignment still owed, or one declined and not yet moved.
_MOVABLE = (*ASSIGNMENT_ACTIVE_STATES, AssignmentState.DECLINED)
# A coordinator may hand an alert back to an organisation that declined it or whose
# assignment was withdrawn; one that completed it, or still works on it, has it already.
ASSIGNMENT_REOPENABLE_STATES = (AssignmentState.DECLINED, AssignmentState.WITHDRAWN)


def assignment_may_move(assignment: Assignment) -> bool:
    """Whether a coordinator may move it to another organisation (``assignment_move``):
    still owed, or declined, and not moved already."""
    return assignment.state in _MOVABLE and assignment.replaced_by_id is None


def assignment_may_reopen(assignment: Assignment) -> bool:
    """Whether its organisation may be given the alert again (``alert_assign``)."""
    return assignment.state in ASSIGNMENT_REOPENABLE_STATES


def assignment_actions(assignment: Assignment) -> list[str]:
    """The workflow actions its current state allows (``AssignmentAction`` values)."""
    return assignment_allowed_actions(assignment.state)


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied(_("You may not do this."))


# --- Timeline and audit -----------------------------------------------------------


def _event(
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


def _audit(
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


# --- Routing ----------------------------------------------------------------------


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


def _new_assignment(alert: Alert, organisation: Organisation, *, at: datetime) -> Assignment:
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
        _event(alert, AlertEventKind.ESCALATED, at=at, organisation=assignment.organisation_id, level=alert.level)
        _audit(assignment, f"level {previous} → {alert.level}", actor=None, at=at)
        _notify_responders(assignment, NotificationKind.ESCALATED, at=at)
    created: list[Assignment] = []
    # One read of the organisations the alert newly goes to (their names are in the messages).
    newcomers = Organisation.objects.in_bulk([pk for pk in qualifying if pk not in existing])
    for organisation_id in qualifying:
        if organisation_id in existing:
            continue
        assignment = _new_assignment(alert, newcomers[organisation_id], at=at)
        _event(alert, AlertEventKind.ASSIGNED, at=at, organisation=organisation_id, level=alert.level)
        _audit(assignment, "routed → pending", actor=None, at=at, action=AuditAction.ASSIGNMENT_CREATED)
        _notify_responders(assignment, NotificationKind.ASSIGNED, at=at)
        created.append(assignment)
    return created


def alert_dispatch(*, alert: Alert, event: AlertEvent) -> None:
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


# --- Notifications ----------------------------------------------------------------


def _responders(organisation_id: int) -> list[User]:
    return list(responders_active().filter(organisation=organisation_id).order_by("pk"))


def _coordinators(community: Region) -> list[User]:
    """Active coordinators whose organisation's coverage contains the community."""
    return list(
        User.objects.filter(
            role=Role.COORDINATOR,
            is_active=True,
            organisation__is_active=True,
            organisation__coverage__in=list(community.lineage_ids),
        )
        .distinct()
        .order_by("pk")
    )


_SUBJECTS: dict[str, Promise] = {
    NotificationKind.ASSIGNED: gettext_lazy(
        "Alert #%(alert)s (%(level)s), %(community)s: assigned to %(organisation)s"
    ),
    NotificationKind.ESCALATED: gettext_lazy("Alert #%(alert)s escalated to %(level)s, %(community)s"),
    NotificationKind.OVERDUE: gettext_lazy(
        "Alert #%(alert)s (%(level)s), %(community)s: %(organisation)s has not acknowledged in time"
    ),
    NotificationKind.DECLINED: gettext_lazy(
        "Alert #%(alert)s (%(level)s), %(community)s: declined by %(organisation)s"
    ),
    NotificationKind.MOVED: gettext_lazy("Alert #%(alert)s (%(level)s), %(community)s: moved to %(organisation)s"),
}


def _when(at: datetime) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M %Z")


def _message(kind: str, alert: Alert, assignment: Assignment | None) -> tuple[str, str]:
    """Subject and plain-text body: alert, community, level, deadline and a link.

    Never a narrative or a source reference: e-mail leaves the system.
    """
    # Routing and the sweep load the community (and the organisation) with the alert, so
    # a message costs no query; elsewhere the first read caches them on the objects.
    community = alert.community
    organisation = assignment.organisation.name if assignment is not None else ""
    values = {
        "alert": alert.pk,
        "level": alert.get_level_display(),
        "community": f"{community.name} ({community.code})",
        "organisation": organisation,
    }
    subject = "[EWERS] " + (str(_SUBJECTS[kind]) % values)
    lines = [
        _("Alert #%(alert)s — level %(level)s") % values,
        _("Community: %(community)s") % values,
    ]
    if assignment is not None:
        lines.append(_("Organisation: %(organisation)s") % values)
        lines.append(_("Assignment: %(state)s") % {"state": assignment.get_state_display()})
        if assignment.state == AssignmentState.PENDING:
            lines.append(_("Acknowledge by: %(due)s") % {"due": _when(assignment.due_at)})
    link = settings.EWERS_SITE_URL + reverse("alerts:detail", args=[alert.pk])
    lines += ["", _("Open the alert: %(link)s") % {"link": link}, ""]
    lines.append(_("You receive this because your organisation works on this alert in EWERS."))
    return subject[:200], "\n".join(lines) + "\n"


def _notify(
    users: Sequence[User], kind: str, *, alert: Alert, assignment: Assignment | None, at: datetime
) -> list[Notification]:
    """One in-app notification per user; e-mails to those with an address follow the commit."""
    if not users:
        return []
    subject, body = _message(kind, alert, assignment)
    notifications = Notification.objects.bulk_create(
        Notification(user=u, kind=kind, alert=alert, assignment=assignment, subject=subject, body=body, created_at=at)
        for u in users
    )
    ids = [n.pk for n in notifications if n.pk is not None]
    transaction.on_commit(lambda: _queue_emails(ids))
    return notifications


def _notify_responders(assignment: Assignment, kind: str, *, at: datetime) -> list[Notification]:
    return _notify(_responders(assignment.organisation_id), kind, alert=assignment.alert, assignment=assignment, at=at)


def _notify_coordinators(
    assignment: Assignment, kind: str, *, at: datetime, coordinators: list[User] | None = None
) -> list[Notification]:
    """``coordinators``: the community's, when the caller has read them already."""
    alert = assignment.alert
    if coordinators is None:
        coordinators = _coordinators(alert.community)
    return _notify(coordinators, kind, alert=alert, assignment=assignment, at=at)


def _queue_emails(ids: list[int]) -> None:
    """After commit: queue the e-mails; a broker that is down is logged, and the overdue
    sweep sends them later (no e-mail is lost)."""
    from alerts import tasks

    try:
        tasks.notifications_email.delay(ids)
    except Exception:
        logger.exception("could not queue notification e-mails %r; the sweep will send them", ids)


def notifications_email(*, notification_ids: list[int] | None = None) -> int:
    """Send the e-mails of notifications not sent yet (all, or those named); return how many.

    Each is sent while its row is locked (``skip_locked``: the queued task and the sweep
    never both take one) and marked sent in the same transaction, after the send. A worker
    that dies between the two leaves the row unmarked, so the sweep sends it again: at
    least once, never lost. A failed send is left for the next sweep.
    """
    pending = Notification.objects.filter(emailed_at__isnull=True, user__is_active=True, user__email__gt="")
    if notification_ids is not None:
        pending = pending.filter(pk__in=notification_ids)
    sent = 0
    connection = get_connection()
    for pk in list(pending.order_by("pk").values_list("pk", flat=True)[:500]):
        with transaction.atomic():
            notification = (
                Notification.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("user")
                .filter(pk=pk, emailed_at__isnull=True)
                .first()
            )
            if notification is None:
                continue  # another sender holds it, or has sent it
            message = EmailMessage(
                subject=notification.subject,
                body=notification.body,
                to=[notification.user.email],
                connection=connection,
            )
            try:
                message.send()
            except Exception:
                logger.exception("could not send notification %s; the sweep will try again", pk)
                continue
            notification.emailed_at = timezone.now()
            notification.save(update_fields=["emailed_at"])
        sent += 1
    return sent


def notification_mark_read(*, user: User, notification_ids: list[int] | None, at: datetime | None = None) -> int:
    """Mark the user's own notifications read (all of them when ``notification_ids`` is None)."""
    unread = Notification.objects.visible_to(user).unread()
    if notification_ids is not None:
        unread = unread.filter(pk__in=notification_ids)
    return unread.update(read_at=at or timezone.now())


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
        _audit(alert, f"opened ({alert.level})", actor=None, at=at)
        alert_route(alert=alert, at=at, themes=alert_themes(contributions, indicators))
        transaction.on_commit(lambda: alert_dispatch(alert=alert, event=event))
        return alert
    if decision.action == AlertAction.ESCALATE and open_alert is not None:
        previous = open_alert.get_level_display()
        previous_code = open_alert.level
        open_alert.level = decision.level
        open_alert.assessment = assessment
        open_alert.escalated_at = at
        open_alert.explanation = alert_explanation(contributions, indicators)
        open_alert.save(update_fields=["level", "assessment", "escalated_at", "explanation"])
        note = _("From %(previous)s. ") % {"previous": previous} + _score_note(assessment, triggered)
        event = _event(open_alert, AlertEventKind.ESCALATED, at=at, level=open_alert.level, note=note)
        _audit(open_alert, f"escalated {previous_code} → {open_alert.level}", actor=None, at=at)
        alert_route(alert=open_alert, at=at, themes=alert_themes(contributions, indicators))
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

    Closing starts the cooldown: the community does not raise again at this level or a
    lower one for EWERS_ALERT_COOLDOWN_DAYS. Pending assignments are withdrawn (nobody
    need acknowledge a closed alert); work already under way may still be completed, so
    its outcome reaches the timeline. Called by ``alert_resolve`` and ``alert_dismiss``
    only, inside their transaction, with the alert locked, open and the user allowed.
    """
    at = at or timezone.now()
    if state not in (AlertState.RESOLVED, AlertState.DISMISSED):
        raise ValidationError({"state": [_("An alert is closed as resolved or dismissed.")]})
    note = _text(note, "note", _("Say why the alert is closed."))
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
    for assignment in Assignment.objects.select_for_update().filter(alert=alert, state=AssignmentState.PENDING):
        assignment.state = AssignmentState.WITHDRAWN
        assignment.finished_at = at
        assignment.save(update_fields=["state", "finished_at"])
        # The event names its organisation, so only that organisation (and the
        # coordinators) see it on the timeline.
        _event(alert, AlertEventKind.WITHDRAWN, at=at, actor=user, organisation=assignment.organisation_id)
        _audit(assignment, "pending → withdrawn", actor=user, at=at)
    # Written last, so the timeline ends with the closing and its note.
    kind = AlertEventKind.RESOLVED if state == AlertState.RESOLVED else AlertEventKind.DISMISSED
    _event(alert, kind, at=at, actor=user, level=alert.level, note=note)
    _audit(alert, f"open → {state}", actor=user, at=at)
    return alert


# --- Coordinators' actions on an alert -------------------------------------------


def _lock_alert(alert: Alert, user: User) -> Alert:
    """Check who acts, then lock the alert's row and read its current state."""
    _require(alert_may_manage(user, alert))
    return Alert.objects.select_for_update().get(pk=alert.pk)


def alert_require_open(alert: Alert) -> None:
    """``StateConflict`` unless the alert is open. Every coordinator action checks it under
    the alert's lock; the API also checks it first, so a closed alert answers 409 whatever
    the body."""
    if alert.state != AlertState.OPEN:
        raise StateConflict(
            _("This alert is %(state)s: it can no longer be changed.") % {"state": alert.get_state_display().lower()}
        )


@transaction.atomic
def alert_verify(*, alert: Alert, user: User, at: datetime | None = None) -> Alert:
    """A coordinator has reviewed the open alert and vouches for it."""
    at = at or timezone.now()
    alert = _lock_alert(alert, user)
    alert_require_open(alert)
    if alert.verified:
        raise StateConflict(_("This alert is already verified."))
    alert.verified = True
    alert.verified_at = at
    alert.verified_by = user
    alert._history_user = user  # type: ignore[attr-defined]  # simple-history's hook
    alert.save(update_fields=["verified", "verified_at", "verified_by"])
    _event(alert, AlertEventKind.VERIFIED, at=at, actor=user, level=alert.level)
    _audit(alert, "unverified → verified", actor=user, at=at)
    return alert


@transaction.atomic
def alert_resolve(*, alert: Alert, user: User, note: str, outcome: str, at: datetime | None = None) -> Alert:
    """Close the alert with a note and whether an incident followed (yes / no / unknown)."""
    alert = _lock_alert(alert, user)
    alert_require_open(alert)
    return _alert_close(alert=alert, user=user, state=AlertState.RESOLVED, note=note, outcome=outcome, at=at)


@transaction.atomic
def alert_dismiss(*, alert: Alert, user: User, note: str, at: datetime | None = None) -> Alert:
    """Close the alert as a false alarm, with a note; pending assignments are withdrawn."""
    alert = _lock_alert(alert, user)
    alert_require_open(alert)
    return _alert_close(alert=alert, user=user, state=AlertState.DISMISSED, note=note, at=at)


def _assignable_or_invalid(alert: Alert, organisation: Organisation) -> None:
    """A coordinator may hand an alert to an organisation of ``organisations_assignable``
    (mandate and lowest level are the coordinator's call)."""
    if not organisations_assignable(alert).filter(pk=organisation.pk).exists():
        raise ValidationError(
            {"organisation": [_("Choose an active organisation that covers this community and has responders.")]}
        )


def _give(alert: Alert, organisation: Organisation, *, user: User, at: datetime, kind: str) -> Assignment:
    """Make (or re-open, when it declined or was withdrawn) the organisation's assignment."""
    _assignable_or_invalid(alert, organisation)
    assignment = Assignment.objects.select_for_update().filter(alert=alert, organisation=organisation).first()
    if assignment is not None and not assignment_may_reopen(assignment):
        raise ValidationError({"organisation": [_("This organisation already has this alert.")]})
    if assignment is None:
        assignment = _new_assignment(alert, organisation, at=at)
        _audit(
            assignment,
            f"assigned by coordinator → {assignment.state}",
            actor=user,
            at=at,
            action=AuditAction.ASSIGNMENT_CREATED,
        )
    else:
        previous = assignment.state
        assignment.state = AssignmentState.PENDING
        assignment.level = alert.level
        assignment.due_at = acknowledge_due(alert.level, at, settings.EWERS_ACK_HOURS)
        assignment.acknowledged_at = assignment.started_at = assignment.finished_at = None
        assignment.overdue_notified_at = None
        assignment.replaced_by = None
        assignment.reason = ""
        assignment.save()
        assignment.organisation = organisation  # the same row: its name goes into the message
        _audit(assignment, f"{previous} → pending (re-assigned)", actor=user, at=at)
    _event(alert, AlertEventKind.ASSIGNED, at=at, actor=user, organisation=organisation.pk, level=alert.level)
    _notify_responders(assignment, kind, at=at)
    return assignment


@transaction.atomic
def alert_assign(*, alert: Alert, user: User, organisation: Organisation, at: datetime | None = None) -> Assignment:
    """A coordinator adds an organisation to an open alert."""
    at = at or timezone.now()
    alert = _lock_alert(alert, user)
    alert_require_open(alert)
    return _give(alert, organisation, user=user, at=at, kind=NotificationKind.ASSIGNED)


@transaction.atomic
def assignment_move(
    *, assignment: Assignment, user: User, organisation: Organisation, at: datetime | None = None
) -> Assignment:
    """A coordinator moves an assignment (declined, or still active) to another organisation.

    The old one is withdrawn (if still active) and points at the new one, which leaves
    the coordinators' queue of declined assignments. Returns the new assignment.
    """
    at = at or timezone.now()
    alert = _lock_alert(assignment.alert, user)
    alert_require_open(alert)
    old = Assignment.objects.select_for_update().get(pk=assignment.pk)
    if not assignment_may_move(old):
        raise StateConflict(
            _("This assignment is %(state)s: it cannot be moved.") % {"state": old.get_state_display().lower()}
        )
    if organisation.pk == old.organisation_id:
        raise ValidationError({"organisation": [_("Choose another organisation.")]})
    new = _give(alert, organisation, user=user, at=at, kind=NotificationKind.MOVED)
    previous = old.state
    if old.state in ASSIGNMENT_ACTIVE_STATES:
        old.state = AssignmentState.WITHDRAWN
        old.finished_at = at
    old.replaced_by = new
    old.save(update_fields=["state", "finished_at", "replaced_by"])
    # Named with the old organisation only: it need not learn who took over.
    _event(alert, AlertEventKind.REASSIGNED, at=at, actor=user, organisation=old.organisation_id)
    _audit(old, f"{previous} → {old.state} (moved to assignment {new.pk})", actor=user, at=at)
    return new


# --- Responders' actions on their assignment -------------------------------------


def _transition(assignment: Assignment, user: User, action: str) -> tuple[Assignment, str]:
    """Check who acts, lock the row, check the state after the lock; return it and the old state."""
    _require(assignment_may_work(user, assignment))
    locked = Assignment.objects.select_for_update().get(pk=assignment.pk)
    try:
        next_state = assignment_next_state(locked.state, action)
    except TransitionNotAllowed:
        raise _conflict(locked, action) from None
    previous = locked.state
    locked.state = next_state
    return locked, previous


def _record(
    assignment: Assignment, previous: str, kind: str, *, user: User, at: datetime, note: str = ""
) -> Assignment:
    assignment._history_user = user  # type: ignore[attr-defined]  # simple-history's hook
    assignment.save()
    alert = Alert.objects.get(pk=assignment.alert_id)
    assignment.alert = alert
    _event(alert, kind, at=at, actor=user, organisation=assignment.organisation_id, level=alert.level, note=note)
    _audit(assignment, f"{previous} → {assignment.state}", actor=user, at=at)
    return assignment


@transaction.atomic
def assignment_acknowledge(*, assignment: Assignment, user: User, at: datetime | None = None) -> Assignment:
    """The organisation has seen the alert and takes it on."""
    at = at or timezone.now()
    locked, previous = _transition(assignment, user, AssignmentAction.ACKNOWLEDGE)
    locked.acknowledged_at = at
    return _record(locked, previous, AlertEventKind.ACKNOWLEDGED, user=user, at=at)


@transaction.atomic
def assignment_start(*, assignment: Assignment, user: User, at: datetime | None = None) -> Assignment:
    """Work on the ground has started."""
    at = at or timezone.now()
    locked, previous = _transition(assignment, user, AssignmentAction.START)
    locked.started_at = at
    return _record(locked, previous, AlertEventKind.STARTED, user=user, at=at)


def _text(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value or "\x00" in value:
        raise ValidationError({field: [message]})
    return value


@transaction.atomic
def assignment_complete(*, assignment: Assignment, user: User, outcome: str, at: datetime | None = None) -> Assignment:
    """The work is done; the outcome goes onto the alert's timeline."""
    at = at or timezone.now()
    outcome = _text(outcome, "outcome", _("Say what was done and what came of it."))
    locked, previous = _transition(assignment, user, AssignmentAction.COMPLETE)
    locked.finished_at = at
    locked.outcome = outcome
    return _record(locked, previous, AlertEventKind.COMPLETED, user=user, at=at, note=outcome)


@transaction.atomic
def assignment_decline(*, assignment: Assignment, user: User, reason: str, at: datetime | None = None) -> Assignment:
    """The organisation cannot take the alert on; it goes back to the coordinators' queue."""
    at = at or timezone.now()
    reason = _text(reason, "reason", _("Say why your organisation declines."))
    locked, previous = _transition(assignment, user, AssignmentAction.DECLINE)
    locked.finished_at = at
    locked.reason = reason
    done = _record(locked, previous, AlertEventKind.DECLINED, user=user, at=at, note=reason)
    if done.alert.state == AlertState.OPEN:  # a closed alert needs no one else: no queue
        _notify_coordinators(done, NotificationKind.DECLINED, at=at)
    return done


# --- Deadlines --------------------------------------------------------------------

# How many overdue assignments one run marks; the next run (a minute later) takes the rest.
OVERDUE_BATCH = 200


@transaction.atomic
def assignments_mark_overdue(*, at: datetime | None = None) -> int:
    """Mark pending assignments past their deadline: a timeline event, an audit row and the
    covering coordinators told, once per assignment (``overdue_notified_at``).

    Rows another run holds are skipped (SKIP LOCKED on PostgreSQL), so two runs at once
    never mark one twice. Returns how many were marked.
    """
    at = at or timezone.now()
    due = (
        Assignment.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(state=AssignmentState.PENDING, due_at__lt=at, overdue_notified_at__isnull=True)
        .select_related("alert__community", "organisation")
        .order_by("due_at", "pk")[:OVERDUE_BATCH]
    )
    # Many overdue assignments share a community: its coordinators are read once a sweep.
    coordinators: dict[int, list[User]] = {}
    marked = 0
    for assignment in due:
        assignment.overdue_notified_at = at
        assignment.save(update_fields=["overdue_notified_at"])
        _event(
            assignment.alert,
            AlertEventKind.OVERDUE,
            at=at,
            organisation=assignment.organisation_id,
            level=assignment.alert.level,
        )
        _audit(assignment, "pending: overdue", actor=None, at=at)
        community = assignment.alert.community
        if community.pk not in coordinators:
            coordinators[community.pk] = _coordinators(community)
        _notify_coordinators(assignment, NotificationKind.OVERDUE, at=at, coordinators=coordinators[community.pk])
        marked += 1
    return marked
