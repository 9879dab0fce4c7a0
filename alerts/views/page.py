"""The alert page: what one user sees of an alert and the forms they may submit on it,
and the submit-and-come-back loop every action on it shares.

Every read goes through ``alerts.selectors`` (visible_to): outside the share 404. Each
action calls one service: a step no longer possible (``StateConflict``) comes back as a
message, bad input as form errors on the re-rendered page (400), success redirects.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from alerts import permissions, selectors
from alerts.choices import AlertState, HandoffState
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
from alerts.models import Alert, AlertEvent, AlertNote, Assignment, Handoff
from alerts.services import score_note_shown
from ewers.exceptions import StateConflict
from ewers.http import AuthenticatedHttpRequest
from ewers.models import User
from indicators.models import Contribution, FieldReport
from indicators.selectors import reports_visible

# Reports whose narratives an alert page shows; the explanation names the main ones.
ALERT_REPORTS_LIMIT = 10


@dataclass
class AssignmentRow:
    """An assignment on the alert page, with the forms this user may submit on it."""

    assignment: Assignment
    actions: list[str]
    complete_form: forms.Form | None = None
    decline_form: forms.Form | None = None
    move_form: forms.Form | None = None
    handoff_form: forms.Form | None = None
    handoff_waiting: Handoff | None = None


@dataclass
class TimelineItem:
    """One line of the timeline: an event, or a note addressed to the reader."""

    at: datetime
    event: AlertEvent | None = None
    note: AlertNote | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _alert_reports(user: User, alert: Alert) -> list[FieldReport]:
    """The reports behind the alert's assessment that the user may see (one query).

    Only the narrative is shown from them on the alert page (when the handling level lets
    the reader see it), never the source reference: a responder may not see it, and a
    coordinator reads it (logged) on the report's own page."""
    if alert.assessment_id is None:
        return []
    behind = Contribution.objects.filter(assessment=alert.assessment_id).values("report")
    return list(reports_visible(user).filter(pk__in=behind).order_by("-observed_at", "-id")[:ALERT_REPORTS_LIMIT])


def _timeline(events: list[AlertEvent], notes: list[AlertNote]) -> list[TimelineItem]:
    for event in events:  # shown, never saved: the score notes in the reader's language
        event.note = score_note_shown(event.note)
    items = [TimelineItem(at=e.at, event=e) for e in events] + [TimelineItem(at=n.created_at, note=n) for n in notes]
    return sorted(items, key=lambda item: item.at)


def _rows(
    user: User, alert: Alert, assignments: list[Assignment], bound: dict[str, forms.Form], manage: bool
) -> list[AssignmentRow]:
    candidates = selectors.assignment_candidates(alert) if manage else []
    waiting = {
        h.assignment_id: h
        for h in Handoff.objects.filter(assignment__alert=alert, state=HandoffState.PROPOSED).select_related(
            "to_organisation"
        )
    }
    rows = []
    for assignment in assignments:
        pk = assignment.pk
        row = AssignmentRow(
            assignment=assignment,
            actions=permissions.assignment_actions_for(user, assignment),
            handoff_waiting=waiting.get(pk),
        )
        if "complete" in row.actions:
            row.complete_form = bound.get(f"complete-{pk}") or AssignmentCompleteForm(auto_id=f"id_complete_{pk}_%s")
        if "decline" in row.actions:
            row.decline_form = bound.get(f"decline-{pk}") or AssignmentDeclineForm(auto_id=f"id_decline_{pk}_%s")
        if permissions.assignment_may_hand_off(user, assignment) and pk not in waiting:
            row.handoff_form = bound.get(f"handoff-{pk}") or AssignmentHandOffForm(
                candidates=selectors.assignment_candidates(alert, exclude=pk), auto_id=f"id_handoff_{pk}_%s"
            )
        if manage and permissions.assignment_may_move(assignment):
            row.move_form = bound.get(f"move-{pk}") or AssignmentMoveForm(
                candidates=[c for c in candidates if c.organisation.pk != assignment.organisation_id],
                auto_id=f"id_move_{pk}_%s",
            )
        rows.append(row)
    return rows


def detail_context(user: User, alert: Alert, bound: dict[str, forms.Form] | None = None) -> dict[str, Any]:
    """What the alert page shows; ``bound`` holds a submitted form to show with its errors."""
    bound = bound or {}
    view = selectors.alert_view(user, alert)
    is_open = alert.state == AlertState.OPEN
    manage = permissions.alert_may_manage(user, alert) and is_open
    holds = bool(view.assignments) and user.role != "coordinator"
    notes = [] if view.summary else list(selectors.alert_notes(user, alert))
    context: dict[str, Any] = {
        "alert": alert,
        "summary": view.summary,
        # Written only by alerts.services.alert_explanation: indicator, indicator_name,
        # report, amount (positive: the risk drivers), share.
        "explanation": [] if view.summary else selectors.alert_explanation_shown(alert.explanation),
        "timeline": _timeline(view.events, notes),
        "assignment_rows": _rows(user, alert, view.assignments, bound, manage),
        "co_responders": view.co_responders,
        "reports": [] if view.summary else _alert_reports(user, alert),
        "corroborated_by": selectors.alert_corroboration(alert),
        "may_manage": manage,
    }
    if is_open and permissions.alert_may_write_note(user, alert, holds=holds):
        context["note_form"] = bound.get("note") or AlertNoteForm()
    if manage:
        context["resolve_form"] = bound.get("resolve") or AlertResolveForm()
        context["dismiss_form"] = bound.get("dismiss") or AlertDismissForm()
        context["assign_form"] = bound.get("assign") or AlertAssignForm(
            candidates=selectors.assignment_candidates(alert)
        )
    return context


def _form_errors(form: forms.Form, error: ValidationError) -> None:
    """A service's ValidationError onto the form: by field where it names one."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


def rerender(request: AuthenticatedHttpRequest, alert_pk: int, key: str, form: forms.Form) -> HttpResponse:
    alert = selectors.alert_get(request.user, alert_pk)  # read again: the failed write left nothing behind
    context = detail_context(request.user, alert, bound={key: form})
    context["form_error_key"] = key
    return render(request, "alerts/alert_detail.html", context, status=400)


def submit(
    request: AuthenticatedHttpRequest,
    *,
    alert_pk: int,
    key: str,
    form: forms.Form | None,
    act: Callable[[dict[str, Any]], object],
    success: str,
    back: str | None = None,
) -> HttpResponse:
    """Validate the form (if any), call the service once, and redirect back to the alert
    (or to ``back``); bad input re-renders the alert page with the form's errors (400),
    nothing saved."""
    done = redirect(back) if back else redirect("alerts:detail", pk=alert_pk)
    if form is not None and not form.is_valid():
        return rerender(request, alert_pk, key, form)
    try:
        act(form.cleaned_data if form is not None else {})
    except StateConflict as error:
        messages.error(request, str(error) or _("This step is no longer possible: someone acted first."))
        return redirect("alerts:detail", pk=alert_pk) if not back else done
    except ValidationError as error:
        if form is None:
            messages.error(request, " ".join(error.messages))
            return done
        _form_errors(form, error)
        return rerender(request, alert_pk, key, form)
    messages.success(request, success)
    return done
