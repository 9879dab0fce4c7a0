"""Pages of the incident register: the list, the form, one incident.

Reads go through ``learning.selectors`` (404 outside the share); the form calls the one
service; bad input comes back as form errors (400), success redirects to the incident."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from ewers.forms import filter_form_prepare
from ewers.http import AuthenticatedHttpRequest
from ewers.permissions import permission_require
from learning.filters import IncidentFilter
from learning.forms import IncidentForm
from learning.permissions import MAY_NOT_RECORD, incident_may_record
from learning.selectors import incident_alerts_linkable, incident_communities, incident_get, incidents_visible
from learning.services import incident_record

INCIDENTS_PER_PAGE = 25


@login_required
@require_GET
def incident_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The incidents the user may see, latest first, filtered, 25 a page."""
    filterset = IncidentFilter(request.GET or None, queryset=incidents_visible(request.user), request=request)
    filter_form_prepare(filterset.form)
    page = Paginator(filterset.qs, INCIDENTS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "filterset": filterset,
        "page": page,
        "filtered": any(v for k, v in request.GET.items() if k != "page"),
        "may_record": incident_may_record(request.user),
    }
    return render(request, "learning/incident_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def incident_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Record an incident, with the alerts that warned of it if any."""
    user = request.user
    permission_require(incident_may_record(user), MAY_NOT_RECORD)
    communities, alerts = incident_communities(user), incident_alerts_linkable(user)
    if request.method == "POST":
        form = IncidentForm(request.POST, communities=communities, alerts=alerts)
        if form.is_valid():
            try:
                incident = incident_record(user=user, **form.service_arguments())
            except ValidationError as error:
                form.apply_service_errors(error)
            else:
                messages.success(request, _("Incident #%(id)d recorded.") % {"id": incident.pk})
                return redirect("incidents:detail", pk=incident.pk)
        status = 400
    else:
        form = IncidentForm(communities=communities, alerts=alerts)
        status = 200
    return render(request, "learning/incident_form.html", {"form": form}, status=status)


@login_required
@require_GET
def incident_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """One incident the user may see; 404 outside the share."""
    incident = incident_get(request.user, pk)
    return render(request, "learning/incident_detail.html", {"incident": incident, "alerts": incident.alerts.all()})
