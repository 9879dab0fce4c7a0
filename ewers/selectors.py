"""Reads of the core domain and the role home pages. Every query starts from visible_to."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from alerts.choices import ALERT_LEVELS, ASSIGNMENT_ACTIVE_STATES, AlertState
from alerts.models import Alert, Assignment, AssignmentQuerySet
from ewers.choices import Role
from ewers.models import Organisation, Region, Theme, User
from indicators.choices import ReportStatus
from indicators.models import FieldReport, Indicator
from indicators.selectors import communities_visible, reports_visible

RECENT_DAYS = 7
# Rows a home page lists (about a screen); the cards above the lists give the full
# counts, and each list links to its full, filtered page.
HOME_LIST_LIMIT = 20


def user_home_template(user: User) -> str:
    """The home page template for the user's role."""
    role = Role.ADMIN if user.is_administrator else user.role
    return f"ewers/home_{role}.html"


def reports_recent(user: User, *, limit: int = 10) -> QuerySet[FieldReport]:
    """The newest reports the user may see, with what a list row shows, in one query."""
    return reports_visible(user).order_by("-received_at", "-id")[:limit]


def assignments_active(user: User) -> AssignmentQuerySet:
    """Assignments still owed by an organisation, most urgent first (overdue, then pending
    by deadline, then those being worked: ``AssignmentQuerySet.by_urgency``)."""
    return (
        Assignment.objects.visible_to(user)
        .filter(state__in=ASSIGNMENT_ACTIVE_STATES)
        .select_related("alert__community", "organisation")
        .by_urgency()
    )


def assignments_declined(user: User) -> AssignmentQuerySet:
    """Declined assignments waiting for a coordinator to move them, the oldest first."""
    return (
        Assignment.objects.visible_to(user)
        .declined_queue()
        .select_related("alert__community", "organisation")
        .order_by("finished_at", "id")
    )


def assignments_overdue(user: User) -> AssignmentQuerySet:
    """Assignments of open alerts still unacknowledged after their deadline, the oldest first."""
    return (
        Assignment.objects.visible_to(user)
        .overdue()
        .filter(alert__state=AlertState.OPEN)
        .select_related("alert__community", "organisation")
        .order_by("due_at", "id")
    )


def alerts_open_for_review(user: User) -> QuerySet[Alert]:
    """Open alerts as a coordinator works through them: unverified first, then the most
    severe, then the newest."""
    severity = Case(
        *(When(level=level, then=Value(rank)) for rank, level in enumerate(reversed(ALERT_LEVELS))),
        default=Value(len(ALERT_LEVELS)),
        output_field=IntegerField(),
    )
    return (
        Alert.objects.visible_to(user)
        .filter(state=AlertState.OPEN)
        .select_related("community__district")
        .annotate(severity=severity)
        .order_by("verified", "severity", "-opened_at", "-id")
    )


def communities_at_risk(user: User) -> QuerySet[Region]:
    """Communities in the user's coverage by current risk, the highest first (those never
    assessed last)."""
    return communities_visible(user).order_by(F("risk_score").desc(nulls_last=True), "code")


def alerts_open_by_level(user: User) -> dict[str, int]:
    """Open alerts by level, most severe first; empty when there are none."""
    counts = dict(
        Alert.objects.visible_to(user)
        .filter(state=AlertState.OPEN)
        .values_list("level")
        .annotate(n=Count("id"))
        .values_list("level", "n")
    )
    if not counts:
        return {}
    return {level: counts.get(level, 0) for level in reversed(ALERT_LEVELS)}


@dataclass
class CoveredRegion:
    region: Region
    communities: int
    reports_recent: int


def regions_covered(user: User) -> list[CoveredRegion]:
    """The regions an organisation covers, each with its communities and recent reports."""
    since = timezone.now() - timedelta(days=RECENT_DAYS)
    regions = list(Region.objects.filter(organisations=user.organisation_id).order_by("level", "name"))
    if not regions:
        return []
    ids = [r.pk for r in regions]
    # One query for all the counts: each community counted under each covered ancestor.
    rows = (
        Region.objects.communities()
        .within(ids)
        .annotate(recent=Count("field_reports", filter=Q(field_reports__received_at__gte=since)))
        .values_list("pk", "country_id", "region_id", "district_id", "recent")
    )
    communities = dict.fromkeys(ids, 0)
    recent = dict.fromkeys(ids, 0)
    for pk, *ancestors, n in rows:
        for key in (pk, *ancestors):
            if key in communities:
                communities[key] += 1
                recent[key] += n
    return [CoveredRegion(r, communities[r.pk], recent[r.pk]) for r in regions]


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
    organisation: Organisation | None = None


def home_summary(user: User) -> HomeSummary:
    """Gather the figures for the user's home page, each through visible_to."""
    summary = HomeSummary(organisation=user.organisation)
    if user.is_administrator:
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
        return summary
    since = timezone.now() - timedelta(days=RECENT_DAYS)
    if user.role == Role.ANALYST:
        mine = FieldReport.objects.visible_to(user)
        summary.reports = list(reports_recent(user))
        summary.communities = list(communities_at_risk(user)[:HOME_LIST_LIMIT])
        summary.cards = {
            "communities": Region.objects.visible_to(user).communities().count(),
            "reports_recent": mine.filter(received_at__gte=since).count(),
            "reports_unscored": mine.filter(status=ReportStatus.RECEIVED).count(),
        }
    elif user.role == Role.RESPONDER:
        active = assignments_active(user)
        summary.assignments = list(active[:HOME_LIST_LIMIT])
        summary.cards = {
            "assignments_active": active.count(),
            "assignments_overdue": active.overdue().count(),
            "communities": Region.objects.visible_to(user).communities().count(),
        }
    elif user.role == Role.COORDINATOR:
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
    return summary
