"""Reads of the analytics pages: the heatmap, the community page and the overview.

Every read starts from the user's share: places from ``Region.objects.visible_to``,
risk from ``RiskAssessment.objects.visible_to``, alerts from ``alerts_visible`` and
reports from ``reports_visible``. The heatmap reads precomputed assessments, never
readings, in a fixed number of queries whatever the number of communities:

1. the communities in the share with their latest assessment (correlated subqueries on
   the (community, -assessed_at) index);
2. the areas (districts or regions) when the map is not of communities;
3. the open alerts counted per community;
4. the matrix: the highest score per community per UTC week (TruncWeek + Max);
5. with a theme or category: the matching contributions of the latest assessments;
6. for the CSV export only: the distinct reports behind each latest assessment, and the
   reports counted per community per week.

The arithmetic over those rows is ``analytics.heatmap`` (pure).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

from django.db.models import (
    Count,
    DateField,
    Exists,
    F,
    FloatField,
    JSONField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    TextField,
    Value,
)
from django.db.models.functions import Cast, Coalesce, TruncWeek
from django.utils import timezone

from alerts.choices import ALERT_LEVELS, AlertState, AssignmentState, IncidentOutcome
from alerts.models import Alert, Assignment
from alerts.selectors import alerts_visible
from analytics import heatmap
from analytics.choices import AreaLevel
from ewers.choices import RegionLevel
from ewers.models import Region, RegionQuerySet, Theme, User
from indicators.models import Contribution, FieldReport, Reading, RiskAssessment
from indicators.selectors import (
    _latest_assessment,
    assessment_contributions,
    assessment_history,
    communities_visible,
    reports_visible,
)
from indicators.services import scoring_config

# --- Heatmap ---------------------------------------------------------------------------


@dataclass(frozen=True)
class HeatmapQuery:
    """What the user asked the heatmap for (validated by ``analytics.forms.HeatmapForm``)."""

    level: str = AreaLevel.COMMUNITY
    weeks: int = heatmap.WEEKS_DEFAULT
    stat: str = heatmap.STAT_MEAN
    region: Region | None = None
    theme: Theme | None = None
    category: str = ""

    @property
    def filters_indicators(self) -> bool:
        return self.theme is not None or bool(self.category)


@dataclass
class HeatmapArea:
    """One area of the map and one row of the matrix."""

    pk: int
    code: str
    name: str
    score: float | None
    level: str | None
    communities: int
    assessed: int
    open_alerts: int
    # The shape as GeoJSON text, as the database holds it (the page only passes it on).
    geometry_json: str | None = None
    # CSV export only. The fewest reports behind any community's part of the current
    # score and of each week's value (an area value is withheld when any member's part
    # would be), and the week columns holding a member's latest assessment (such a cell
    # can equal the score: both are shown or withheld together).
    reports_current: int = 0
    reports_by_week: list[int] = field(default_factory=list)
    score_weeks: list[int] = field(default_factory=list)


@dataclass
class Heatmap:
    query: HeatmapQuery
    areas: list[HeatmapArea]
    weeks: list[date]
    matrix: list[list[float | None]]


def _latest(field_name: str) -> Subquery:
    return Subquery(_latest_assessment().values(field_name)[:1])


def _geometry() -> Cast:
    """The shape to draw, as JSON text: the simplified outline, else the boundary as
    imported (only one of the two is read from the database). Text, not a decoded
    JSONField: the page passes thousands of shapes on without looking inside them."""
    return Cast(Coalesce("outline", "boundary", output_field=JSONField()), output_field=TextField())


def _coverage(user: User, region: Region | None) -> RegionQuerySet:
    """The communities in the user's share, within ``region`` when one is given."""
    communities = Region.objects.visible_to(user).communities()
    return communities if region is None else communities.within([region.pk])


def _indicator_filter(query: HeatmapQuery, prefix: str = "indicator__") -> Q:
    condition = Q()
    if query.theme is not None:
        condition &= Q(**{f"{prefix}theme": query.theme})
    if query.category:
        condition &= Q(**{f"{prefix}category": query.category})
    return condition


def _area_rows(user: User, query: HeatmapQuery, *, with_geometry: bool) -> list[dict[str, Any]]:
    areas = Region.objects.visible_to(user).filter(level=query.level)
    if query.region is not None:
        region = query.region
        # The area chosen, the areas inside it, and the one above it that holds it.
        areas = areas.filter(
            Q(pk__in=[pk for pk in (region.pk, region.district_id, region.region_id) if pk is not None])
            | Q(country=region.pk)
            | Q(region=region.pk)
            | Q(district=region.pk)
        )
    if with_geometry:
        areas = areas.annotate(geometry=_geometry())
    fields = ["pk", "code", "name"] + (["geometry"] if with_geometry else [])
    return list(areas.order_by("code").values(*fields))


