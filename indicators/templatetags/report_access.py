"""Template filters asking a report's own access rules (``FieldReport.content_visible_to``,
``reporter_visible_to``), so that every page that lists or shows a report applies them."""

from __future__ import annotations

from typing import Any

from django import template

from indicators.models import FieldReport

register = template.Library()


@register.filter
def content_visible(report: FieldReport, user: Any) -> bool:
    """Whether ``user`` may read the report's narrative and readings (its handling level)."""
    return bool(getattr(user, "is_authenticated", False)) and report.content_visible_to(user)


@register.filter
def reporter_visible(report: FieldReport, user: Any) -> bool:
    """Whether ``user`` may know who logged the report."""
    return bool(getattr(user, "is_authenticated", False)) and report.reporter_visible_to(user)
