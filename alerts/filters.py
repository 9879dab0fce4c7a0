"""Filters of alert, assignment and notification lists: one FilterSet each for the HTML
list and the API."""

from __future__ import annotations

from decimal import Decimal

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from alerts.choices import ALERT_LEVELS, AlertState, AssignmentState
from alerts.models import OVERDUE_NOW, Alert, Assignment, Notification
from ewers.api.fields import MAX_ID
from ewers.choices import RiskLevel
from ewers.filters import CodeOrIdFilter

LEVEL_CHOICES = [(value, label) for value, label in RiskLevel.choices if value in ALERT_LEVELS]


class AlertFilter(django_filters.FilterSet):  # type: ignore[misc]  # django-filter has no type stubs
    """Filter alerts by state, level, community (id or code) and verification."""

    state = django_filters.ChoiceFilter(choices=AlertState.choices, label=_("State"))
    level = django_filters.ChoiceFilter(choices=LEVEL_CHOICES, label=_("Level"))
    community = CodeOrIdFilter(field_name="community", label=_("Community (code or id)"))
    verified = django_filters.BooleanFilter(label=_("Verified"))

    class Meta:
        model = Alert
        fields = ["state", "level", "community", "verified"]


class AssignmentFilter(django_filters.FilterSet):  # type: ignore[misc]  # django-filter has no type stubs
    """Filter assignments by state, overdue, level, organisation, community and alert.

    The alert is a plain number, not a choice among all alerts: an unknown id gives an
    empty list, so the filter does not tell whether an alert outside the share exists.
    """

    state = django_filters.ChoiceFilter(choices=AssignmentState.choices, label=_("State"))
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("Overdue"))
    level = django_filters.ChoiceFilter(choices=LEVEL_CHOICES, label=_("Level"))
    organisation = CodeOrIdFilter(field_name="organisation", label=_("Organisation (code or id)"))
    community = CodeOrIdFilter(field_name="alert__community", label=_("Community (code or id)"))
    alert = django_filters.NumberFilter(method="filter_alert", label=_("Alert id"))

    class Meta:
        model = Assignment
        fields = ["state", "overdue", "level", "organisation", "community", "alert"]

    def filter_overdue(self, queryset: QuerySet[Assignment], name: str, value: bool | None) -> QuerySet[Assignment]:
        if value is None:
            return queryset
        return queryset.filter(OVERDUE_NOW) if value else queryset.exclude(OVERDUE_NOW)

    def filter_alert(self, queryset: QuerySet[Assignment], name: str, value: Decimal | None) -> QuerySet[Assignment]:
        if value is None:
            return queryset
        # An id no database column can hold names no alert (and must not reach the query).
        if value != value.to_integral_value() or not 0 < value <= MAX_ID:
            return queryset.none()
        return queryset.filter(alert_id=int(value))


class NotificationFilter(django_filters.FilterSet):  # type: ignore[misc]  # django-filter has no type stubs
    """Filter a user's notifications by whether they are still unread."""

    unread = django_filters.BooleanFilter(field_name="read_at", lookup_expr="isnull", label=_("Unread"))

    class Meta:
        model = Notification
        fields = ["unread"]
