"""Alert pages: the list, one alert with its explanation, timeline, reports and actions,
the assignments list and the user's notifications.

Every read goes through ``alerts.selectors`` (visible_to): coordinators see the alerts of
the communities they cover, responders those assigned to their organisation; anything
else answers 404. An action on something the user may see but not act on answers 403;
the buttons show only to those allowed. Each action calls one service: a step no longer
possible from the current state (``StateConflict``) comes back as a message, bad input as
form errors on the re-rendered page (400), and success redirects (POST/redirect/GET).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from alerts import permissions, selectors, services
from alerts.choices import AlertState
from alerts.filters import AlertFilter, AssignmentFilter, NotificationFilter
from alerts.forms import (
    AlertAssignForm,
    AlertDismissForm,
    AlertResolveForm,
    AssignmentCompleteForm,
    AssignmentDeclineForm,
    AssignmentMoveForm,
)
from alerts.models import Alert, Assignment
from ewers.choices import Role
from ewers.exceptions import StateConflict
from ewers.forms import filter_form_prepare
from ewers.http import AuthenticatedHttpRequest
from ewers.lookups import parse_id
from ewers.models import Organisation, User
from indicators.models import Contribution, FieldReport
from indicators.selectors import reports_visible

ALERTS_PER_PAGE = 25
ASSIGNMENTS_PER_PAGE = 25
NOTIFICATIONS_PER_PAGE = 25
# Reports whose narratives an alert page shows; the explanation names the main ones.
ALERT_REPORTS_LIMIT = 10


@login_required
@require_GET
def alert_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The alerts the user may see, open ones first, filtered, 25 a page."""
    filterset = AlertFilter(
        request.GET or None, queryset=selectors.alerts_visible(request.user, with_timeline=False), request=request
    )
    filter_form_prepare(filterset.form)
    page = Paginator(filterset.qs, ALERTS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "filterset": filterset,
        "page": page,
        "filtered": any(v for k, v in request.GET.items() if k != "page"),
    }
    return render(request, "alerts/alert_list.html", context)


# --- One alert ------------------------------------------------------------------------


@dataclass
class AssignmentRow:
    """An assignment on the alert page, with the forms this user may submit on it."""

    assignment: Assignment
    actions: list[str]
    complete_form: forms.Form | None = None
    decline_form: forms.Form | None = None
    move_form: forms.Form | None = None


def _organisations_for(alert: Alert) -> list[Organisation]:
    """The organisations a coordinator may give the alert to (read once per page)."""
    return list(selectors.organisations_assignable(alert))


def _alert_reports(user: User, alert: Alert) -> list[FieldReport]:
    """The reports behind the alert's assessment that the user may see (one query).

    Only the narrative is shown from them on the alert page, never the source
    reference: a responder may not see it, and a coordinator reads it (logged) on the
    report's own page."""
    if alert.assessment_id is None:
        return []
    behind = Contribution.objects.filter(assessment=alert.assessment_id).values("report")
    return list(reports_visible(user).filter(pk__in=behind).order_by("-observed_at", "-id")[:ALERT_REPORTS_LIMIT])


