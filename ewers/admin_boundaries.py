"""The admin of boundaries: the import page of the region list (with the consent to moves a
dry run found), the record of imports with their undo, and the deletion of places without
cases (docs/boundaries.md)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ewers.boundaries import BoundaryImportError, BoundaryImportResult, boundaries_import, import_summary
from ewers.choices import PARENT_LEVEL, RegionLevel
from ewers.models import BoundaryImport, Region, User
from ewers.services import boundary_import_undo, boundary_import_undo_problem, region_delete, region_delete_problem


def boundary_upload_max_bytes() -> int:
    """The largest file the admin page takes: it is read within a web request, so far
    less than the command's limit (docs/boundaries.md)."""
    return min(settings.EWERS_BOUNDARY_ADMIN_MAX_BYTES, settings.EWERS_BOUNDARY_MAX_BYTES)


class BoundaryImportForm(forms.Form):
    """The upload of a GeoJSON FeatureCollection of one level of one country (docs/boundaries.md)."""

    file = forms.FileField(label=_("GeoJSON file"), help_text=_("A FeatureCollection of Polygons or MultiPolygons."))
    level = forms.ChoiceField(label=_("level"), choices=RegionLevel.choices, initial=RegionLevel.COMMUNITY)
    country = forms.ModelChoiceField(
        label=_("country"),
        queryset=Region.objects.filter(level=RegionLevel.COUNTRY).order_by("name"),
        required=False,
        help_text=_("The country the file belongs to; by default the country of its parents."),
    )
    code_property = forms.CharField(label=_("code property"), max_length=100, initial="code")
    name_property = forms.CharField(label=_("name property"), max_length=100, initial="name")
    parent_property = forms.CharField(
        label=_("parent property"),
        max_length=100,
        required=False,
        help_text=_("The property holding the parent one level up (its code, or its name); not for a country."),
    )
    parent_match = forms.ChoiceField(
        label=_("match parents by"),
        choices=[("code", _("code")), ("name", _("name"))],
        initial="code",
        required=False,
    )
    dissolve_parents = forms.BooleanField(
        label=_("dissolve parents"),
        required=False,
        help_text=_("Districts only: build each region from the union of the districts that name its code."),
    )
    lenient = forms.BooleanField(
        label=_("lenient"), required=False, help_text=_("Only warn about places mostly outside their parent.")
    )
    dry_run = forms.BooleanField(
        label=_("dry run"), required=False, initial=True, help_text=_("Check the file and count; write nothing.")
    )
    repair = forms.BooleanField(
        label=_("repair invalid polygons"),
        required=False,
        help_text=_("Mend rings that cross themselves instead of refusing the file."),
    )
    allow_moves = forms.BooleanField(
        label=_("allow the moves listed above"),
        required=False,
        help_text=_("The places listed as moving go to their new parent, with everything below them."),
    )

    def __init__(self, *args: Any, show_moves_consent: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not show_moves_consent:
            # The consent is asked only once a dry run has listed the moves.
            self.fields["allow_moves"].widget = forms.HiddenInput()

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        limit = boundary_upload_max_bytes()
        if upload.size is not None and upload.size > limit:
            raise forms.ValidationError(
                _(
                    "The file is %(size)s bytes; at most %(max)s bytes can be uploaded here. "
                    "Load larger files with the import_boundaries management command."
                ),
                params={"size": f"{upload.size:,}", "max": f"{limit:,}"},
            )
        return upload

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        level = data.get("level")
        needs_parent = level and PARENT_LEVEL[level] is not None
        if (
            needs_parent
            and not data.get("parent_property")
            and not (level == RegionLevel.REGION and data.get("country"))
        ):
            self.add_error("parent_property", _("Below a country, name the property that holds the parent's code."))
        return data


def boundary_import_summary(result: BoundaryImportResult) -> str:
    """The counts, without the level the command's first line starts with."""
    return import_summary(result, "")[0].removeprefix(": ")


def _run_import(request: HttpRequest, data: dict[str, Any]) -> BoundaryImportResult:
    country = data.get("country")
    return boundaries_import(
        source=data["file"],
        level=data["level"],
        code_property=data["code_property"],
        name_property=data["name_property"],
        parent_property=data["parent_property"] or None,
        dry_run=data["dry_run"],
        repair=data["repair"],
        max_bytes=boundary_upload_max_bytes(),
        country=country.code if country is not None else None,
        parent_match=data["parent_match"] or "code",
        dissolve_parents=data["dissolve_parents"],
        lenient=data["lenient"],
        allow_moves=data["allow_moves"],
        file_name=getattr(data["file"], "name", "") or "",
        user=request.user if isinstance(request.user, User) else None,
    )


class RegionBoundariesMixin(admin.ModelAdmin[Region]):
    """The region list's import page, and deletion of places without cases."""

    def may_import_boundaries(self, request: HttpRequest) -> bool:
        """Loading boundaries creates and changes places in bulk: administrators only."""
        user = request.user
        return (
            bool(getattr(user, "is_administrator", False))
            and self.has_add_permission(request)
            and self.has_change_permission(request)
        )

    def get_urls(self) -> list[URLPattern]:
        upload = path(
            "import-boundaries/",
            self.admin_site.admin_view(self.import_boundaries_view),
            name="ewers_region_import_boundaries",
        )
        return [upload, *super().get_urls()]

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        extra_context = {**(extra_context or {}), "may_import_boundaries": self.may_import_boundaries(request)}
        return super().changelist_view(request, extra_context)

    def import_boundaries_view(self, request: HttpRequest) -> HttpResponse:
        if not self.may_import_boundaries(request):
            raise PermissionDenied
        result: BoundaryImportResult | None = None
        problems: list[str] = []
        form = BoundaryImportForm(show_moves_consent=bool(request.POST.get("moves_listed")))
        if request.method == "POST":
            form = BoundaryImportForm(
                request.POST, request.FILES, show_moves_consent=bool(request.POST.get("moves_listed"))
            )
            if form.is_valid():
                try:
                    result = _run_import(request, form.cleaned_data)
                except BoundaryImportError as exc:
                    problems = exc.messages
                else:
                    if not result.dry_run:
                        self.message_user(
                            request, " ".join(import_summary(result, form.cleaned_data["level"])), messages.SUCCESS
                        )
                        return redirect("admin:ewers_region_changelist")
                    if result.moves:
                        # The file is chosen again; the other choices are kept.
                        initial = {k: v for k, v in form.cleaned_data.items() if k != "file"}
                        form = BoundaryImportForm(initial=initial, show_moves_consent=True)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Import boundaries"),
            "form": form,
            "result": result,
            "summary": boundary_import_summary(result) if result else "",
            "problems": problems,
            "moves_listed": bool(result and result.moves) or bool(request.POST.get("moves_listed")),
            "max_bytes": boundary_upload_max_bytes(),
        }
        return TemplateResponse(request, "admin/ewers/region/import_boundaries.html", context)

    def has_delete_permission(self, request: HttpRequest, obj: Region | None = None) -> bool:
        # Administrators may delete a place without cases (region_delete refuses the others).
        return bool(getattr(request.user, "is_administrator", False)) and super().has_delete_permission(request, obj)

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> tuple[Any, Any, Any, Any]:
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        refusals = [problem for obj in objs if (problem := region_delete_problem(obj))]
        if refusals:
            # Our reason, not "your account lacks permission to delete field reports": nothing
            # that hangs on a place is deleted with it.
            return deleted, counts, set(), refusals
        return deleted, counts, perms_needed, protected

    def delete_model(self, request: HttpRequest, obj: Region) -> None:
        region_delete(region=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Region]) -> None:
        depth = {level: index for index, level in enumerate(RegionLevel.values)}
        # The deepest first, so that a selected parent is free of its selected children.
        for region in sorted(queryset, key=lambda r: -depth[r.level]):
            region_delete(region=region)


