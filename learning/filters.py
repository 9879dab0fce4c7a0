"""The incident list's filters: one FilterSet for the page and the API."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from ewers.filters import CodeOrIdFilter
from learning.choices import IncidentKind, IncidentSeverity
from learning.models import Incident


class IncidentFilter(django_filters.FilterSet):  # type: ignore[misc]  # django-filter has no type stubs
    """Filter incidents by community (id or code), kind, severity, and whether a linked
    alert preceded them (``warned=false``: the misses)."""

    community = CodeOrIdFilter(field_name="community", label=_("Community (code or id)"))
    kind = django_filters.ChoiceFilter(choices=IncidentKind.choices, label=_("Kind"))
    severity = django_filters.ChoiceFilter(choices=IncidentSeverity.choices, label=_("Severity"))
    warned = django_filters.BooleanFilter(method="filter_warned", label=_("Linked to an alert"))

    class Meta:
        model = Incident
        fields = ["community", "kind", "severity", "warned"]

    def filter_warned(self, queryset: QuerySet[Incident], name: str, value: bool | None) -> QuerySet[Incident]:
        if value is None:
            return queryset
        linked = Incident.alerts.through.objects.values("incident")
        return queryset.filter(pk__in=linked) if value else queryset.exclude(pk__in=linked)
