"""Filters of alert lists: one FilterSet for the HTML list and the API."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from alerts.choices import ALERT_LEVELS, AlertState
from alerts.models import Alert
from ewers.choices import RiskLevel
from ewers.filters import CodeOrIdFilter


class AlertFilter(django_filters.FilterSet):  # type: ignore[misc]  # django-filter has no type stubs
    """Filter alerts by state, level, community (id or code) and verification."""

    state = django_filters.ChoiceFilter(choices=AlertState.choices, label=_("State"))
    level = django_filters.ChoiceFilter(
        choices=[(value, label) for value, label in RiskLevel.choices if value in ALERT_LEVELS], label=_("Level")
    )
    community = CodeOrIdFilter(field_name="community", label=_("Community (code or id)"))
    verified = django_filters.BooleanFilter(label=_("Verified"))

    class Meta:
        model = Alert
        fields = ["state", "level", "community", "verified"]