def heatmap_build(
    user: User,
    query: HeatmapQuery,
    *,
    now: datetime | None = None,
    with_geometry: bool = False,
    with_report_counts: bool = False,
) -> Heatmap:
    """The heatmap the user may see: the areas with their scores, and the area × week matrix."""
    now = now or timezone.now()
    config = scoring_config()
    communities = _coverage(user, query.region)
    fields = [
        "pk",
        "code",
        "name",
        "district_id",
        "region_id",
        "latest_id",
        "latest_score",
        "latest_level",
        "latest_at",
    ]
    listed = communities
    if with_geometry and query.level == AreaLevel.COMMUNITY:
        listed = listed.annotate(geometry=_geometry())
        fields.append("geometry")
    community_rows = list(
        listed.annotate(
            latest_id=_latest("pk"),
            latest_score=_latest("score"),
            latest_level=_latest("level"),
            latest_at=_latest("assessed_at"),
        )
        .order_by("code")
        .values(*fields)
    )

    current: dict[int, float | None] = {row["pk"]: row["latest_score"] for row in community_rows}
    if query.filters_indicators:
        # The score recomputed from the matching contributions of each latest assessment.
        latest_ids = communities.annotate(latest_id=_latest("pk")).values("latest_id")
        sums = dict(
            Contribution.objects.filter(_indicator_filter(query), assessment__in=latest_ids)
            .order_by()
            .values_list("assessment_id")
            .annotate(total=Sum("amount"))
        )
        current = {
            row["pk"]: None
            if row["latest_id"] is None
            else heatmap.filtered_score([sums.get(row["latest_id"], 0.0)], config.saturation)
            for row in community_rows
        }

    if query.level == AreaLevel.COMMUNITY:
        area_rows = community_rows
        membership = {row["pk"]: row["pk"] for row in community_rows}
    else:
        area_rows = _area_rows(user, query, with_geometry=with_geometry)
        parent = "district_id" if query.level == AreaLevel.DISTRICT else "region_id"
        membership = {row["pk"]: row[parent] for row in community_rows}
    area_ids = [row["pk"] for row in area_rows]
    scores = heatmap.area_scores(current, membership, area_ids, query.stat)

    open_alerts: Counter[int] = Counter()
    for community_id, count in (
        alerts_visible(user, with_timeline=False)
        .filter(state=AlertState.OPEN, community__in=communities.values("pk"))
        .order_by()
        .values_list("community_id")
        .annotate(n=Count("id"))
    ):
        if (area := membership.get(community_id)) is not None:
            open_alerts[area] += count

    weeks = heatmap.week_window(now, query.weeks)
    start, end = heatmap.monday_midnight(weeks[0]), heatmap.monday_midnight(weeks[-1]) + timedelta(weeks=1)
    cells = list(_weekly_cells(user, query, communities, start, end, config.saturation))
    matrix = heatmap.matrix_values(cells, membership, area_ids, weeks, query.stat)

    areas = []
    for row in area_rows:
        score = scores[row["pk"]]
        if query.level == AreaLevel.COMMUNITY and not query.filters_indicators:
            # A community's level is its assessment's (with hysteresis and triggers).
            level = row["latest_level"]
        else:
            level = heatmap.level_of(score.score, config.bands)
        areas.append(
            HeatmapArea(
                pk=row["pk"],
                code=row["code"],
                name=row["name"],
                score=None if score.score is None else round(score.score, 2),
                level=level,
                communities=score.communities,
                assessed=score.assessed,
                open_alerts=open_alerts[row["pk"]],
                geometry_json=row.get("geometry"),
            )
        )
    if with_report_counts:
        _count_reports(query, areas, communities, community_rows, current, cells, membership, weeks, start, end)
    return Heatmap(query=query, areas=areas, weeks=weeks, matrix=matrix)


def _weekly_cells(
    user: User,
    query: HeatmapQuery,
    communities: QuerySet[Region],
    start: datetime,
    end: datetime,
    saturation: float,
) -> Iterable[tuple[int, date, float]]:
    """(community, week, the community's highest score that week), one aggregate query.

    With a theme or category each assessment's score is recomputed from its matching
    contributions (a correlated sum per assessment: dearer, see docs/heatmap.md). The
    saturation mapping rises with the sum, so the week's highest sum gives its highest score.
    """
    assessments = RiskAssessment.objects.visible_to(user).filter(
        community__in=communities.values("pk"), assessed_at__gte=start, assessed_at__lt=end
    )
    assessments = assessments.annotate(week=_week_of("assessed_at"))
    if query.filters_indicators:
        matching = (
            Contribution.objects.filter(_indicator_filter(query), assessment=OuterRef("pk"))
            .order_by()
            .values("assessment")
            .annotate(total=Sum("amount"))
            .values("total")
        )
        assessments = assessments.annotate(part=Coalesce(Subquery(matching), Value(0.0), output_field=FloatField()))
        # "week" is an annotation, which the stubs do not know.
        rows = assessments.order_by().values_list("community_id", "week").annotate(top=Max("part"))  # type: ignore[misc]
        return [(c, w, heatmap.filtered_score([top], saturation)) for c, w, top in rows]
    # "week" is an annotation, which the stubs do not know.
    rows = assessments.order_by().values_list("community_id", "week").annotate(top=Max("score"))  # type: ignore[misc]
    return list(rows)


