"""Filters of field-report lists: one FilterSet for the HTML list and the API."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField

from ewers.filters import CodeOrIdFilter
from indicators.choices import ReportStatus, Verification
from indicators.models import FieldReport


class BoundedIsoDateTimeField(IsoDateTimeField):  # type: ignore[misc]  # no type stubs
    """An ISO 8601 time that can also be written in UTC: a time near year 1 with a
    positive offset cannot, and SQLite would fail on it (a 500, not a 400). The time is
    given on in UTC: PostgreSQL refuses offsets beyond ±15:59, which ISO 8601 allows."""

    def clean(self, value: Any) -> datetime | None:
        try:
            result: datetime | None = super().clean(value)
            if result is not None:
                result = result.astimezone(UTC)
        except OverflowError:
            raise forms.ValidationError(_("This time is out of range."), code="invalid") from None
        return result


class BoundedIsoDateTimeFilter(django_filters.IsoDateTimeFilter):  # type: ignore[misc]  # no type stubs
    field_class = BoundedIsoDateTimeField


class FieldReportFilter(django_filters.FilterSet):  # type: ignore[misc]  # django-filter has no type stubs
    """Filter reports by community (id or code), status, verification, time and author."""

    community = CodeOrIdFilter(field_name="community", label=_("Community (code or id)"))
    status = django_filters.ChoiceFilter(choices=ReportStatus.choices, label=_("Status"))
    verification = django_filters.ChoiceFilter(choices=Verification.choices, label=_("Verification"))
    observed_after = BoundedIsoDateTimeFilter(field_name="observed_at", lookup_expr="gte", label=_("Observed from"))
    observed_before = BoundedIsoDateTimeFilter(field_name="observed_at", lookup_expr="lte", label=_("Observed until"))
    mine = django_filters.BooleanFilter(method="filter_mine", label=_("Only reports I logged"))

    class Meta:
        model = FieldReport
        fields = ["community", "status", "verification", "observed_after", "observed_before", "mine"]

    def filter_mine(self, queryset: QuerySet[FieldReport], name: str, value: Any) -> QuerySet[FieldReport]:
        if value and self.request is not None and self.request.user.is_authenticated:
            return queryset.filter(created_by=self.request.user)
        return queryset