@admin.register(BoundaryImport)
class BoundaryImportAdmin(admin.ModelAdmin[BoundaryImport]):
    """Every boundary import that wrote something; the undo action takes one back."""

    list_display = ["created_at", "created_by", "file_name", "country_code", "level", "created_count"]
    list_display += ["updated_count", "moved_count", "undone_at"]
    list_filter = ["level", "country_code"]
    readonly_fields = ["created_at", "created_by", "file_name", "file_sha256", "country", "country_code", "level"]
    readonly_fields += ["created_count", "updated_count", "moved_count", "unchanged_count", "undone_at", "undone_by"]
    exclude = ["created_ids", "previous"]
    actions = ["undo"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: BoundaryImport | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: BoundaryImport | None = None) -> bool:
        return False

    @admin.action(description=_("Undo the selected imports"), permissions=["view"])
    def undo(self, request: HttpRequest, queryset: QuerySet[BoundaryImport]) -> None:
        if not getattr(request.user, "is_administrator", False):
            raise PermissionDenied
        user = request.user if isinstance(request.user, User) else None
        # The latest first: an earlier import of a country is undone only after the later ones.
        for record in queryset.order_by("-created_at", "-pk"):
            problem = boundary_import_undo_problem(record)
            try:
                if problem:
                    raise ValidationError(problem)
                boundary_import_undo(record=record, user=user)
            except ValidationError as exc:
                values = {"record": record, "reason": " ".join(exc.messages)}
                self.message_user(request, gettext("%(record)s was not undone: %(reason)s") % values, messages.ERROR)
            else:
                self.message_user(request, gettext("%(record)s undone.") % {"record": record}, messages.SUCCESS)
