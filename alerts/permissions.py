"""Who may do what with alerts and assignments: read-only predicates, and the message each
refusal gives (written once, for pages and API alike).

Seeing an alert or an assignment is ``visible_to`` (404 outside it); these say what a user
who can see one may do with it (403 otherwise, with the message below).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from alerts.choices import ASSIGNMENT_ACTIVE_STATES, AssignmentState
from alerts.models import Alert, Assignment, Handoff
from alerts.routing import assignment_allowed_actions
from ewers.choices import Role
from ewers.models import User

MAY_NOT_MANAGE = _("Only the coordinators covering the community may do this.")
MAY_NOT_WORK = _("Only the assigned organisation's responders may do this.")
MAY_NOT_ANSWER_HANDOFF = _("Only the responders of the organisation it is proposed to may answer this handover.")
MAY_NOT_WRITE_NOTE = _("Only the coordinators and the organisations working on this alert may write notes on it.")


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
# assignment was withdrawn or moved; one that completed it, or still works on it, has it.
ASSIGNMENT_REOPENABLE_STATES = (AssignmentState.DECLINED, AssignmentState.WITHDRAWN, AssignmentState.MOVED)
# An organisation may propose to hand over follow-up of work it has taken on.
ASSIGNMENT_HANDOFF_STATES = (AssignmentState.ACKNOWLEDGED, AssignmentState.IN_PROGRESS)


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


def assignment_actions_for(user: User, assignment: Assignment) -> list[str]:
    """The workflow actions this user may take on the assignment now: those its state
    allows, for a responder of its organisation; none for anyone else."""
    return assignment_actions(assignment) if assignment_may_work(user, assignment) else []


def assignment_may_hand_off(user: User, assignment: Assignment) -> bool:
    """Propose a handover: a responder of the organisation, on work it has taken on."""
    return assignment_may_work(user, assignment) and assignment.state in ASSIGNMENT_HANDOFF_STATES


def handoff_may_answer(user: User, handoff: Handoff) -> bool:
    """Accept or decline a handover: active responders of the proposed organisation."""
    return bool(
        user.is_active
        and user.role == Role.RESPONDER
        and user.organisation_id is not None
        and user.organisation_id == handoff.to_organisation_id
    )


def alert_may_write_note(user: User, alert: Alert, *, holds: bool) -> bool:
    """Write a note on an open alert: its coordinators, and responders of an organisation
    holding it (``holds``: the caller read it through ``AssignmentQuerySet.held_by``)."""
    if user.role == Role.COORDINATOR:
        return alert_may_manage(user, alert)
    return bool(user.is_active and user.role == Role.RESPONDER and holds)
