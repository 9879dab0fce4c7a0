"""Filters shared by the apps' FilterSets (pages and API alike)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q

from ewers.lookups import parse_id


class CodeOrIdFilter(django_filters.CharFilter):  # type: ignore[misc]  # django-filter has no type stubs
    """Rows whose related object (``field_name``) is named by its code or its id."""

    def filter(self, qs: Any, value: Any) -> Any:
        value = (value or "").strip()
        if not value:
            return qs
        if not value.isprintable():
            return qs.none()  # PostgreSQL refuses NUL in a query; no code has one
        condition = Q(**{f"{self.field_name}__code": value})
        if (pk := parse_id(value)) is not None:
            condition |= Q(**{f"{self.field_name}_id": pk})
        return qs.filter(condition)
