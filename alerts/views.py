"""Alert pages: the list and one alert with its explanation, timeline and assignments.

Read-only in this issue. Every read goes through ``alerts.selectors`` (visible_to):
coordinators see the alerts of the communities they cover, responders those assigned
to their organisation; anything else answers 404.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from alerts.filters import AlertFilter
from alerts.models import Alert
from alerts.selectors import alert_get, alerts_visible
from ewers.forms import filter_form_prepare
from ewers.views import AuthenticatedHttpRequest

ALERTS_PER_PAGE = 25


@login_required
@require_GET
def alert_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The alerts the user may see, open ones first, filtered, 25 a page."""
    filterset = AlertFilter(
        request.GET or None, queryset=alerts_visible(request.user, with_timeline=False), request=request
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
    alert: Alert = alert_get(request.user, pk)
    context = {
        "alert": alert,
        # Written only by alerts.services.alert_explanation: indicator, indicator_name,
        # report, amount (positive: the risk drivers), share.
        "explanation": alert.explanation,
        "events": list(alert.events.all()),
        # Prefetched through the selector: a responder gets its own organisation's share only.
        "assignments": list(alert.assignments.all()),
    }
    return render(request, "alerts/alert_detail.html", context)
