"""Assignments: coordinators add and move them; the assigned organisation's responders
acknowledge, start, complete or decline; a sweep marks those past their deadline.

Every action locks its row and checks the state after the lock, so of two concurrent
actions on one assignment only one wins; the other gets ``StateConflict``."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from alerts.choices import (
    AlertEventKind,
    AlertState,
    AssignmentState,
    NotificationKind,
)
from alerts.models import Alert, Assignment
from alerts.permissions import (
    MAY_NOT_WORK,
    assignment_may_move,
    assignment_may_work,
)
from alerts.routing import (
    AssignmentAction,
    OrganisationFact,
    TransitionNotAllowed,
    acknowledge_due,
    assignment_next_state,
)
from alerts.selectors import assignment_candidates
from alerts.services.alerts import alert_closed_message, alert_lock, alert_require_open
from alerts.services.notifications import community_coordinators, coordinators_notify, responders_notify
from alerts.services.routing import alert_tier_raise, assignment_new, organisation_facts
from alerts.services.timeline import audit_add, event_add, text_required
from audit.choices import AuditAction
from ewers.exceptions import StateConflict
from ewers.models import Organisation, User
from ewers.permissions import permission_require

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


def _give(
    alert: Alert,
    organisation: Organisation,
    *,
    user: User,
    at: datetime,
    kind: str,
    note: str = "",
    exclude: int | None = None,
) -> Assignment:
    """Make (or re-open, when it declined, was withdrawn or moved) the organisation's
    assignment, if ``assignment_candidates`` lets the coordinator choose it; a mandate that
    does not meet the alert's themes needs a note, which goes into the audit trail."""
    candidate = next(
        (c for c in assignment_candidates(alert, exclude=exclude) if c.organisation.pk == organisation.pk), None
    )
    if candidate is None or candidate.reason is not None:
        reason = candidate.reason if candidate is not None else _("it is not an active organisation")
        raise ValidationError(
            {"organisation": [_("This organisation cannot take the alert: %(reason)s.") % {"reason": reason}]}
        )
    override = ""
    if not candidate.mandate_fits:
        override = text_required(
            note, "note", _("Its mandate does not cover this alert's themes: say why it should take it anyway.")
        )
    assignment = Assignment.objects.select_for_update().filter(alert=alert, organisation=organisation).first()
    if assignment is None:
        assignment = assignment_new(alert, organisation, at=at)
        audit_add(
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
        assignment.tier = None
        assignment.due_at = acknowledge_due(alert.level, at, settings.EWERS_ACK_HOURS)
        assignment.acknowledged_at = assignment.started_at = assignment.finished_at = None
        assignment.overdue_notified_at = None
        assignment.replaced_by = None
        assignment.reason = ""
        assignment.save()
        assignment.organisation = organisation  # the same row: its name goes into the message
        audit_add(assignment, f"{previous} → pending (re-assigned)", actor=user, at=at)
    if override:
        audit_add(assignment, f"mandate override: {override}", actor=user, at=at)
    event_add(
        alert,
        AlertEventKind.ASSIGNED,
        at=at,
        actor=user,
        organisation=organisation.pk,
        level=alert.level,
        note=override,
    )
    responders_notify(assignment, kind, at=at)
    return assignment


@transaction.atomic
def alert_assign(
    *, alert: Alert, user: User, organisation: Organisation, note: str = "", at: datetime | None = None
) -> Assignment:
    """A coordinator adds an organisation to an open alert (any active organisation that
    covers the community and has responders; outside its mandate with a note)."""
    at = at or timezone.now()
    alert = alert_lock(alert, user)
    alert_require_open(alert)
    return _give(alert, organisation, user=user, at=at, kind=NotificationKind.ASSIGNED, note=note)


@transaction.atomic
def assignment_move(
    *, assignment: Assignment, user: User, organisation: Organisation, note: str = "", at: datetime | None = None
) -> Assignment:
    """A coordinator moves an assignment (declined, or still active) to another organisation.

    The old one ends as ``moved`` and points at the new one, which leaves the coordinators'
    queue of declined assignments; its organisation is told (its share ends). Returns the
    new assignment.
    """
    at = at or timezone.now()
    alert = alert_lock(assignment.alert, user)
    alert_require_open(alert)
    old = Assignment.objects.select_for_update().select_related("organisation").get(pk=assignment.pk)
    if not assignment_may_move(old):
        raise StateConflict(
            _("This assignment is %(state)s: it cannot be moved.") % {"state": old.get_state_display().lower()}
        )
    if organisation.pk == old.organisation_id:
        raise ValidationError({"organisation": [_("Choose another organisation.")]})
    new = _give(alert, organisation, user=user, at=at, kind=NotificationKind.MOVED, note=note, exclude=old.pk)
    previous = old.state
    old.state = AssignmentState.MOVED
    old.finished_at = old.finished_at or at
    old.replaced_by = new
    old.save(update_fields=["state", "finished_at", "replaced_by"])
    # Named with the old organisation only: it need not learn who took over.
    event_add(alert, AlertEventKind.REASSIGNED, at=at, actor=user, organisation=old.organisation_id)
    audit_add(old, f"{previous} → moved (to assignment {new.pk})", actor=user, at=at)
    old.alert = alert
    responders_notify(old, NotificationKind.WITHDRAWN, at=at)
    return new


def _transition(assignment: Assignment, user: User, action: str) -> tuple[Assignment, str]:
    """Check who acts, lock the row, check the state after the lock; return it and the old state.

    On a closed alert the answer says when and by whom it was closed."""
    permission_require(assignment_may_work(user, assignment), MAY_NOT_WORK)
    locked = Assignment.objects.select_for_update(of=("self",)).select_related("alert__closed_by").get(pk=assignment.pk)
    if locked.alert.state != AlertState.OPEN:
        raise StateConflict(alert_closed_message(locked.alert))
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
    event_add(alert, kind, at=at, actor=user, organisation=assignment.organisation_id, level=alert.level, note=note)
    audit_add(assignment, f"{previous} → {assignment.state}", actor=user, at=at)
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


@transaction.atomic
def assignment_complete(*, assignment: Assignment, user: User, outcome: str, at: datetime | None = None) -> Assignment:
    """The work is done; the outcome goes onto the alert's timeline."""
    at = at or timezone.now()
    outcome = text_required(outcome, "outcome", _("Say what was done and what came of it."))
    locked, previous = _transition(assignment, user, AssignmentAction.COMPLETE)
    locked.finished_at = at
    locked.outcome = outcome
    return _record(locked, previous, AlertEventKind.COMPLETED, user=user, at=at, note=outcome)


@transaction.atomic
def assignment_decline(*, assignment: Assignment, user: User, reason: str, at: datetime | None = None) -> Assignment:
    """The organisation cannot take the alert on; it goes back to the coordinators' queue."""
    at = at or timezone.now()
    reason = text_required(reason, "reason", _("Say why your organisation declines."))
    locked, previous = _transition(assignment, user, AssignmentAction.DECLINE)
    locked.finished_at = at
    locked.reason = reason
    done = _record(locked, previous, AlertEventKind.DECLINED, user=user, at=at, note=reason)
    coordinators_notify(done, NotificationKind.DECLINED, at=at)
    # The next tier comes in for the themes this organisation answered (once per tier).
    alert_tier_raise(alert=done.alert, failed=done, at=at)
    return done


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
        .filter(
            state=AssignmentState.PENDING,
            due_at__lt=at,
            overdue_notified_at__isnull=True,
            alert__state=AlertState.OPEN,
        )
        .select_related("alert__community", "organisation")
        .order_by("due_at", "pk")[:OVERDUE_BATCH]
    )
    # Many overdue assignments share a community: its coordinators and the organisations
    # covering it are read once a sweep.
    coordinators: dict[int, list[User]] = {}
    facts: dict[int, list[OrganisationFact]] = {}
    marked = 0
    for assignment in due:
        assignment.overdue_notified_at = at
        assignment.save(update_fields=["overdue_notified_at"])
        event_add(
            assignment.alert,
            AlertEventKind.OVERDUE,
            at=at,
            organisation=assignment.organisation_id,
            level=assignment.alert.level,
        )
        audit_add(assignment, "pending: overdue", actor=None, at=at)
        community = assignment.alert.community
        if community.pk not in coordinators:
            coordinators[community.pk] = community_coordinators(community)
        coordinators_notify(assignment, NotificationKind.OVERDUE, at=at, coordinators=coordinators[community.pk])
        # A missed deadline brings the next tier in, as a decline does (once per tier).
        if community.pk not in facts:
            facts[community.pk] = organisation_facts(community.lineage_ids)
        alert_tier_raise(alert=assignment.alert, failed=assignment, at=at, facts=facts[community.pk])
        marked += 1
    return marked
