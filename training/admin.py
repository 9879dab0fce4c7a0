"""Admin of training: the vignette library (text and whether it is offered; the expert's
readings are written on the coordinators' page, which checks them against the scales),
and the attempts, read-only and need-to-know (``TrainingAttempt.visible_to``)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from ewers.admin import NeedToKnowAdmin
from training.models import TrainingAttempt, TrainingReading, Vignette, VignetteReading


class VignetteReadingInline(admin.TabularInline[VignetteReading, Vignette]):
    model = VignetteReading
    fields = ["indicator", "value"]
    readonly_fields = ["indicator", "value"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Vignette)
class VignetteAdmin(NeedToKnowAdmin):
    list_display = ["title", "community_type", "theme", "organisation", "is_active", "updated_at"]
    list_filter = ["is_active", "theme"]
    search_fields = ["title", "situation"]
    list_select_related = ["theme", "organisation"]
    fields = ["title", "situation", "community_type", "theme", "is_active", "organisation", "created_by", "created_at"]
    readonly_fields = ["organisation", "created_by", "created_at"]
    inlines = [VignetteReadingInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Written on the coordinators' page, with the expert's readings checked.
        return False


class TrainingReadingInline(admin.TabularInline[TrainingReading, TrainingAttempt]):
    model = TrainingReading
    fields = ["indicator", "value"]
    readonly_fields = ["indicator", "value"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(TrainingAttempt)
class TrainingAttemptAdmin(NeedToKnowAdmin):
    list_display = ["id", "vignette", "analyst", "organisation", "submitted_at"]
    list_select_related = ["vignette", "analyst", "organisation"]
    readonly_fields = [
        "vignette",
        "analyst",
        "organisation",
        "submitted_at",
        "source_reliability",
        "information_credibility",
    ]
    inlines = [TrainingReadingInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: TrainingAttempt | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: TrainingAttempt | None = None) -> bool:
        return False
