"""Admin of the core: organisations, users, regions, themes.

Regions are written through ``region_upsert``, which keeps the hierarchy's ancestor columns.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from ewers.models import Organisation, Region, Theme, User
from ewers.services import region_placement_check, region_upsert


class RegionAdminForm(forms.ModelForm[Region]):
    class Meta:
        model = Region
        fields = ["code", "name", "level", "parent", "boundary"]

    def clean(self) -> dict[str, Any]:
        # region_upsert's own rule, shown as a form error rather than a failure on save.
        data = super().clean() or {}
        if data.get("level"):
            existing = Region.objects.get(pk=self.instance.pk) if self.instance.pk else None
            try:
                region_placement_check(level=data["level"], parent=data.get("parent"), existing=existing)
            except ValidationError as exc:
                self.add_error(None, exc)
        return data


class NeedToKnowAdmin(admin.ModelAdmin[Any]):
    """Lists only the rows ``visible_to(user)`` allows: the admin site is no way around
    need-to-know, for staff and superusers alike."""

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset: QuerySet[Any] = super().get_queryset(request).visible_to(request.user)  # type: ignore[attr-defined]
        return queryset


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin[Region]):
    form = RegionAdminForm
    list_display = ["code", "name", "level", "parent", "has_boundary"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    list_select_related = ["parent"]
    autocomplete_fields = ["parent"]

    def get_readonly_fields(self, request: HttpRequest, obj: Region | None = None) -> list[str]:
        # Codes are the stable names imports, exports and partners use: set once.
        return ["code"] if obj is not None else []

    @admin.display(boolean=True, description=_("boundary"))
    def has_boundary(self, obj: Region) -> bool:
        return obj.boundary is not None

    def save_model(self, request: HttpRequest, obj: Region, form: Any, change: bool) -> None:
        # The service keeps the ancestor columns consistent with the parent.
        saved, _created = region_upsert(
            code=obj.code, name=obj.name, level=obj.level, parent=obj.parent, boundary=obj.boundary
        )
        obj.pk = saved.pk

    def has_delete_permission(self, request: HttpRequest, obj: Region | None = None) -> bool:
        # Reports, assessments and alerts point at regions: they are never deleted here.
        return False


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin[Theme]):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Organisation)
class OrganisationAdmin(SimpleHistoryAdmin):  # type: ignore[misc]
    list_display = ["name", "code", "sector", "min_alert_level", "is_active"]
    list_filter = ["sector", "min_alert_level", "is_active"]
    search_fields = ["name", "code"]
    filter_horizontal = ["coverage", "mandate"]


class UserCreationAdminForm(AdminUserCreationForm):
    """New users are never superusers here, so each needs an organisation."""

    class Meta(AdminUserCreationForm.Meta):  # type: ignore[name-defined,misc]
        model = User
        fields = ("username", "organisation", "role")

    def clean_organisation(self) -> Organisation:
        organisation: Organisation | None = self.cleaned_data.get("organisation")
        if organisation is None:
            raise forms.ValidationError(_("Every user except a superuser belongs to an organisation."))
        return organisation


@admin.register(User)
class UserAdmin(DjangoUserAdmin[User]):
    add_form = UserCreationAdminForm
    list_display = ["username", "email", "organisation", "role", "is_active", "last_login"]
    list_filter = ["role", "organisation", "is_active", "is_staff"]
    list_select_related = ["organisation"]
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        (_("EWERS"), {"fields": ("organisation", "role")}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        (_("EWERS"), {"fields": ("organisation", "role")}),
    )
