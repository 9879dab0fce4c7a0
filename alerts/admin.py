"""Admin of the alerts app: read-only views of alerts, their timeline and assignments.

State changes go through the alert and assignment services (and their pages), which
record the timeline; the admin does not offer a way around them.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from alerts.models import Alert, AlertEvent, Assignment
from ewers.admin import NeedToKnowAdmin
from indicators.admin import ReadOnlyInline


class AlertEventInline(ReadOnlyInline):
    model = AlertEvent
    fields = readonly_fields = ("at", "kind", "level", "actor", "organisation", "note")


class AssignmentInline(ReadOnlyInline):
    model = Assignment
    fields = readonly_fields = (
        "organisation",
        "state",
        "due_at",
        "acknowledged_at",
        "finished_at",
        "outcome",
        "reason",
    )


@admin.register(Alert)
class AlertAdmin(NeedToKnowAdmin):
    list_display = ["id", "community", "level", "state", "verified", "opened_at", "escalated_at", "closed_at"]
    list_filter = ["state", "level", "verified", "outcome"]
    search_fields = ["community__name", "community__code"]
    list_select_related = ["community"]
    date_hierarchy = "opened_at"
    readonly_fields = [
        "community",
        "level",
        "state",
        "verified",
        "verified_at",
        "verified_by",
        "assessment",
        "explanation",
        "opened_at",
        "escalated_at",
        "closed_at",
        "closed_by",
        "close_note",
        "outcome",
        "cooldown_until",
    ]
    inlines = [AssignmentInline, AlertEventInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Alert | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Alert | None = None) -> bool:
        return False


@admin.register(Assignment)
class AssignmentAdmin(NeedToKnowAdmin):
    list_display = ["id", "alert", "organisation", "state", "due_at"]
    list_filter = ["state", "organisation"]
    list_select_related = ["alert__community", "organisation"]
    readonly_fields = [
        "alert",
        "organisation",
        "state",
        "created_at",
        "due_at",
        "acknowledged_at",
        "started_at",
        "finished_at",
        "overdue_notified_at",
        "outcome",
        "reason",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Assignment | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Assignment | None = None) -> bool:
        return False
