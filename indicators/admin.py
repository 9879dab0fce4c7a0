"""Admin of the indicators app. Reports are read here, never edited: they are evidence."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext, gettext_lazy

from ewers.admin import NeedToKnowAdmin
from indicators.frameworks import framework_dumps
from indicators.models import Contribution, FieldReport, Indicator, IndicatorVersion, Reading, RiskAssessment
from indicators.services import MEANING_FIELDS, VERSIONED_FIELDS, framework_export, indicator_upsert


class ReadOnlyInline(admin.TabularInline[Any, Any]):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class IndicatorVersionInline(ReadOnlyInline):
    model = IndicatorVersion
    fields = readonly_fields = ("version", *VERSIONED_FIELDS, "changed_at", "changed_by", "reason")


@admin.action(description=gettext_lazy("Export as an indicator framework (JSON)"), permissions=["view"])
def framework_export_action(
    modeladmin: admin.ModelAdmin[Indicator], request: HttpRequest, queryset: QuerySet[Indicator]
) -> HttpResponse:
    """The chosen indicators and their themes as a framework file, for a partner to adapt
    and load with ``manage.py framework_import`` (docs/frameworks.md)."""
    framework = framework_export(codes=list(queryset.values_list("code", flat=True)))
    response = HttpResponse(framework_dumps(framework), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="indicator-framework.json"'
    return response


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin[Indicator]):
    list_display = ["code", "name", "category", "theme", "polarity", "weight", "half_life_days", "version", "is_active"]
    actions = [framework_export_action]
    list_filter = ["category", "polarity", "theme", "handling_level", "is_active"]
    search_fields = ["code", "name", "name_ms"]
    list_select_related = ["theme"]
    inlines = [IndicatorVersionInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Indicator | None = None) -> list[str]:
        # The code names the indicator in reports, imports and past scores: set once. Once
        # readings exist, what a value means (scale, polarity, category) is fixed too.
        if obj is None:
            return ["version"]
        if obj.readings.exists():
            return ["code", "version", *MEANING_FIELDS]
        return ["code", "version"]

    def save_model(self, request: HttpRequest, obj: Indicator, form: Any, change: bool) -> None:
        # Through the service, so that a change of weight or threshold is versioned.
        saved, _created = indicator_upsert(
            code=obj.code,
            name=obj.name,
            description=obj.description,
            category=obj.category,
            theme=obj.theme,
            polarity=obj.polarity,
            weight=obj.weight,
            scale_min=obj.scale_min,
            scale_max=obj.scale_max,
            scale_labels=obj.scale_labels,
            threshold_moderate=obj.threshold_moderate,
            threshold_high=obj.threshold_high,
            threshold_critical=obj.threshold_critical,
            half_life_days=obj.half_life_days,
            is_active=obj.is_active,
            handling_level=obj.handling_level,
            name_ms=obj.name_ms,
            description_ms=obj.description_ms,
            scale_labels_ms=obj.scale_labels_ms,
            changed_by=request.user,  # type: ignore[arg-type]
            reason=gettext("changed in the admin"),
        )
        obj.pk, obj.version = saved.pk, saved.version


class ReadingInline(ReadOnlyInline):
    model = Reading
    fields = readonly_fields = ("indicator", "value")


@admin.register(FieldReport)
class FieldReportAdmin(NeedToKnowAdmin):
    list_display = ["id", "community", "observed_at", "grading", "verification", "status", "organisation"]
    list_filter = ["status", "verification", "source_reliability", "organisation"]
    search_fields = ["community__name", "community__code"]
    list_select_related = ["community", "organisation"]
    date_hierarchy = "observed_at"
    # The source reference is deliberately absent: the admin is not a way around
    # need-to-know, and reading it must go through the audited pages.
    fields = readonly_fields = (
        "community",
        "observed_at",
        "received_at",
        "source_reliability",
        "information_credibility",
        "narrative",
        "narrative_purged_at",
        "verification",
        "status",
        "scored_at",
        "scoring_attempts",
        "created_by",
        "organisation",
    )
    inlines = [ReadingInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: FieldReport | None = None) -> bool:
        return False


class ContributionInline(ReadOnlyInline):
    model = Contribution
    fields = readonly_fields = ("indicator", "indicator_version", "report", "amount")


@admin.register(RiskAssessment)
class RiskAssessmentAdmin(NeedToKnowAdmin):
    list_display = ["community", "assessed_at", "score", "level"]
    list_filter = ["level"]
    search_fields = ["community__name", "community__code"]
    list_select_related = ["community"]
    readonly_fields = ["community", "assessed_at", "score", "raw_score", "level", "report"]
    inlines = [ContributionInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: RiskAssessment | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: RiskAssessment | None = None) -> bool:
        return False
