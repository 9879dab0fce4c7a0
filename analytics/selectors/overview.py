"""Reads of the coordinators' overview: rising communities, open alerts, response
performance and alert quality. Every read starts from the user's share."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from django.db.models import (
    Count,
    Exists,
    F,
    FloatField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alerts.choices import ALERT_LEVELS, AlertState, AssignmentState, IncidentOutcome
from alerts.models import Alert, Assignment
from alerts.selectors import alerts_visible
from analytics.selectors.heatmap import communities_covered
from analytics.selectors.quality import QUALITY_SPAN_DAYS, QualityTable, quality_table
from ewers.choices import Sector
from ewers.models import Region, RegionQuerySet, User
from indicators.models import RiskAssessment
from indicators.selectors import (
    communities_visible,
)


@dataclass(frozen=True)
class RisingCommunity:
    pk: int
    code: str
    name: str
    district: str
    score: float
    before: float
    rise: float
    level: str


@dataclass(frozen=True)
class OrganisationPerformance:
    organisation_id: int
    organisation: str
    assignments: int
    acknowledged: int
    completed: int
    declined: int
    overdue: int
    median_acknowledge: timedelta | None
    median_complete: timedelta | None


@dataclass(frozen=True)
class AlertQuality:
    """The closings of the period (the coordinators' answers to "did an incident follow?")
    and, measured against the incident register over a year, precision, recall, lead time
    and the dismissed share (``measured``: docs/learning.md)."""

    closed: int
    resolved: int
    dismissed: int
    incident_yes: int
    incident_no: int
    incident_unknown: int
    measured: QualityTable | None = None

    @property
    def known(self) -> int:
        """Resolved alerts whose outcome is known (yes or no)."""
        return self.incident_yes + self.incident_no

    @property
    def share_followed(self) -> float | None:
        """Share of resolved alerts with a known outcome that an incident followed."""
        return None if self.known == 0 else self.incident_yes / self.known

    @property
    def share_percent(self) -> int | None:
        share = self.share_followed
        return None if share is None else round(100 * share)


@dataclass(frozen=True)
class PoliceShare:
    """Of the alerts opened in a region over the period: how many reached the police, and
    how many were handled without them (least coercive first: the second should dominate)."""

    region_code: str
    region_name: str
    alerts: int
    reached_police: int

    @property
    def without_police(self) -> int:
        return self.alerts - self.reached_police

    @property
    def police_percent(self) -> int | None:
        return None if self.alerts == 0 else round(100 * self.reached_police / self.alerts)

    @property
    def without_percent(self) -> int | None:
        share = self.police_percent
        return None if share is None else 100 - share


@dataclass
class Overview:
    rising: dict[int, list[RisingCommunity]]
    alerts_by_level: dict[str, int]
    alerts_by_region: list[tuple[str, str, int]]
    performance: list[OrganisationPerformance]
    quality: AlertQuality
    police: list[PoliceShare]


def police_shares(alerts: QuerySet[Alert], *, since: datetime) -> list[PoliceShare]:
    """Per region, the alerts opened since ``since`` and how many had an assignment (in any
    state) for a police-sector organisation: two aggregate queries' worth, one SQL statement."""
    police = Assignment.objects.filter(alert=OuterRef("pk"), organisation__sector=Sector.POLICE)
    rows = (
        alerts.filter(opened_at__gte=since)
        .annotate(police=Exists(police))
        .values_list("community__region__code", "community__region__name")
        .annotate(n=Count("id"), reached=Count("id", filter=Q(police=True)))
        .order_by("community__region__code")
    )
    shares = [PoliceShare(code or "", name or "", n, reached) for code, name, n, reached in rows]
    if len(shares) > 1:
        shares.append(
            PoliceShare("", str(_("All regions")), sum(s.alerts for s in shares), sum(s.reached_police for s in shares))
        )
    return shares


def rising_communities(
    user: User, *, days: int, region: Region | None = None, limit: int = 10, now: datetime | None = None
) -> list[RisingCommunity]:
    """The communities whose score rose most over the last ``days`` days: the latest score
    minus the latest one at or before the window's start (0 when there was none yet)."""
    now = now or timezone.now()
    start = now - timedelta(days=days)
    before = RiskAssessment.objects.filter(community=OuterRef("pk"), assessed_at__lte=start).order_by(
        "-assessed_at", "-id"
    )
    # communities_visible is typed as a plain QuerySet but is a RegionQuerySet (has within).
    communities = cast(RegionQuerySet, communities_visible(user))
    if region is not None:
        communities = communities.within([region.pk])
    rows = (
        communities.annotate(
            before_score=Coalesce(Subquery(before.values("score")[:1]), Value(0.0), output_field=FloatField()),
        )
        # Never assessed: no score, so the rise is NULL and the filter leaves it out.
        .annotate(rise=F("risk_score") - F("before_score"))
        .filter(rise__gt=0)
        .order_by("-rise", "code")
        .values("pk", "code", "name", "district__name", "risk_score", "risk_level", "before_score", "rise")[:limit]
    )
    return [
        RisingCommunity(
            pk=row["pk"],
            code=row["code"],
            name=row["name"],
            district=row["district__name"] or "",
            score=row["risk_score"],
            before=row["before_score"],
            rise=round(row["rise"], 2),
            level=row["risk_level"],
        )
        for row in rows
    ]


def _median(values: list[timedelta]) -> timedelta | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def response_performance(
    assignments: Iterable[Mapping[str, Any]], *, overdue: Iterable[tuple[int, str, int]] = ()
) -> list[OrganisationPerformance]:
    """Per organisation (by id): how fast it acknowledges and completes, and how often it is late.

    ``assignments`` are the rows of the period. Time to acknowledge runs from the
    assignment's creation to its acknowledgement; time to complete from its creation to
    its completion. ``overdue`` holds (organisation id, name, count) of the assignments
    overdue now, whatever the period (``AssignmentQuerySet.overdue``).
    """
    grouped: dict[int, list[Mapping[str, Any]]] = defaultdict(list)
    names: dict[int, str] = {}
    for row in assignments:
        grouped[row["organisation_id"]].append(row)
        names[row["organisation_id"]] = row["organisation__name"]
    late: dict[int, int] = {}
    for organisation_id, name, count in overdue:
        late[organisation_id] = count
        names[organisation_id] = name
    result = []
    for organisation_id, name in sorted(names.items(), key=lambda item: (item[1], item[0])):
        rows = grouped.get(organisation_id, [])
        acknowledge = [r["acknowledged_at"] - r["created_at"] for r in rows if r["acknowledged_at"] is not None]
        complete = [
            r["finished_at"] - r["created_at"]
            for r in rows
            if r["state"] == AssignmentState.COMPLETED and r["finished_at"] is not None
        ]
        result.append(
            OrganisationPerformance(
                organisation_id=organisation_id,
                organisation=name,
                assignments=len(rows),
                acknowledged=len(acknowledge),
                completed=len(complete),
                declined=sum(1 for r in rows if r["state"] == AssignmentState.DECLINED),
                overdue=late.get(organisation_id, 0),
                median_acknowledge=_median(acknowledge),
                median_complete=_median(complete),
            )
        )
    return result


def overview_build(user: User, *, days: int, region: Region | None = None, now: datetime | None = None) -> Overview:
    """The coordinator's overview of the coverage (or of ``region`` in it) over ``days`` days."""
    now = now or timezone.now()
    since = now - timedelta(days=days)
    communities = communities_covered(user, region).values("pk")
    alerts = alerts_visible(user, with_timeline=False).filter(community__in=communities).order_by()
    open_alerts = alerts.filter(state=AlertState.OPEN)
    by_level = dict(open_alerts.values_list("level").annotate(n=Count("id")))
    by_region = list(
        open_alerts.values_list("community__region__code", "community__region__name")
        .annotate(n=Count("id"))
        .order_by("-n", "community__region__code")
    )
    assignments = Assignment.objects.visible_to(user).filter(alert__in=alerts.values("pk"))
    assignment_rows = (
        assignments.filter(created_at__gte=since)
        .exclude(state__in=[AssignmentState.WITHDRAWN, AssignmentState.MOVED])
        .order_by()
        .values("organisation_id", "organisation__name", "state", "created_at", "acknowledged_at", "finished_at")
    )
    # Overdue now, whatever the period: late work made before it is still late.
    overdue = (
        assignments.overdue().order_by().values_list("organisation_id", "organisation__name").annotate(n=Count("id"))
    )
    closed = dict(
        alerts.filter(closed_at__gte=since, state=AlertState.RESOLVED).values_list("outcome").annotate(n=Count("id"))
    )
    dismissed = alerts.filter(closed_at__gte=since, state=AlertState.DISMISSED).count()
    resolved = sum(closed.values())
    quality = AlertQuality(
        closed=resolved + dismissed,
        resolved=resolved,
        dismissed=dismissed,
        incident_yes=closed.get(IncidentOutcome.YES, 0),
        incident_no=closed.get(IncidentOutcome.NO, 0),
        incident_unknown=closed.get(IncidentOutcome.UNKNOWN, 0),
        measured=quality_table(
            user,
            since=now - timedelta(days=QUALITY_SPAN_DAYS),
            now=now,
            communities=communities_covered(user, region),
        ),
    )
    return Overview(
        rising={d: rising_communities(user, days=d, region=region, now=now) for d in (7, 30)},
        alerts_by_level={level: by_level.get(level, 0) for level in ALERT_LEVELS},
        alerts_by_region=[(code or "", name or "", n) for code, name, n in by_region],
        performance=response_performance(assignment_rows, overdue=overdue),
        quality=quality,
        police=police_shares(alerts, since=since),
    )
