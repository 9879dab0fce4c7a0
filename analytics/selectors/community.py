"""Reads of the community page: trend, explanation by indicator, alert marks, reports.
Every read starts from the user's share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Q, Sum
from django.utils import timezone

from alerts.models import Alert
from alerts.selectors import alerts_visible
from ewers.i18n import localized_column
from ewers.models import Region, User
from indicators.models import Contribution, RiskAssessment
from indicators.selectors import (
    assessment_history,
    reports_visible,
)


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


def community_district_visible(user: User, community: Region) -> bool:
    """Whether the community's district is in the user's share (the page links to the
    heatmap of that district only then: a filter outside the share answers 400)."""
    if community.district_id is None:
        return False
    return Region.objects.visible_to(user).filter(pk=community.district_id).exists()


def community_reports(user: User, community: Region, *, limit: int = 10) -> list[Any]:
    """The community's latest reports that the user may see (no protected field is read)."""
    return list(
        reports_visible(user)
        .filter(community=community)
        .defer("source_reference", "narrative")
        .order_by("-observed_at", "-id")[:limit]
    )
