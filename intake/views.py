"""The triage queue's pages: messages from unregistered numbers, for the coordinators
covering their community (``TriageItem.objects.visible_to``): 404 outside the share, 403
for a role that has no queue."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from ewers.exceptions import StateConflict
from ewers.http import AuthenticatedHttpRequest
from intake.choices import TriageState
from intake.forms import TriageAcceptForm
from intake.models import TriageItem
from intake.permissions import MAY_NOT_TRIAGE, triage_may_decide, triage_may_see_queue
from intake.selectors import triage_item_get, triage_items_visible
from intake.services import triage_accept, triage_discard

ITEMS_PER_PAGE = 25


@login_required
@require_GET
def triage_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not triage_may_see_queue(user=request.user):
        raise PermissionDenied(MAY_NOT_TRIAGE)
    state = request.GET.get("state", TriageState.PENDING)
    if state not in TriageState.values:
        state = ""
    page = Paginator(triage_items_visible(request.user, state=state or None), ITEMS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "intake/triage_list.html", {"page": page, "state": state, "states": TriageState.choices})


def _detail(
    request: AuthenticatedHttpRequest, item: TriageItem, form: TriageAcceptForm, status: int = 200
) -> HttpResponse:
    context = {
        "item": item,
        "form": form,
        "may_decide": item.state == TriageState.PENDING and triage_may_decide(item=item, user=request.user),
    }
    return render(request, "intake/triage_detail.html", context, status=status)


@login_required
@require_GET
def triage_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item = triage_item_get(request.user, pk)
    form = TriageAcceptForm(
        initial={"source_reliability": item.source_reliability, "information_credibility": item.information_credibility}
    )
    return _detail(request, item, form)


@login_required
@require_POST
def triage_accept_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item = triage_item_get(request.user, pk)
    form = TriageAcceptForm(request.POST)
    if not form.is_valid():
        return _detail(request, item, form, status=400)
    try:
        report = triage_accept(
            item=item,
            user=request.user,
            source_reliability=form.cleaned_data["source_reliability"],
            information_credibility=form.cleaned_data["information_credibility"],
        )
    except ValidationError as exc:
        for message in exc.messages:
            form.add_error(None, message)
        return _detail(request, item, form, status=400)
    except StateConflict as exc:
        messages.error(request, str(exc))
        return redirect("triage:detail", pk=item.pk)
    messages.success(
        request, _("Message %(ref)s accepted as report %(id)d.") % {"ref": item.reference, "id": report.pk}
    )
    return redirect("reports:detail", pk=report.pk)


@login_required
@require_POST
def triage_discard_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item = triage_item_get(request.user, pk)
    try:
        triage_discard(item=item, user=request.user)
    except StateConflict as exc:
        messages.error(request, str(exc))
        return redirect("triage:detail", pk=item.pk)
    messages.success(request, _("Message %(ref)s discarded.") % {"ref": item.reference})
    return redirect("triage:list")
