"""The role home pages, composed from each app's selectors (every read through visible_to).

They sit at the top of the layers because a desk shows several apps at once: the
analyst's reports and risk (indicators), the response desks (alerts), the coverage and
the administrator's structure (the core).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db.models import Count
from django.utils import timezone

from alerts.models import Alert, Assignment, Handoff
from alerts.selectors import (
    alerts_open_by_level,
    alerts_open_for_review,
    assignments_active,
    assignments_declined,
    assignments_overdue,
    handoffs_waiting,
)
from ewers.choices import Role
from ewers.models import Organisation, Region, Theme, User
from ewers.selectors import RECENT_DAYS, CoveredRegion, regions_covered
from indicators.choices import ReportStatus
from indicators.models import FieldReport, Indicator
from indicators.selectors import communities_at_risk, reports_recent

# Rows a home page lists (about a screen); the cards above the lists give the full
# counts, and each list links to its full, filtered page.
HOME_LIST_LIMIT = 20


def user_home_template(user: User) -> str:
    """The home page template for the user's role."""
    role = Role.ADMIN if user.is_administrator else user.role
    return f"ewers/home_{role}.html"


@dataclass
class HomeSummary:
    """What a role's home page shows."""

    cards: dict[str, Any] = field(default_factory=dict)
    reports: list[FieldReport] = field(default_factory=list)
    assignments: list[Assignment] = field(default_factory=list)
    regions: list[CoveredRegion] = field(default_factory=list)
    alerts_by_level: dict[str, int] = field(default_factory=dict)
    alerts: list[Alert] = field(default_factory=list)
    declined: list[Assignment] = field(default_factory=list)
    overdue: list[Assignment] = field(default_factory=list)
    communities: list[Region] = field(default_factory=list)
    handoffs: list[Handoff] = field(default_factory=list)
    organisation: Organisation | None = None


def _administrator(summary: HomeSummary) -> None:
    summary.cards = {
        "organisations": Organisation.objects.count(),
        "users": User.objects.filter(is_active=True).count(),
        "communities": Region.objects.communities().count(),
        "indicators": Indicator.objects.filter(is_active=True).count(),
        "themes": Theme.objects.count(),
    }
    summary.cards["regions_by_level"] = dict(
        Region.objects.values_list("level").annotate(n=Count("id")).values_list("level", "n")
    )


def _analyst(summary: HomeSummary, user: User, since: Any) -> None:
    mine = FieldReport.objects.visible_to(user)
    summary.reports = list(reports_recent(user))
    summary.communities = list(communities_at_risk(user)[:HOME_LIST_LIMIT])
    summary.cards = {
        "communities": Region.objects.visible_to(user).communities().count(),
        "reports_recent": mine.filter(received_at__gte=since).count(),
        "reports_unscored": mine.filter(status=ReportStatus.RECEIVED).count(),
    }


def _responder(summary: HomeSummary, user: User) -> None:
    active = assignments_active(user)
    summary.assignments = list(active[:HOME_LIST_LIMIT])
    summary.handoffs = list(handoffs_waiting(user)[:HOME_LIST_LIMIT])
    summary.cards = {
        "assignments_active": active.count(),
        "assignments_overdue": active.overdue().count(),
        "communities": Region.objects.visible_to(user).communities().count(),
    }


def _coordinator(summary: HomeSummary, user: User, since: Any) -> None:
    summary.regions = regions_covered(user)
    summary.alerts_by_level = alerts_open_by_level(user)
    alerts = alerts_open_for_review(user)
    declined = assignments_declined(user)
    overdue = assignments_overdue(user)
    summary.alerts = list(alerts[:HOME_LIST_LIMIT])
    summary.declined = list(declined[:HOME_LIST_LIMIT])
    summary.overdue = list(overdue[:HOME_LIST_LIMIT])
    summary.cards = {
        "communities": Region.objects.visible_to(user).communities().count(),
        "reports_recent": FieldReport.objects.visible_to(user).filter(received_at__gte=since).count(),
        "alerts_open": sum(summary.alerts_by_level.values()),
        "alerts_unverified": alerts.filter(verified=False).count(),
        "assignments_declined": declined.count(),
        "assignments_overdue": overdue.count(),
    }


def home_summary(user: User) -> HomeSummary:
    """Gather the figures for the user's home page, each through visible_to."""
    summary = HomeSummary(organisation=user.organisation)
    since = timezone.now() - timedelta(days=RECENT_DAYS)
    if user.is_administrator:
        _administrator(summary)
    elif user.role == Role.ANALYST:
        _analyst(summary, user, since)
    elif user.role == Role.RESPONDER:
        _responder(summary, user)
    elif user.role == Role.COORDINATOR:
        _coordinator(summary, user, since)
    return summary
