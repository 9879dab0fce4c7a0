"""Admin of the core: organisations, users, regions, themes. Writes go through services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from ewers.models import Organisation, Region, Theme, User
from ewers.services import region_upsert


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent", "has_boundary"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    list_select_related = ["parent"]
    autocomplete_fields = ["parent"]
    fields = ["code", "name", "level", "parent", "boundary"]

    @admin.display(boolean=True, description=_("boundary"))
    def has_boundary(self, obj: Region) -> bool:
        return obj.boundary is not None

    def save_model(self, request: HttpRequest, obj: Region, form: Any, change: bool) -> None:
        # The service keeps the ancestor columns consistent with the parent.
        try:
            saved, _created = region_upsert(
                code=obj.code, name=obj.name, level=obj.level, parent=obj.parent, boundary=obj.boundary
            )
        except ValidationError as exc:
            form.add_error(None, exc)
            raise
        obj.pk = saved.pk

    def has_delete_permission(self, request: HttpRequest, obj: Region | None = None) -> bool:
        # Reports, assessments and alerts point at regions: they are never deleted here.
        return False


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Organisation)
class OrganisationAdmin(SimpleHistoryAdmin):
    list_display = ["name", "code", "sector", "min_alert_level", "is_active"]
    list_filter = ["sector", "min_alert_level", "is_active"]
    search_fields = ["name", "code"]
    filter_horizontal = ["coverage", "mandate"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "email", "organisation", "role", "is_active", "last_login"]
    list_filter = ["role", "organisation", "is_active", "is_staff"]
    list_select_related = ["organisation"]
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("EWERS"), {"fields": ("organisation", "role")}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        (_("EWERS"), {"fields": ("organisation", "role")}),
    )
