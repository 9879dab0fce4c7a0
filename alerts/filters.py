"""Filters of alert lists: one FilterSet for the HTML list and the API."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from alerts.choices import ALERT_LEVELS, AlertState
from alerts.models import Alert
from ewers.choices import RiskLevel
from ewers.lookups import parse_id


class AlertFilter(django_filters.FilterSet):  # type: ignore[misc]  # django-filter has no type stubs
    """Filter alerts by state, level, community (id or code) and verification."""

    state = django_filters.ChoiceFilter(choices=AlertState.choices, label=_("State"))
    level = django_filters.ChoiceFilter(
        choices=[(value, label) for value, label in RiskLevel.choices if value in ALERT_LEVELS], label=_("Level")
    )
    community = django_filters.CharFilter(method="filter_community", label=_("Community (code or id)"))
    verified = django_filters.BooleanFilter(label=_("Verified"))

    class Meta:
        model = Alert
        fields = ["state", "level", "community", "verified"]

    def filter_community(self, queryset: QuerySet[Alert], name: str, value: str) -> QuerySet[Alert]:
        value = value.strip()
        if not value:
            return queryset
        if not value.isprintable():
            return queryset.none()  # PostgreSQL refuses NUL in a query; no code has one
        condition = Q(community__code=value)
        if (pk := parse_id(value)) is not None:
            condition |= Q(community_id=pk)
        return queryset.filter(condition)
