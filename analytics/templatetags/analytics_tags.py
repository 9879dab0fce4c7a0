"""Template filters of the analytics pages."""

from __future__ import annotations

from datetime import timedelta

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def duration_short(value: timedelta | None) -> str:
    """A duration as a person reads it: "45 min", "3.5 h", "2.1 days"."""
    if value is None:
        return ""
    minutes = value.total_seconds() / 60
    if minutes < 90:
        return _("%(n)d min") % {"n": round(minutes)}
    hours = minutes / 60
    if hours < 48:
        return _("%(n).1f h") % {"n": hours}
    return _("%(n).1f days") % {"n": hours / 24}