def _week_of(field_name: str) -> Cast:
    """The Monday (UTC) of a timestamp's week as a date, made by the database: tens of
    thousands of rows come back as plain dates, with no per-row conversion in Python."""
    return Cast(TruncWeek(field_name, tzinfo=UTC), output_field=DateField())


def _count_reports(
    query: HeatmapQuery,
    areas: list[HeatmapArea],
    communities: QuerySet[Region],
    community_rows: list[dict[str, Any]],
    current: Mapping[int, float | None],
    cells: Iterable[tuple[int, date, float]],
    membership: dict[int, int],
    weeks: list[date],
    start: datetime,
    end: datetime,
) -> None:
    """The report counts that decide what the CSV withholds, in two queries.

    A community's current score stands on the distinct reports its latest assessment
    read (with a theme or category: those behind its matching contributions); its value
    in a week on its reports observed that week (with a filter: those with a reading of a
    matching indicator). Every report counts, not only those the user may read: the
    count is never shown. An area keeps, per value, its weakest member's count, so an
    aggregate never shows what its communities would withhold (docs/heatmap.md).
    """
    latest_ids = communities.annotate(latest_id=_latest("pk")).values("latest_id")
    by_score = dict(
        Contribution.objects.filter(_indicator_filter(query), assessment__in=latest_ids)
        .order_by()
        .values_list("assessment__community_id")
        .annotate(n=Count("report", distinct=True))
    )
    reports = FieldReport.objects.filter(
        community__in=communities.values("pk"), observed_at__gte=start, observed_at__lt=end
    )
    if query.filters_indicators:
        reports = reports.filter(Exists(Reading.objects.filter(_indicator_filter(query), report=OuterRef("pk"))))
    by_week = {
        (community_id, week): n
        for community_id, week, n in reports.annotate(week=_week_of("observed_at"))
        .order_by()
        .values_list("community_id", "week")
        .annotate(n=Count("id"))
    }
    column = {week: i for i, week in enumerate(weeks)}
    by_pk = {area.pk: area for area in areas}
    weakest_score: dict[int, int] = {}
    weakest_week: dict[tuple[int, int], int] = {}
    linked: dict[int, set[int]] = defaultdict(set)
    for row in community_rows:
        area = membership.get(row["pk"])
        if area is None or current.get(row["pk"]) is None:
            continue
        count = by_score.get(row["pk"], 0)
        weakest_score[area] = min(count, weakest_score.get(area, count))
        if row["latest_at"] is not None and (day := heatmap.week_start(row["latest_at"])) in column:
            linked[area].add(column[day])
    for community_id, day, value in cells:
        area = membership.get(community_id)
        if area is None or value is None or day not in column:
            continue
        key = (area, column[day])
        count = by_week.get((community_id, day), 0)
        weakest_week[key] = min(count, weakest_week.get(key, count))
    for pk, counted in by_pk.items():
        counted.reports_current = weakest_score.get(pk, 0)
        counted.reports_by_week = [weakest_week.get((pk, j), 0) for j in range(len(weeks))]
        counted.score_weeks = sorted(linked.get(pk, set()))


# --- Community page ----------------------------------------------------------------------


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
    """The latest assessment's contributions summed by indicator, largest first."""
    totals: dict[str, list[Any]] = {}
    for row in assessment_contributions(assessment):
        entry = totals.setdefault(row.indicator_code, [row.indicator_name, row.polarity, 0.0, set()])
        entry[2] += row.amount
        entry[3].add(row.report_id)
    shares = [
        IndicatorShare(code=code, name=name, polarity=polarity, amount=round(amount, 4), reports=len(reports))
        for code, (name, polarity, amount, reports) in totals.items()
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


# --- Overview ------------------------------------------------------------------------------


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
    closed: int
    resolved: int
    dismissed: int
    incident_yes: int
    incident_no: int
    incident_unknown: int

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


@dataclass
class Overview:
    rising: dict[int, list[RisingCommunity]]
    alerts_by_level: dict[str, int]
    alerts_by_region: list[tuple[str, str, int]]
    performance: list[OrganisationPerformance]
    quality: AlertQuality


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
    communities = _coverage(user, region).values("pk")
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
        .exclude(state=AssignmentState.WITHDRAWN)
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
    )
    return Overview(
        rising={d: rising_communities(user, days=d, region=region, now=now) for d in (7, 30)},
        alerts_by_level={level: by_level.get(level, 0) for level in ALERT_LEVELS},
        alerts_by_region=[(code or "", name or "", n) for code, name, n in by_region],
        performance=response_performance(assignment_rows, overdue=overdue),
        quality=quality,
    )


REGION_FILTER_LEVELS = [RegionLevel.COUNTRY, RegionLevel.REGION, RegionLevel.DISTRICT]
