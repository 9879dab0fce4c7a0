"""A handover proposal: the proposed organisation reads it and accepts or declines; the
proposer and the coordinators see it and its answer."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from alerts import permissions, selectors, services
from alerts.choices import HandoffState
from alerts.forms import HandoffDeclineForm
from ewers.exceptions import StateConflict
from ewers.http import AuthenticatedHttpRequest


@login_required
@require_GET
def handoff_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    handoff = selectors.handoff_get(request.user, pk)
    may_answer = handoff.state == HandoffState.PROPOSED and permissions.handoff_may_answer(request.user, handoff)
    context = {
        "handoff": handoff,
        "alert": handoff.assignment.alert,
        "may_answer": may_answer,
        "decline_form": HandoffDeclineForm() if may_answer else None,
    }
    return render(request, "alerts/handoff_detail.html", context)


@login_required
@require_POST
def handoff_accept(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    handoff = selectors.handoff_get_to_answer(request.user, pk)
    try:
        assignment = services.handoff_accept(handoff=handoff, user=request.user)
    except StateConflict as error:
        messages.error(request, str(error))
        return redirect("handoffs:detail", pk=handoff.pk)
    messages.success(request, _("Your organisation has taken the follow-up over."))
    return redirect("alerts:detail", pk=assignment.alert_id)


@login_required
@require_POST
def handoff_decline(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    handoff = selectors.handoff_get_to_answer(request.user, pk)
    form = HandoffDeclineForm(request.POST)
    if form.is_valid():
        try:
            services.handoff_decline(handoff=handoff, user=request.user, note=form.cleaned_data["note"])
        except StateConflict as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Handover declined; the proposing organisation is told."))
        return redirect("handoffs:detail", pk=handoff.pk)
    context = {"handoff": handoff, "alert": handoff.assignment.alert, "may_answer": True, "decline_form": form}
    return render(request, "alerts/handoff_detail.html", context, status=400)
