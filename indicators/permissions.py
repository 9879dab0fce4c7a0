"""Who may log, verify or dispute field reports: read-only predicates, and the message each
refusal gives (written once, for pages, API and services alike)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from ewers.choices import Role
from ewers.models import User
from indicators.models import FieldReport

MAY_NOT_LOG_REPORTS = _("Only analysts and coordinators log field reports.")
MAY_NOT_VERIFY = _(
    "A report is verified or disputed by someone other than its author: an analyst of an organisation "
    "covering the community, or a coordinator."
)


def field_report_may_create(*, user: User) -> bool:
    """Analysts and coordinators log reports, for their organisation; responders and
    administrators do not."""
    return user.role in (Role.ANALYST, Role.COORDINATOR) and user.organisation_id is not None


def field_report_may_verify(*, report: FieldReport, user: User) -> bool:
    """Four eyes (PRODUCT.md): never the report's author; an analyst of an organisation
    covering the community (their own or another, cleared for its handling level), or a
    coordinator covering it."""
    if user.pk == report.created_by_id or not user.is_active:
        return False
    if report.community_id not in user.covered_community_ids:
        return False
    if user.role == Role.COORDINATOR:
        return True
    return user.role == Role.ANALYST and report.content_visible_to(user)
