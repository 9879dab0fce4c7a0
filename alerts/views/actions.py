"""Actions on an alert page: the coordinators' (verify, resolve, dismiss, add, move), the
assigned organisation's (acknowledge, start, complete, decline, hand over), and notes.

Each view fetches through the ``*_get_to_manage`` / ``*_get_to_work`` selectors (404
outside the share, 403 for one the user sees but may not act on) and calls one service.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from alerts import selectors, services
from alerts.forms import (
    AlertAssignForm,
    AlertDismissForm,
    AlertNoteForm,
    AlertResolveForm,
    AssignmentCompleteForm,
    AssignmentDeclineForm,
    AssignmentHandOffForm,
    AssignmentMoveForm,
)
from alerts.views.page import submit
from ewers.http import AuthenticatedHttpRequest


@login_required
@require_POST
def alert_verify(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    alert = selectors.alert_get_to_manage(request.user, pk)
    return submit(
        request,
        alert_pk=alert.pk,
        key="verify",
        form=None,
        act=lambda _data: services.alert_verify(alert=alert, user=request.user),
        success=_("Alert #%(id)d is verified.") % {"id": alert.pk},
    )


@login_required
@require_POST
def alert_resolve(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    alert = selectors.alert_get_to_manage(request.user, pk)
    return submit(
        request,
        alert_pk=alert.pk,
        key="resolve",
        form=AlertResolveForm(request.POST),
        act=lambda data: services.alert_resolve(
            alert=alert, user=request.user, note=data["note"], outcome=data["outcome"]
        ),
        success=_("Alert #%(id)d is resolved; every organisation that held it is told.") % {"id": alert.pk},
    )


@login_required
@require_POST
def alert_dismiss(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    alert = selectors.alert_get_to_manage(request.user, pk)
    return submit(
        request,
        alert_pk=alert.pk,
        key="dismiss",
        form=AlertDismissForm(request.POST),
        act=lambda data: services.alert_dismiss(alert=alert, user=request.user, note=data["note"]),
        success=_("Alert #%(id)d is dismissed; every organisation that held it is told.") % {"id": alert.pk},
    )


@login_required
@require_POST
def alert_assign(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    alert = selectors.alert_get_to_manage(request.user, pk)
    form = AlertAssignForm(request.POST, candidates=selectors.assignment_candidates(alert))
    return submit(
        request,
        alert_pk=alert.pk,
        key="assign",
        form=form,
        act=lambda data: services.alert_assign(
            alert=alert, user=request.user, organisation=data["organisation"], note=data["note"]
        ),
        success=_("The organisation is assigned to alert #%(id)d.") % {"id": alert.pk},
    )


@login_required
@require_POST
def alert_note(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A note for the audience the writer picks (the service checks who may write)."""
    alert = selectors.alert_get(request.user, pk)
    return submit(
        request,
        alert_pk=alert.pk,
        key="note",
        form=AlertNoteForm(request.POST),
        act=lambda data: services.alert_note_add(
            alert=alert, user=request.user, text=data["text"], audience=data["audience"]
        ),
        success=_("Note added; its readers are told."),
    )


@login_required
@require_POST
def assignment_acknowledge(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    assignment = selectors.assignment_get_to_work(request.user, pk)
    return submit(
        request,
        alert_pk=assignment.alert_id,
        key=f"acknowledge-{assignment.pk}",
        form=None,
        act=lambda _data: services.assignment_acknowledge(assignment=assignment, user=request.user),
        success=_("Assignment acknowledged."),
    )


@login_required
@require_POST
def assignment_start(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    assignment = selectors.assignment_get_to_work(request.user, pk)
    return submit(
        request,
        alert_pk=assignment.alert_id,
        key=f"start-{assignment.pk}",
        form=None,
        act=lambda _data: services.assignment_start(assignment=assignment, user=request.user),
        success=_("Work on the assignment has started."),
    )


@login_required
@require_POST
def assignment_complete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    assignment = selectors.assignment_get_to_work(request.user, pk)
    return submit(
        request,
        alert_pk=assignment.alert_id,
        key=f"complete-{assignment.pk}",
        form=AssignmentCompleteForm(request.POST, auto_id=f"id_complete_{assignment.pk}_%s"),
        act=lambda data: services.assignment_complete(
            assignment=assignment, user=request.user, outcome=data["outcome"]
        ),
        success=_("Assignment completed. Thank you."),
    )


@login_required
@require_POST
def assignment_decline(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    assignment = selectors.assignment_get_to_work(request.user, pk)
    return submit(
        request,
        alert_pk=assignment.alert_id,
        key=f"decline-{assignment.pk}",
        form=AssignmentDeclineForm(request.POST, auto_id=f"id_decline_{assignment.pk}_%s"),
        act=lambda data: services.assignment_decline(assignment=assignment, user=request.user, reason=data["reason"]),
        success=_("Assignment declined; the coordinators are told."),
    )


@login_required
@require_POST
def assignment_hand_off(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    assignment = selectors.assignment_get_to_work(request.user, pk)
    form = AssignmentHandOffForm(
        request.POST,
        candidates=selectors.assignment_candidates(assignment.alert, exclude=assignment.pk),
        auto_id=f"id_handoff_{assignment.pk}_%s",
    )
    return submit(
        request,
        alert_pk=assignment.alert_id,
        key=f"handoff-{assignment.pk}",
        form=form,
        act=lambda data: services.assignment_hand_off(
            assignment=assignment, user=request.user, organisation=data["organisation"], note=data["note"]
        ),
        success=_("Handover proposed; the organisation is asked to accept it."),
    )


@login_required
@require_POST
def assignment_move(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    assignment = selectors.assignment_get_to_manage(request.user, pk)
    form = AssignmentMoveForm(
        request.POST,
        candidates=[
            c
            for c in selectors.assignment_candidates(assignment.alert, exclude=assignment.pk)
            if c.organisation.pk != assignment.organisation_id
        ],
        auto_id=f"id_move_{assignment.pk}_%s",
    )
    return submit(
        request,
        alert_pk=assignment.alert_id,
        key=f"move-{assignment.pk}",
        form=form,
        act=lambda data: services.assignment_move(
            assignment=assignment, user=request.user, organisation=data["organisation"], note=data["note"]
        ),
        success=_("The assignment is moved."),
    )
