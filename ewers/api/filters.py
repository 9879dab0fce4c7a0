"""Filters of the core's API lists."""

from __future__ import annotations

from decimal import Decimal

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from ewers.api.fields import MAX_ID
from ewers.choices import RegionLevel
from ewers.models import Region


class RegionFilter(django_filters.FilterSet):  # type: ignore[misc]
    """Regions by level and by parent id.

    The parent is a plain number, not a choice among all regions: an unknown id gives an
    empty list, so the filter does not tell whether a region outside the share exists.
    """

    level = django_filters.ChoiceFilter(choices=RegionLevel.choices, label=_("Level"))
    parent = django_filters.NumberFilter(method="filter_parent", label=_("Parent id"))

    class Meta:
        model = Region
        fields = ["level", "parent"]

    def filter_parent(self, queryset: QuerySet[Region], name: str, value: Decimal | None) -> QuerySet[Region]:
        if value is None:
            return queryset
        # An id no database column can hold names no region (and must not reach the query).
        if value != value.to_integral_value() or not 0 < value <= MAX_ID:
            return queryset.none()
        return queryset.filter(parent_id=int(value))