def _detail_context(user: User, alert: Alert, bound: dict[str, forms.Form] | None = None) -> dict[str, Any]:
    """What the alert page shows; ``bound`` holds a submitted form to show with its errors."""
    bound = bound or {}
    is_open = alert.state == AlertState.OPEN
    may_manage = permissions.alert_may_manage(user, alert)
    assignments = list(alert.assignments.all())
    organisations = _organisations_for(alert) if may_manage and is_open else []
    rows = []
    for assignment in assignments:
        row = AssignmentRow(
            assignment=assignment,
            actions=permissions.assignment_actions_for(user, assignment),
        )
        pk = assignment.pk
        if "complete" in row.actions:
            row.complete_form = bound.get(f"complete-{pk}") or AssignmentCompleteForm(auto_id=f"id_complete_{pk}_%s")
        if "decline" in row.actions:
            row.decline_form = bound.get(f"decline-{pk}") or AssignmentDeclineForm(auto_id=f"id_decline_{pk}_%s")
        if may_manage and is_open and permissions.assignment_may_move(assignment):
            row.move_form = bound.get(f"move-{pk}") or AssignmentMoveForm(
                organisations=[o for o in organisations if o.pk != assignment.organisation_id],
                auto_id=f"id_move_{pk}_%s",
            )
        rows.append(row)
    context: dict[str, Any] = {
        "alert": alert,
        # Written only by alerts.services.alert_explanation: indicator, indicator_name,
        # report, amount (positive: the risk drivers), share.
        "explanation": alert.explanation,
        "events": list(alert.events.all()),
        # Prefetched through the selector: a responder gets its own organisation's share only.
        "assignments": assignments,
        "assignment_rows": rows,
        "reports": _alert_reports(user, alert),
        "may_manage": may_manage and is_open,
    }
    if may_manage and is_open:
        # An organisation that declined, or whose assignment was withdrawn, may be asked again.
        holding = {a.organisation_id for a in assignments if not permissions.assignment_may_reopen(a)}
        context["resolve_form"] = bound.get("resolve") or AlertResolveForm()
        context["dismiss_form"] = bound.get("dismiss") or AlertDismissForm()
        context["assign_form"] = bound.get("assign") or AlertAssignForm(
            organisations=[o for o in organisations if o.pk not in holding]
        )
    return context


@login_required
@require_GET
def alert_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    alert: Alert = selectors.alert_get(request.user, pk)
    return render(request, "alerts/alert_detail.html", _detail_context(request.user, alert))


# --- Actions ----------------------------------------------------------------------------


def _conflict(request: AuthenticatedHttpRequest, error: Exception) -> None:
    messages.error(request, str(error) or _("This step is no longer possible: someone acted first."))


def _form_errors(form: forms.Form, error: ValidationError) -> None:
    """A service's ValidationError onto the form: by field where it names one."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _submit(
    request: AuthenticatedHttpRequest,
    *,
    alert_pk: int,
    key: str,
    form: forms.Form | None,
    act: Callable[[dict[str, Any]], object],
    success: str,
) -> HttpResponse:
    """Validate the form (if any), call the service once, and redirect back to the alert;
    bad input re-renders the alert page with the form's errors (400), nothing saved."""
    back = redirect("alerts:detail", pk=alert_pk)
    if form is not None and not form.is_valid():
        return _rerender(request, alert_pk, key, form)
    try:
        act(form.cleaned_data if form is not None else {})
    except StateConflict as error:
        _conflict(request, error)
        return back
    except ValidationError as error:
        if form is None:
            messages.error(request, " ".join(error.messages))
            return back
        _form_errors(form, error)
        return _rerender(request, alert_pk, key, form)
    messages.success(request, success)
    return back


def _rerender(request: AuthenticatedHttpRequest, alert_pk: int, key: str, form: forms.Form) -> HttpResponse:
    alert = selectors.alert_get(request.user, alert_pk)  # read again: the failed write left nothing behind
    context = _detail_context(request.user, alert, bound={key: form})
    context["form_error_key"] = key
    return render(request, "alerts/alert_detail.html", context, status=400)


