"""Reads of the community page: trend, explanation by indicator, alert marks, reports.
Every read starts from the user's share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from alerts.models import Alert
from alerts.selectors import alerts_visible
from ewers.i18n import localized_column
from ewers.lookups import get_by_code_or_id
from ewers.models import Region, User
from indicators.models import Contribution, CurrentRisk, FieldReport, Reading, RiskAssessment
from indicators.selectors import assessment_history


@dataclass(frozen=True)
class IndicatorShare:
    """One indicator's part of the current score (its contributions summed)."""

    code: str
    name: str
    polarity: str
    amount: float
    reports: int


@dataclass(frozen=True)
class AlertMark:
    at: datetime
    kind: str
    level: str
    alert_id: int


@dataclass(frozen=True)
class CommunityRisk:
    """A community of the user's share with its latest assessment (None before its
    first) and whether its district is in the share too."""

    community: Region
    latest: RiskAssessment | None
    district_visible: bool


def community_risk_get(user: User, ref: str | int) -> CommunityRisk:
    """A community in the user's coverage, by code or id (a code wins), with its latest
    assessment as the scorer keeps it (``CurrentRisk``) and whether the page may link to
    its district's heatmap (a filter outside the share answers 400), in one query; 404
    outside the share, as ``indicators.selectors.community_get``."""
    shared = Region.objects.visible_to(user)
    communities = (
        shared.communities()
        .select_related("district", "region", "current_risk__assessment")
        .annotate(district_shared=Exists(shared.filter(pk=OuterRef("district_id"))))
    )
    community = get_by_code_or_id(communities, ref)
    if community is None:
        raise Http404("No such community.")
    try:
        latest: RiskAssessment | None = community.current_risk.assessment
    except CurrentRisk.DoesNotExist:
        latest = None
    return CommunityRisk(
        community=community,
        latest=latest,
        district_visible=community.district_id is not None and bool(community.district_shared),  # type: ignore[attr-defined]
    )


def community_trend(community: Region, *, days: int = 180) -> list[RiskAssessment]:
    """The community's assessments over the last ``days`` days, oldest first (at most 500)."""
    since = timezone.now() - timedelta(days=days)
    return list(reversed(assessment_history(community, since=since)))


def community_explanation(assessment: RiskAssessment) -> list[IndicatorShare]:
    """The latest assessment's contributions summed by indicator, largest first: one
    aggregate query, one row per indicator however many readings the window holds."""
    rows = (
        Contribution.objects.filter(assessment=assessment)
        .order_by()
        .values_list("indicator__code", localized_column("indicator__name"), "indicator__polarity")
        .annotate(amount=Sum("amount"), reports=Count("report", distinct=True))
    )
    shares = [
        IndicatorShare(code=code, name=name, polarity=polarity, amount=round(amount, 4), reports=reports)
        for code, name, polarity, amount, reports in rows
    ]
    return sorted(shares, key=lambda s: (-abs(s.amount), s.code))


def community_alert_marks(user: User, community: Region, *, since: datetime) -> tuple[list[Alert], list[AlertMark]]:
    """The community's alerts the user may see (none for analysts), and their opening,
    escalation and closing times from ``since`` on, for the trend chart."""
    alerts = list(
        alerts_visible(user, with_timeline=False)
        .filter(community=community)
        .filter(Q(opened_at__gte=since) | Q(closed_at__isnull=True) | Q(closed_at__gte=since))[:50]
    )
    marks = []
    for alert in alerts:
        for kind, at in (("opened", alert.opened_at), ("escalated", alert.escalated_at), ("closed", alert.closed_at)):
            if at is not None and at >= since:
                marks.append(AlertMark(at=at, kind=kind, level=alert.level, alert_id=alert.pk))
    return alerts, sorted(marks, key=lambda m: m.at)


def community_reports(user: User, community: Region, *, limit: int = 10) -> list[Any]:
    """The community's latest reports that the user may see (no protected field is read),
    with what a list row shows (``indicators.selectors.reports_visible``). The readings
    are counted for the rows shown only (a correlated count after the limit, not an
    aggregate over the community's whole history)."""
    readings = (
        Reading.objects.filter(report=OuterRef("pk")).order_by().values("report").annotate(n=Count("id")).values("n")
    )
    return list(
        FieldReport.objects.visible_to(user)
        .filter(community=community)
        .select_related("community", "created_by", "organisation")
        .annotate(reading_count=Coalesce(Subquery(readings), 0))
        .defer("source_reference", "narrative")
        .order_by("-observed_at", "-id")[:limit]
    )
