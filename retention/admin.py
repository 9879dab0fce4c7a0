"""Retention runs in the admin, the policy in force shown above them; read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from ewers.models import User
from retention.models import RetentionRun
from retention.policy import KINDS
from retention.services import retention_policy

# What each kind is, what it is counted from and what happens to it (docs/operations.md).
POLICY_ROWS = {
    "narratives": (
        _("A report's narrative"),
        "EWERS_RETAIN_NARRATIVE_DAYS",
        _("the close of the last alert of the report's community closed since the report came in; else its scoring"),
        _("emptied; the report says when it was purged"),
    ),
    "source_references": (
        _("A report's source reference"),
        "EWERS_RETAIN_SOURCE_REFERENCE_DAYS",
        _("the same"),
        _("erased"),
    ),
    "notifications": (
        _("A notification"),
        "EWERS_RETAIN_NOTIFICATION_DAYS",
        _("when it was made"),
        _("deleted"),
    ),
    "refused_access": (
        _("A refused-access row of the audit trail"),
        "EWERS_RETAIN_REFUSED_ACCESS_DAYS",
        _("the refusal"),
        _("deleted; the gap sealed, the chain kept verifiable"),
    ),
}


def _administrator(request: HttpRequest) -> bool:
    user = request.user
    return isinstance(user, User) and user.is_active and user.is_administrator


@admin.register(RetentionRun)
class RetentionRunAdmin(admin.ModelAdmin[RetentionRun]):
    change_list_template = "admin/retention/retentionrun/change_list.html"
    list_display = ["started_at", "narratives", "source_references", "notifications", "refused_access"]
    date_hierarchy = "started_at"
    readonly_fields = [
        "started_at",
        "finished_at",
        "narratives",
        "source_references",
        "notifications",
        "refused_access",
        "policy",
    ]

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        policy = retention_policy()
        rows = [(*POLICY_ROWS[kind][:2], policy.days(kind), *POLICY_ROWS[kind][2:]) for kind in KINDS]
        context = {"retention_policy": rows, "retention_batch": policy.batch, **(extra_context or {})}
        return super().changelist_view(request, context)

    # Administrators read the runs; nobody adds, edits or deletes one.
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
