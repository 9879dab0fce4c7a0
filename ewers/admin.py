"""Admin of the core: organisations, users, regions, themes.

Regions are written through ``region_upsert``, which keeps the hierarchy's ancestor columns.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from ewers import admin_tokens  # noqa: F401 - registers the token admins
from ewers.admin_boundaries import RegionBoundariesMixin
from ewers.choices import Role
from ewers.geojson import validate_boundary
from ewers.geometry import boundary_validity_problem
from ewers.models import Organisation, Region, Theme, ThemeTier, User
from ewers.permissions import user_may_manage
from ewers.services import organisation_tokens_revoke, region_placement_check, region_upsert, user_upsert


class RegionAdminForm(forms.ModelForm[Region]):
    class Meta:
        model = Region
        fields = ["code", "name", "level", "parent", "boundary"]

    def clean_boundary(self) -> Any:
        # A ring crossing itself passes the GeoJSON checks but breaks maps and area sums.
        boundary = self.cleaned_data.get("boundary")
        try:
            validate_boundary(boundary)
        except ValidationError:
            return boundary  # the model's own validator reports it
        problem = boundary_validity_problem(boundary) if boundary is not None else None
        if problem:
            raise forms.ValidationError(
                _("The boundary is not a valid polygon: %(problem)s."), params={"problem": problem}
            )
        return boundary

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
class RegionAdmin(RegionBoundariesMixin):
    form = RegionAdminForm
    list_display = ["code", "name", "level", "parent", "has_boundary"]
    # The changelist template adds the "Import boundaries" button.
    change_list_template = "admin/ewers/region/change_list.html"
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


class ThemeTierInline(admin.TabularInline[ThemeTier, Theme]):
    """A theme's response tiers by sector (least coercive first); sectors without a row
    keep the default tiers (community organisations 1, agencies 2, police 3)."""

    model = ThemeTier
    extra = 0


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin[Theme]):
    list_display = ["code", "name", "police_at_once"]
    list_filter = ["police_at_once"]
    search_fields = ["code", "name", "name_ms"]
    inlines = [ThemeTierInline]


@admin.register(Organisation)
class OrganisationAdmin(SimpleHistoryAdmin):  # type: ignore[misc]
    list_display = ["name", "code", "sector", "min_alert_level", "shown_to_co_responders", "is_active"]
    list_filter = ["sector", "min_alert_level", "shown_to_co_responders", "is_active"]
    search_fields = ["name", "code"]
    filter_horizontal = ["coverage", "mandate"]

    def save_model(self, request: HttpRequest, obj: Organisation, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            # Its members can no longer sign in (ewers.auth); their tokens go too.
            actor = request.user if isinstance(request.user, User) else None
            organisation_tokens_revoke(organisation=obj, actor=actor)


class UserCreationAdminForm(AdminUserCreationForm):
    """New users are never superusers here, so each needs an organisation; only a superuser
    may give the administrator role (the choice is not offered to others)."""

    class Meta(AdminUserCreationForm.Meta):  # type: ignore[name-defined,misc]
        model = User
        fields = ("username", "organisation", "role")

    def clean_organisation(self) -> Organisation:
        organisation: Organisation | None = self.cleaned_data.get("organisation")
        if organisation is None:
            raise forms.ValidationError(_("Every user except a superuser belongs to an organisation."))
        return organisation


def _role_choices_for(actor: User) -> list[tuple[str, Any]]:
    """The roles ``actor`` may give: all for a superuser, all but administrator otherwise."""
    return [(value, label) for value, label in Role.choices if user_may_manage(actor=actor, target=None, role=value)]


@admin.register(User)
class UserAdmin(DjangoUserAdmin[User]):
    """Accounts: administrators manage organisations, roles and whether an account is
    active; staff status, superuser status, groups and permissions follow from the role
    (``ewers.services.user_upsert``) and are never edited here. Only a superuser creates
    administrators or changes their accounts (``ewers.permissions.user_may_manage``);
    every change of role, organisation or activity is audited."""

    add_form = UserCreationAdminForm
    list_display = ["username", "email", "organisation", "role", "is_active", "last_login"]
    list_filter = ["role", "organisation", "is_active", "is_staff"]
    list_select_related = ["organisation"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "email")}),
        (_("EWERS"), {"fields": ("organisation", "role", "language", "is_active")}),
        (_("Derived from the role"), {"fields": ("is_staff", "is_superuser")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    readonly_fields = ["is_staff", "is_superuser", "last_login", "date_joined"]
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        (_("EWERS"), {"fields": ("organisation", "role")}),
    )

    def has_change_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        allowed = super().has_change_permission(request, obj)
        if not allowed or obj is None or not isinstance(request.user, User):
            return allowed
        return user_may_manage(actor=request.user, target=obj, role=obj.role)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        if "role" in form.base_fields and isinstance(request.user, User):
            form.base_fields["role"].choices = _role_choices_for(request.user)  # type: ignore[attr-defined]
        return form

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        # Through the service, which derives staff, groups and permissions from the role,
        # refuses what the acting user may not do, revokes tokens and audits.
        password = None
        if not change and form.cleaned_data.get("usable_password", "true") not in (False, "false"):
            password = form.cleaned_data.get("password1") or None
        try:
            saved, _created = user_upsert(
                username=obj.username,
                organisation=obj.organisation,
                role=obj.role,
                password=password,
                email=obj.email,
                first_name=obj.first_name,
                last_name=obj.last_name,
                is_active=obj.is_active,
                is_superuser=obj.is_superuser,
                actor=request.user if isinstance(request.user, User) else None,
            )
        except ValidationError as exc:
            raise PermissionDenied("; ".join(exc.messages)) from exc
        obj.pk = saved.pk
        obj.refresh_from_db()
