"""The audit trail in the admin: administrators read it; nobody adds, edits or deletes."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy as _

from audit.models import AuditEvent
from audit.selectors import audit_chain_verify
from ewers.models import User


def _administrator(request: HttpRequest) -> bool:
    user = request.user
    return isinstance(user, User) and user.is_active and user.is_administrator


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin[AuditEvent]):
    list_display = ["at", "actor_username", "action", "object_type", "object_id", "detail", "status"]
    # The changelist template adds the "Verify the chain" button.
    change_list_template = "admin/audit/auditevent/change_list.html"
    list_filter = ["action", "object_type"]
    search_fields = ["actor_username", "object_id"]
    date_hierarchy = "at"
    readonly_fields = [
        "at",
        "actor",
        "actor_username",
        "action",
        "object_type",
        "object_id",
        "detail",
        "path",
        "method",
        "status",
        "object_ids",
        "prev_hash",
        "hash",
    ]
    list_select_related = ["actor"]

    def get_urls(self) -> list[URLPattern]:
        verify = path("verify/", self.admin_site.admin_view(self.verify_view), name="audit_auditevent_verify")
        return [verify, *super().get_urls()]

    def verify_view(self, request: HttpRequest) -> HttpResponse:
        """The chain recomputed (as ``manage.py audit_verify``): intact, or its first break."""
        if not _administrator(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Verify the audit trail"),
            "report": audit_chain_verify(),
        }
        return TemplateResponse(request, "admin/audit/auditevent/verify.html", context)

    # Readable by administrators whatever their group's permissions; the database
    # refuses changes anyway (audit.seal), so no role gets add, change or delete.
    def has_module_permission(self, request: HttpRequest) -> bool:
        return _administrator(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _administrator(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
