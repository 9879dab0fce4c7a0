"""Template filters of the response pages: how long an organisation has left to acknowledge,
and durations as people read them (the analytics overview uses it too)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from alerts.choices import AssignmentState
from alerts.models import Assignment

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


def time_left_text(due_at: datetime, now: datetime) -> str:
    """ "2 h left" before the deadline, "overdue by 40 min" after it."""
    seconds = (due_at - now).total_seconds()
    if seconds >= 0:
        return _("%(duration)s left") % {"duration": duration_short(seconds)}
    return _("overdue by %(duration)s") % {"duration": duration_short(-seconds)}


@register.filter
def time_left(assignment: Assignment) -> str:
    """The time left to acknowledge a pending assignment; empty once it is acknowledged."""
    if assignment.state != AssignmentState.PENDING:
        return ""
    return time_left_text(assignment.due_at, timezone.now())
