"""Admin of the learning app: the incident register, read-only (incidents are recorded
through their page and API, which audit them)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from ewers.admin import NeedToKnowAdmin
from learning.models import Incident


@admin.register(Incident)
class IncidentAdmin(NeedToKnowAdmin):
    list_display = ["id", "community", "kind", "severity", "occurred_at", "organisation"]
    list_filter = ["kind", "severity"]
    search_fields = ["community__name", "community__code"]
    list_select_related = ["community", "organisation"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Incident | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Incident | None = None) -> bool:
        return False
