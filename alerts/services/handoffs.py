"""Handovers: an organisation working an assignment proposes that another organisation
covering the community take over the follow-up; the recipient takes it only by accepting
(PRODUCT.md, "Working together"). The coordinators see both the proposal and the answer."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from alerts.choices import AlertEventKind, AlertState, AssignmentState, HandoffState, NotificationKind
from alerts.models import Assignment, Handoff
from alerts.permissions import (
    ASSIGNMENT_HANDOFF_STATES,
    MAY_NOT_ANSWER_HANDOFF,
    MAY_NOT_WORK,
    assignment_may_work,
    handoff_may_answer,
)
from alerts.selectors import assignment_candidates
from alerts.services.alerts import alert_closed_message
from alerts.services.notifications import community_coordinators, handoff_notify, organisation_responders
from alerts.services.timeline import audit_add, event_add, text_required
from audit.choices import AuditAction
from ewers.exceptions import StateConflict
from ewers.models import Organisation, User
from ewers.permissions import permission_require


def _open_or_conflict(assignment: Assignment) -> None:
    if assignment.alert.state != AlertState.OPEN:
        raise StateConflict(alert_closed_message(assignment.alert))


@transaction.atomic
def assignment_hand_off(
    *, assignment: Assignment, user: User, organisation: Organisation, note: str, at: datetime | None = None
) -> Handoff:
    """Propose to hand the assignment's follow-up to ``organisation`` (which must cover the
    community, have responders and not hold the alert already). Its responders and the
    coordinators are told; nothing changes hands until it accepts."""
    at = at or timezone.now()
    permission_require(assignment_may_work(user, assignment), MAY_NOT_WORK)
    locked = (
        Assignment.objects.select_for_update(of=("self",))
        .select_related("alert__community", "alert__closed_by", "organisation")
        .get(pk=assignment.pk)
    )
    _open_or_conflict(locked)
    if locked.state not in ASSIGNMENT_HANDOFF_STATES:
        raise StateConflict(
            _("This assignment is %(state)s: only work your organisation has taken on can be handed over.")
            % {"state": locked.get_state_display().lower()}
        )
    if Handoff.objects.filter(assignment=locked, state=HandoffState.PROPOSED).exists():
        raise StateConflict(_("A handover of this assignment is already waiting for an answer."))
    note = text_required(note, "note", _("Say what the other organisation should take over, and why."))
    candidate = next(
        (c for c in assignment_candidates(locked.alert, exclude=locked.pk) if c.organisation.pk == organisation.pk),
        None,
    )
    if candidate is None or candidate.reason is not None:
        reason = candidate.reason if candidate is not None else _("it is not an active organisation")
        raise ValidationError(
            {"organisation": [_("This organisation cannot take the alert: %(reason)s.") % {"reason": reason}]}
        )
    handoff = Handoff.objects.create(
        assignment=locked,
        from_organisation=locked.organisation,
        to_organisation=organisation,
        note=note,
        proposed_by=user,
        proposed_at=at,
    )
    alert = locked.alert
    event_add(alert, AlertEventKind.HANDOFF_PROPOSED, at=at, actor=user, organisation=locked.organisation_id, note=note)
    audit_add(locked, f"handover {handoff.pk} proposed to {organisation.code}", actor=user, at=at)
    readers = organisation_responders(organisation.pk) + community_coordinators(alert.community)
    handoff_notify(handoff, NotificationKind.HANDOFF, readers, at=at, organisation=locked.organisation.name)
    return handoff


def _lock_proposed(handoff: Handoff, user: User) -> Handoff:
    permission_require(handoff_may_answer(user, handoff), MAY_NOT_ANSWER_HANDOFF)
    locked = (
        Handoff.objects.select_for_update(of=("self",))
        .select_related("assignment__alert__community", "assignment__alert__closed_by", "to_organisation")
        .get(pk=handoff.pk)
    )
    if locked.state != HandoffState.PROPOSED:
        raise StateConflict(_("This handover was already %(state)s.") % {"state": locked.get_state_display().lower()})
    return locked


def _answered(handoff: Handoff, state: str, *, user: User, at: datetime, note: str = "") -> None:
    handoff.state = state
    handoff.answered_by = user
    handoff.answered_at = at
    handoff.answer_note = note
    handoff.save(update_fields=["state", "answered_by", "answered_at", "answer_note"])
    assignment = handoff.assignment
    readers = organisation_responders(handoff.from_organisation_id) + community_coordinators(assignment.alert.community)
    answer = _("accepted") if state == HandoffState.ACCEPTED else _("declined")
    handoff_notify(
        handoff,
        NotificationKind.HANDOFF_ANSWERED,
        readers,
        at=at,
        organisation=handoff.to_organisation.name,
        answer=str(answer),
    )


@transaction.atomic
def handoff_accept(*, handoff: Handoff, user: User, at: datetime | None = None) -> Assignment:
    """The proposed organisation takes the follow-up over: it gets the assignment
    (acknowledged, as it consented), the proposer's ends as ``moved``. Returns the new one."""
    at = at or timezone.now()
    locked = _lock_proposed(handoff, user)
    old = Assignment.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=locked.assignment_id)
    old.alert = locked.assignment.alert
    _open_or_conflict(old)
    if old.state not in ASSIGNMENT_HANDOFF_STATES:
        locked.state = HandoffState.LAPSED
        locked.answered_at = at
        locked.save(update_fields=["state", "answered_at"])
        raise StateConflict(
            _("The assignment is %(state)s now: the handover has lapsed.") % {"state": old.get_state_display().lower()}
        )
    alert = old.alert
    new = Assignment.objects.select_for_update().filter(alert=alert, organisation=locked.to_organisation).first()
    if new is None:
        new = Assignment(alert=alert, organisation=locked.to_organisation, created_at=at)
    new.state = AssignmentState.ACKNOWLEDGED
    new.level = alert.level
    new.tier = None
    new.due_at = at
    new.acknowledged_at = at
    new.started_at = new.finished_at = new.overdue_notified_at = None
    new.replaced_by = None
    new.reason = new.outcome = ""
    new._history_user = user  # type: ignore[attr-defined]
    new.save()
    previous = old.state
    old.state = AssignmentState.MOVED
    old.finished_at = at
    old.replaced_by = new
    old.save(update_fields=["state", "finished_at", "replaced_by"])
    event_add(alert, AlertEventKind.HANDOFF_ACCEPTED, at=at, actor=user, organisation=old.organisation_id)
    event_add(
        alert, AlertEventKind.ACKNOWLEDGED, at=at, actor=user, organisation=new.organisation_id, level=alert.level
    )
    audit_add(old, f"{previous} → moved (handed over to assignment {new.pk})", actor=user, at=at)
    audit_add(
        new,
        f"taken over from assignment {old.pk} → acknowledged",
        actor=user,
        at=at,
        action=AuditAction.ASSIGNMENT_CREATED,
    )
    _answered(locked, HandoffState.ACCEPTED, user=user, at=at)
    return new


@transaction.atomic
def handoff_decline(*, handoff: Handoff, user: User, note: str = "", at: datetime | None = None) -> Handoff:
    """The proposed organisation does not take it over; the proposer keeps the assignment."""
    at = at or timezone.now()
    locked = _lock_proposed(handoff, user)
    note = (note or "").strip()
    if "\x00" in note:
        raise ValidationError({"note": [_("The text contains a NUL character.")]})
    event_add(
        locked.assignment.alert,
        AlertEventKind.HANDOFF_DECLINED,
        at=at,
        actor=user,
        organisation=locked.from_organisation_id,
        note=note,
    )
    audit_add(locked.assignment, f"handover {locked.pk} declined by {locked.to_organisation.code}", actor=user, at=at)
    _answered(locked, HandoffState.DECLINED, user=user, at=at, note=note)
    return locked
