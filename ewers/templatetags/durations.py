"""Template filter for durations as people read them (response times, deadlines)."""

from __future__ import annotations

from datetime import timedelta

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

register = template.Library()


@register.filter
def duration_short(value: timedelta | float | None) -> str:
    """A short, rounded-down duration (a timedelta or seconds): "40 min", "2 h 10 min", "3 h", "2 d".

    Minutes are kept below three hours, where they still matter to a deadline. None reads empty."""
    if value is None:
        return ""
    seconds = value.total_seconds() if isinstance(value, timedelta) else value
    minutes = max(0, int(seconds // 60))
    if minutes < 60:
        return _("%(n)d min") % {"n": minutes}
    hours, rest = divmod(minutes, 60)
    if hours < 3 and rest:
        return _("%(h)d h %(m)d min") % {"h": hours, "m": rest}
    if hours < 48:
        return _("%(n)d h") % {"n": hours}
    days = hours // 24
    return ngettext("%(n)d day", "%(n)d days", days) % {"n": days}
