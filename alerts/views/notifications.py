"""The user's notifications, and the way into the alert each one is about.

A notification's link goes through ``notification_alert``: to the alert (or its closing
summary) when the user may still see it, otherwise to a page that says the alert has left
the organisation's share (moved, withdrawn) — never a bare 404 for something the user was
told about (PRODUCT.md, "Closing the loop")."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from alerts import selectors, services
from alerts.filters import NotificationFilter
from alerts.models import Alert
from ewers.forms import filter_form_prepare
from ewers.http import AuthenticatedHttpRequest
from ewers.lookups import parse_id

NOTIFICATIONS_PER_PAGE = 25


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
@require_GET
def notification_alert(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Open the alert a notification is about: the alert page when the user may see it, a
    page saying it has left the share when not (404 only if they were never told of it)."""
    if Alert.objects.visible_to(request.user).filter(pk=pk).exists():
        return redirect("alerts:detail", pk=pk)
    left = selectors.alert_left_share(request.user, pk)
    return render(request, "alerts/alert_left_share.html", {"left": left}, status=200)


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
