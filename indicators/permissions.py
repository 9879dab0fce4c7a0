"""Who may log, verify or dispute field reports: read-only predicates, and the message each
refusal gives (written once, for pages, API and services alike)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from ewers.choices import Role
from ewers.models import User
from indicators.models import FieldReport

MAY_NOT_LOG_REPORTS = _("Only analysts and coordinators log field reports.")
MAY_NOT_VERIFY = _("Only the reporting organisation's analysts and the coordinators may do this.")


def field_report_may_create(*, user: User) -> bool:
    """Analysts and coordinators log reports, for their organisation; responders and
    administrators do not."""
    return user.role in (Role.ANALYST, Role.COORDINATOR) and user.organisation_id is not None


def field_report_may_verify(*, report: FieldReport, user: User) -> bool:
    """Verifying or disputing is for the reporting organisation's analysts and the
    coordinators covering the community."""
    if user.role == Role.ANALYST:
        return user.organisation_id is not None and user.organisation_id == report.organisation_id
    if user.role == Role.COORDINATOR:
        return report.community_id in user.covered_community_ids
    return False
