"""Template context shared by every page: the navigation for the user's role."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = [{"label": _("Home"), "url": reverse("home"), "name": "home"}]
    if user.is_staff:
        items.append({"label": _("Administration"), "url": reverse("admin:index"), "name": "admin"})
    items.append({"label": _("API docs"), "url": reverse("api-docs"), "name": "api-docs"})
    current = getattr(getattr(request, "resolver_match", None), "url_name", None)
    for item in items:
        item["active"] = item["name"] == current
    return {"nav_items": items}
