"""Template filter of the response pages: how long an organisation has left to acknowledge."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

from alerts.choices import AssignmentState
from alerts.models import Assignment
from ewers.templatetags.durations import duration_short

register = template.Library()


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
