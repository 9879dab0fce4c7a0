"""Alert quality as shown to coordinators (the overview and the API): the figures of
``learning.selectors.alert_quality_report``, with small counts suppressed by the rule
of the exports (``analytics.heatmap.is_suppressed``, k = EWERS_EXPORT_MIN_REPORTS)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from analytics.heatmap import is_suppressed
from ewers.models import Region, User
from learning.quality import Quality
from learning.selectors import alert_quality_report

# How far back the overview measures alert quality: a year of alerts and incidents.
QUALITY_SPAN_DAYS = 365


@dataclass(frozen=True)
class QualityRow:
    """One group's figures; a figure resting on fewer than k alerts (or incidents) is
    None and named in ``suppressed``."""

    group: str
    alerts: int
    pending: int
    incidents: int
    followed: int | None
    dismissed: int | None
    preceded: int | None
    precision: float | None
    recall: float | None
    dismissed_share: float | None
    median_lead_days: float | None
    suppressed: list[str] = field(default_factory=list)

    @staticmethod
    def percent(share: float | None) -> int | None:
        return None if share is None else round(100 * share)

    @property
    def precision_percent(self) -> int | None:
        return self.percent(self.precision)

    @property
    def recall_percent(self) -> int | None:
        return self.percent(self.recall)

    @property
    def dismissed_percent(self) -> int | None:
        return self.percent(self.dismissed_share)


def quality_row(group: str, quality: Quality, *, minimum: int) -> QualityRow:
    """The group's figures with the small ones left out (do no harm: a small count of
    incidents in a place can point at the people behind it)."""
    few_alerts = is_suppressed(quality.alerts + quality.pending, minimum)
    few_incidents = is_suppressed(quality.incidents, minimum)
    suppressed = []
    if few_alerts:
        suppressed += ["followed", "dismissed", "precision", "dismissed_share"]
    if few_incidents:
        suppressed += ["preceded", "recall", "median_lead_days"]

    def _share(value: float | None, hidden: bool) -> float | None:
        return None if hidden or value is None else round(value, 3)

    return QualityRow(
        group=group,
        alerts=quality.alerts,
        pending=quality.pending,
        incidents=quality.incidents,
        followed=None if few_alerts else quality.followed,
        dismissed=None if few_alerts else quality.dismissed,
        preceded=None if few_incidents else quality.preceded,
        precision=_share(quality.precision, few_alerts),
        recall=_share(quality.recall, few_incidents),
        dismissed_share=_share(quality.dismissed_share, few_alerts),
        median_lead_days=None if few_incidents else quality.median_lead_days,
        suppressed=suppressed,
    )


@dataclass(frozen=True)
class QualityTable:
    since: datetime
    window_days: int
    minimum: int
    overall: QualityRow
    by_level: list[QualityRow]
    by_indicator: list[QualityRow]
    by_period: list[QualityRow]

    def as_dict(self) -> dict[str, Any]:
        def row(r: QualityRow) -> dict[str, Any]:
            return {
                "group": r.group,
                "alerts": r.alerts,
                "pending": r.pending,
                "followed": r.followed,
                "dismissed": r.dismissed,
                "precision": r.precision,
                "dismissed_share": r.dismissed_share,
                "incidents": r.incidents,
                "preceded": r.preceded,
                "recall": r.recall,
                "median_lead_days": r.median_lead_days,
                "suppressed": r.suppressed,
            }

        return {
            "since": self.since.isoformat(),
            "window_days": self.window_days,
            "min_count": self.minimum,
            "overall": row(self.overall),
            "by_level": [row(r) for r in self.by_level],
            "by_indicator": [row(r) for r in self.by_indicator],
            "by_period": [row(r) for r in self.by_period],
        }


def quality_table(
    user: User,
    *,
    since: datetime,
    now: datetime | None = None,
    communities: QuerySet[Region] | None = None,
    level: str | None = None,
    indicator: str | None = None,
    period: str | None = None,
) -> QualityTable:
    """The user's alert quality since ``since``, small counts suppressed."""
    minimum = settings.EWERS_EXPORT_MIN_REPORTS
    report = alert_quality_report(
        user, since=since, now=now, communities=communities, level=level, indicator=indicator, period=period
    )
    return QualityTable(
        since=report.since,
        window_days=report.window_days,
        minimum=minimum,
        overall=quality_row("all", report.overall, minimum=minimum),
        by_level=[quality_row(g, q, minimum=minimum) for g, q in report.by_level],
        by_indicator=[quality_row(g, q, minimum=minimum) for g, q in report.by_indicator],
        by_period=[quality_row(g, q, minimum=minimum) for g, q in report.by_period],
    )
