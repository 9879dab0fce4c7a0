"""Template context shared by every page: the navigation for the user's role, and what the
offline report form's scripts need to know (docs/offline.md)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from alerts.selectors import notifications_unread_count
from ewers.accounts import second_factor_enrolled
from ewers.choices import Role
from ewers.models import User
from ewers.permissions import user_needs_second_factor
from indicators.permissions import field_report_may_create
from intake.permissions import triage_may_see_queue


def _item(label: Any, view_name: str, *, section: str | None = None) -> dict[str, Any]:
    """A link; ``section`` (a URL namespace) marks it current on that section's other pages too."""
    return {"label": label, "url": reverse(view_name), "name": view_name, "section": section}


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = [_item(_("Home"), "home")]
    role = getattr(user, "role", None)
    # The links follow what each role may do; the pages check it again (403 / 404).
    if field_report_may_create(user=user) and not user.is_administrator:
        items.append(_item(_("Reports"), "reports:list", section="reports"))
        items.append(_item(_("New report"), "reports:new"))
    if role in (Role.COORDINATOR, Role.RESPONDER) and not user.is_administrator:
        items.append(_item(_("Alerts"), "alerts:list", section="alerts"))
    if role == Role.RESPONDER and not user.is_administrator:
        items.append(_item(_("Assignments"), "assignments:list", section="assignments"))
    if role in (Role.COORDINATOR, Role.RESPONDER) and not user.is_administrator:
        items.append(_item(_("Incidents"), "incidents:list", section="incidents"))
    if role in (Role.COORDINATOR, Role.ANALYST) and not user.is_administrator:
        items.append(_item(_("Training"), "training:list", section="training"))
    if role in (Role.COORDINATOR, Role.ANALYST, Role.RESPONDER) and not user.is_administrator:
        items.append(_item(_("Heatmap"), "analytics:heatmap", section="analytics"))
    if role == Role.COORDINATOR and not user.is_administrator:
        items.append(_item(_("Overview"), "analytics:overview"))
    if triage_may_see_queue(user=user):
        items.append(_item(_("SMS triage"), "triage:list", section="triage"))
    if not user.is_administrator:
        # One cheap count a page (an index on user, read_at); the list is one click away.
        notifications = _item(_("Notifications"), "notifications:list", section="notifications")
        notifications["count"] = notifications_unread_count(request, user)
        items.append(notifications)
    if user.is_staff:
        items.append(_item(_("Administration"), "admin:index"))
    items.append(_item(_("API docs"), "api-docs"))
    match = getattr(request, "resolver_match", None)
    current = getattr(match, "view_name", None)
    namespace = getattr(match, "namespace", None)
    exact = any(item["name"] == current for item in items)
    for item in items:
        item["active"] = item["name"] == current or (
            not exact and item["section"] is not None and item["section"] == namespace
        )
    return {"nav_items": items}


def _second_factor_enrolled(request: HttpRequest, user: User) -> bool:
    """As SecondFactorRequiredMiddleware found it for this request, else asked again."""
    enrolled = getattr(request, "second_factor_enrolled", None)
    return second_factor_enrolled(user) if enrolled is None else bool(enrolled)


def offline_app(request: HttpRequest) -> dict[str, Any]:
    """For a signed-in user: whether this device keeps the report form for use with no
    connection (those who log reports), and the sign-out warning about unsent reports.
    Every signed-in page carries it, so that any sign-out button clears the device."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"offline_app": None}
    return {
        "offline_app": {
            # Not before a required second factor is enrolled: the worker's first fetch of
            # the form would be sent to the enrolment page and draw a new secret there.
            "register": field_report_may_create(user=user)
            and not (user_needs_second_factor(user) and not _second_factor_enrolled(request, user)),
            "user": user.get_username(),
            "worker": reverse("service-worker"),
            "logout": reverse("logout"),
            "warning": str(
                _(
                    "Reports saved on this device and not yet sent: {count}. "
                    "Signing out deletes them from this device. Sign out anyway?"
                )
            ),
        }
    }