@login_required
@require_POST
def alert_verify(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    alert = selectors.alert_get_to_manage(request.user, pk)
    return _submit(
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
    return _submit(
        request,
        alert_pk=alert.pk,
        key="resolve",
        form=AlertResolveForm(request.POST),
        act=lambda data: services.alert_resolve(
            alert=alert, user=request.user, note=data["note"], outcome=data["outcome"]
        ),
        success=_("Alert #%(id)d is resolved.") % {"id": alert.pk},
    )


@login_required
@require_POST
def alert_dismiss(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    alert = selectors.alert_get_to_manage(request.user, pk)
    return _submit(
        request,
        alert_pk=alert.pk,
        key="dismiss",
        form=AlertDismissForm(request.POST),
        act=lambda data: services.alert_dismiss(alert=alert, user=request.user, note=data["note"]),
        success=_("Alert #%(id)d is dismissed; pending assignments are withdrawn.") % {"id": alert.pk},
    )


@login_required
@require_POST
def alert_assign(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    alert = selectors.alert_get_to_manage(request.user, pk)
    form = AlertAssignForm(request.POST, organisations=_organisations_for(alert))
    return _submit(
        request,
        alert_pk=alert.pk,
        key="assign",
        form=form,
        act=lambda data: services.alert_assign(alert=alert, user=request.user, organisation=data["organisation"]),
        success=_("The organisation is assigned to alert #%(id)d.") % {"id": alert.pk},
    )


@login_required
@require_POST
def assignment_acknowledge(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    assignment = selectors.assignment_get_to_work(request.user, pk)
    return _submit(
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
    return _submit(
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
    return _submit(
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
    return _submit(
        request,
        alert_pk=assignment.alert_id,
        key=f"decline-{assignment.pk}",
        form=AssignmentDeclineForm(request.POST, auto_id=f"id_decline_{assignment.pk}_%s"),
        act=lambda data: services.assignment_decline(assignment=assignment, user=request.user, reason=data["reason"]),
        success=_("Assignment declined; the coordinators are told."),
    )


@login_required
@require_POST
def assignment_move(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    assignment = selectors.assignment_get_to_manage(request.user, pk)
    form = AssignmentMoveForm(
        request.POST,
        organisations=[o for o in _organisations_for(assignment.alert) if o.pk != assignment.organisation_id],
        auto_id=f"id_move_{assignment.pk}_%s",
    )
    return _submit(
        request,
        alert_pk=assignment.alert_id,
        key=f"move-{assignment.pk}",
        form=form,
        act=lambda data: services.assignment_move(
            assignment=assignment, user=request.user, organisation=data["organisation"]
        ),
        success=_("The assignment is moved."),
    )


# --- Assignments list -------------------------------------------------------------------


@login_required
@require_GET
def assignment_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The assignments the user may see (a responder: its organisation's; a coordinator:
    those in its coverage), most urgent first, filtered, 25 a page."""
    filterset = AssignmentFilter(
        request.GET or None, queryset=selectors.assignments_visible(request.user), request=request
    )
    filter_form_prepare(filterset.form)
    if request.user.role != Role.COORDINATOR:
        # A responder sees one organisation's assignments: a filter by organisation is noise.
        filterset.form.fields.pop("organisation", None)
    page = Paginator(filterset.qs, ASSIGNMENTS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "filterset": filterset,
        "page": page,
        "filtered": any(v for k, v in request.GET.items() if k != "page"),
    }
    return render(request, "alerts/assignment_list.html", context)


# --- Notifications ----------------------------------------------------------------------


@login_required
@require_GET
def notification_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """My notifications, newest first, unread ones marked, filtered; 25 a page."""
    filterset = NotificationFilter(
        request.GET or None, queryset=selectors.notifications_for(request.user), request=request
    )
    filter_form_prepare(filterset.form)
    page = Paginator(filterset.qs, NOTIFICATIONS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "filterset": filterset,
        "page": page,
        "filtered": any(v for k, v in request.GET.items() if k != "page"),
        # Counted once a request: the navigation shows the same count.
        "unread": selectors.notifications_unread_count(request, request.user) > 0,
    }
    return render(request, "alerts/notification_list.html", context)


@login_required
@require_POST
def notification_read(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Mark one notification (``notification`` in the form) or all of mine read."""
    ids: list[int] | None = None
    if "notification" in request.POST:
        # A value that names no id (not a number, or one no id column can hold) names no
        # notification, and must not reach the query.
        parsed = [parse_id(v) for v in request.POST.getlist("notification")]
        ids = [i for i in parsed if i is not None]
        if not ids or len(ids) != len(parsed):
            messages.error(request, _("That is not a notification."))
            return redirect("notifications:list")
    count = services.notification_mark_read(user=request.user, notification_ids=ids)
    if ids is None:
        messages.success(request, _("All your notifications are marked read."))
    elif count:
        messages.success(request, _("Notification marked read."))
    return redirect("notifications:list")
