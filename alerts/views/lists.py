"""The alert list, one alert's page, and the assignments list."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from alerts import selectors
from alerts.filters import AlertFilter, AssignmentFilter
from alerts.views.page import detail_context
from ewers.choices import Role
from ewers.forms import filter_form_prepare
from ewers.http import AuthenticatedHttpRequest

ALERTS_PER_PAGE = 25
ASSIGNMENTS_PER_PAGE = 25


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


@login_required
@require_GET
def alert_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """One alert as the user may see it; a former holder's closing summary once it closed."""
    alert = selectors.alert_get(request.user, pk)
    return render(request, "alerts/alert_detail.html", detail_context(request.user, alert))


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
        "handoffs_waiting": list(selectors.handoffs_waiting(request.user)),
    }
    return render(request, "alerts/assignment_list.html", context)
