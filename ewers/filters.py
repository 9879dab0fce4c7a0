"""Filters shared by the apps' FilterSets (pages and API alike)."""

from __future__ import annotations

from typing import Any

import django_filters

from ewers.lookups import code_or_id


class CodeOrIdFilter(django_filters.CharFilter):  # type: ignore[misc]  # django-filter has no type stubs
    """Rows whose related object (``field_name``) is named by its code or its id."""

    def filter(self, qs: Any, value: Any) -> Any:
        if not (value or "").strip():
            return qs
        condition = code_or_id(value, field=self.field_name)
        return qs.none() if condition is None else qs.filter(condition)
