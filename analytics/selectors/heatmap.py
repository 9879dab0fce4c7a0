"""Reads of the heatmap (map, matrix and CSV export).

Every read starts from the user's share: places from ``Region.objects.visible_to``,
risk from ``CurrentRisk``/``RiskAssessment.objects.visible_to``, alerts from
``Alert.objects.visible_to`` and reports from ``reports_visible``. The heatmap reads the
risk the scorer precomputed (``indicators.services.risk``: per community, its latest
assessment and its highest score of each local week, Monday 00:00 in ``TIME_ZONE`` on,
kept in the assessment's transaction), never readings and, without a theme or category,
never the assessments themselves, in a fixed number of queries whatever the number of
communities:

1. the communities in the share joined to their current risk and weekly rollup (one row
   each; the matrix without a filter is made from these);
2. the areas (districts or regions) when the map is not of communities;
3. the open alerts counted per community;
4. with a theme or category only, the matrix: each assessment of those weeks rescored
   from its matching contributions, the highest per community per local week (TruncWeek +
   Max: dearer, see docs/heatmap.md);
5. with a theme or category: the matching contributions of the latest assessments;
6. for the CSV export only: the distinct reports behind each latest assessment, and the
   reports counted per community per week.

The arithmetic over those rows is ``analytics.heatmap`` (pure).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import orjson
from django.db.models import (
    Count,
    DateField,
    Exists,
    F,
    FloatField,
    Func,
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
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce, TruncWeek
from django.utils import timezone

from alerts.choices import AlertState
from alerts.models import Alert
from analytics import heatmap
from analytics.choices import AreaLevel
from ewers.choices import RiskLevel
from ewers.models import Region, RegionQuerySet, Theme, User
from indicators.models import Contribution, CurrentRisk, FieldReport, Reading, RiskAssessment
from indicators.services import scoring_config


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


@dataclass(slots=True)
class HeatmapArea:
    """One area of the map and one row of the matrix. Slots, and no list of its own until
    the CSV export gives it some: a map holds thousands, each one more object for the
    garbage collector to walk otherwise."""

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
    reports_by_week: Sequence[int] = ()
    score_weeks: Sequence[int] = ()
    # Pages only: the community's surges and silence in words (learning.selectors), for the map's hover.
    signals: str = ""


@dataclass
class Heatmap:
    query: HeatmapQuery
    areas: list[HeatmapArea]
    weeks: list[date]
    matrix: list[list[float | None]]


def _latest_ids(communities: QuerySet[Region]) -> QuerySet[CurrentRisk, Any]:
    """The ids of the communities' latest assessments (their current risk rows)."""
    return CurrentRisk.objects.filter(community__in=communities.values("pk")).values("assessment_id")


def _geometry() -> Cast:
    """The shape to draw, as JSON text: the simplified outline, else the boundary as
    imported (only one of the two is read from the database). Text, not a decoded
    JSONField: the page passes thousands of shapes on without looking inside them."""
    return Cast(Coalesce("outline", "boundary", output_field=JSONField()), output_field=TextField())


def communities_covered(user: User, region: Region | None) -> RegionQuerySet:
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
    zone = timezone.get_default_timezone()
    config = scoring_config()
    communities = communities_covered(user, query.region)
    weeks = heatmap.week_window(now, query.weeks, zone)
    community_rows = _community_rows(
        communities,
        weeks,
        with_geometry=with_geometry and query.level == AreaLevel.COMMUNITY,
        with_times=with_report_counts,
    )
    current = _current_scores(query, communities, community_rows, config.saturation)

    width = len(weeks)
    if query.level == AreaLevel.COMMUNITY:
        # (pk, code, name, shape) of each area: here the communities' own.
        area_rows: list[tuple[Any, ...]] = [
            (row[PK], row[CODE], row[NAME], row[-1] if with_geometry else None) for row in community_rows
        ]
        membership = {row[PK]: row[PK] for row in community_rows}
    else:
        area_rows = [
            (row["pk"], row["code"], row["name"], row.get("geometry"))
            for row in _area_rows(user, query, with_geometry=with_geometry)
        ]
        parent = DISTRICT if query.level == AreaLevel.DISTRICT else REGION
        membership = {row[PK]: row[parent] for row in community_rows}
    area_ids = [row[0] for row in area_rows]
    alone = query.level == AreaLevel.COMMUNITY  # each area its own community
    # A map of communities: each area's score is its community's (``heatmap.alone_score``,
    # below), without an ``AreaScore`` each.
    scores = {} if alone else heatmap.area_scores(current, membership, area_ids, query.stat)

    open_alerts = _open_alerts_by_area(user, membership)

    start, end = heatmap.monday_midnight(weeks[0], zone), heatmap.monday_midnight(weeks[-1] + timedelta(weeks=1), zone)
    cells: list[tuple[int, date, float]] = []  # (community, week, value): the CSV's report counts
    if query.filters_indicators:
        cells = _filtered_weekly_cells(user, query, communities, start, end, config.saturation)
        matrix = heatmap.matrix_values(cells, membership, area_ids, weeks, query.stat)
    else:
        columns = _week_columns(community_rows)
        matrix = heatmap.matrix_from_columns(columns, membership, area_ids, width, query.stat, alone=alone)
        if with_report_counts:
            cells = [
                (community, week, value)
                for community, values in columns.items()
                for week, value in zip(weeks, values, strict=True)
                if value is not None
            ]

    # An area's level: its highest community's (hysteresis and triggers included) by
    # default, or the band of its mean score; with a theme or category filter, the band of
    # the filtered score (no assessment has that level).
    by_band = query.filters_indicators or query.stat == heatmap.STAT_MEAN
    highest: dict[int, str | None] = {}
    if not by_band:
        levels = {row[PK]: row[LATEST_LEVEL] for row in community_rows}
        # A map of communities: each area's highest level is its one community's.
        highest = levels if alone else heatmap.area_levels(levels, membership, area_ids, RiskLevel.values)
    areas = []
    bands, stat = config.bands, query.stat
    # Bound once for thousands of areas; most have no open alert (no Counter.__missing__ call each).
    alerts_of, level_of, alone_score = open_alerts.get, heatmap.level_of, heatmap.alone_score
    for pk, code, name, geometry in area_rows:
        if alone:
            value = current.get(pk)
            score, communities_in, assessed = alone_score(value, stat), 1, int(value is not None)
        else:
            summed = scores[pk]
            score, communities_in, assessed = summed.score, summed.communities, summed.assessed
        # In the order of HeatmapArea's fields: a map of communities makes thousands, and
        # keywords cost a third of the loop.
        areas.append(
            HeatmapArea(
                pk,
                code,
                name,
                None if score is None else round(score, 2),
                level_of(score, bands) if by_band else highest[pk],
                communities_in,
                assessed,
                alerts_of(pk, 0),
                geometry,
            )
        )
    if with_report_counts:
        _count_reports(query, areas, communities, community_rows, current, cells, membership, weeks, start, end)
    return Heatmap(query=query, areas=areas, weeks=weeks, matrix=matrix)


class _WeekValuesText(Func):
    """The window's values of a community's weekly rollup as the body of one JSON array
    ("61.2,null,58.07"): each value as the database holds its text, ``null`` for a week
    without one. Tens of thousands of floats cost the database a cast each and the driver
    a conversion each when read one column at a time; as text, one ``orjson`` call reads
    them all (``_week_columns``). The rollup holds floats (``RiskAssessment.score``), so the
    values come back as floats."""

    template = "(%(expressions)s)"
    arg_joiner = " || ',' || "
    output_field = TextField()

    def __init__(self, weeks: Sequence[date]) -> None:
        super().__init__(*(Coalesce(KT(f"risk_weekly__{week.isoformat()}"), Value("null")) for week in weeks))


# The columns of ``_community_rows``: tuples as the database gives them (a dict per
# community cost more than the rest of the API's Python); WEEKS holds the text of the
# window's values (``_WeekValuesText``), then come ``latest_at`` (with_times) and the shape
# (with_geometry, last).
PK, CODE, NAME, DISTRICT, REGION, LATEST_ID, LATEST_SCORE, LATEST_LEVEL, WEEKS = range(9)


def _community_rows(
    communities: RegionQuerySet, weeks: list[date], *, with_geometry: bool, with_times: bool
) -> list[tuple[Any, ...]]:
    """The communities with their latest assessment and the values of ``weeks`` in their
    weekly rollup (in order, as one text in column WEEKS: ``_week_columns`` reads them; no
    rollup is decoded in Python), when their latest assessment was made for the CSV export
    (``with_times``: thousands of timestamps parsed otherwise) and their shapes for a map
    of communities (last)."""
    fields = [
        "pk",
        "code",
        "name",
        "district_id",
        "region_id",
        "latest_id",
        "latest_score",
        "latest_level",
        "week_values",
        *(["latest_at"] if with_times else []),
    ]
    listed = communities
    if with_geometry:
        listed = listed.annotate(geometry=_geometry())
        fields.append("geometry")
    return list(
        listed.alias(risk_weekly=F("current_risk__weekly"))
        .annotate(
            latest_id=F("current_risk__assessment_id"),
            latest_score=F("current_risk__score"),
            latest_level=F("current_risk__level"),
            latest_at=F("current_risk__assessed_at"),
            week_values=_WeekValuesText(weeks),
        )
        .order_by("code")
        .values_list(*fields)
    )


def _week_columns(community_rows: Sequence[tuple[Any, ...]]) -> dict[int, list[float | None]]:
    """Each assessed community's values of the window's weeks, in order, None for a week
    without one: the texts of column WEEKS read as one JSON array of arrays."""
    assessed = [row for row in community_rows if row[LATEST_ID] is not None]
    if not assessed:
        return {}
    values = orjson.loads("[[" + "],[".join([row[WEEKS] for row in assessed]) + "]]")
    return {row[PK]: row_values for row, row_values in zip(assessed, values, strict=True)}


def _current_scores(
    query: HeatmapQuery, communities: RegionQuerySet, community_rows: list[tuple[Any, ...]], saturation: float
) -> dict[int, float | None]:
    """Each community's current score: its latest assessment's, or with a theme or category
    filter, recomputed from the matching contributions of that assessment."""
    if not query.filters_indicators:
        return {row[PK]: row[LATEST_SCORE] for row in community_rows}
    sums = dict(
        Contribution.objects.filter(_indicator_filter(query), assessment__in=_latest_ids(communities))
        .order_by()
        .values_list("assessment_id")
        .annotate(total=Sum("amount"))
    )
    return {
        row[PK]: None if row[LATEST_ID] is None else heatmap.filtered_score([sums.get(row[LATEST_ID], 0.0)], saturation)
        for row in community_rows
    }


def _open_alerts_by_area(user: User, membership: Mapping[int, int]) -> Counter[int]:
    """Open alerts the user may see, counted per area of the communities in ``membership``
    (those of other communities left out here: matching the alerts' communities against
    the map's in SQL repeated the coverage rule there)."""
    open_alerts: Counter[int] = Counter()
    for community_id, count in (
        Alert.objects.visible_to(user)
        .filter(state=AlertState.OPEN)
        .order_by()
        .values_list("community_id")
        .annotate(n=Count("id"))
    ):
        if (area := membership.get(community_id)) is not None:
            open_alerts[area] += count
    return open_alerts


def _filtered_weekly_cells(
    user: User,
    query: HeatmapQuery,
    communities: QuerySet[Region],
    start: datetime,
    end: datetime,
    saturation: float,
) -> list[tuple[int, date, float]]:
    """(community, week, the community's highest score that week from the indicators of
    the theme or category), one aggregate query: each assessment's score recomputed from
    its matching contributions (a correlated sum per assessment: dearer, see
    docs/heatmap.md). The saturation mapping rises with the sum, so the week's highest sum
    gives its highest score."""
    assessments = RiskAssessment.objects.visible_to(user).filter(
        community__in=communities.values("pk"), assessed_at__gte=start, assessed_at__lt=end
    )
    assessments = assessments.annotate(week=_week_of("assessed_at"))
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


def _week_of(field_name: str) -> Cast:
    """The Monday of a timestamp's week in ``TIME_ZONE`` as a date, made by the database:
    tens of thousands of rows come back as plain dates, with no per-row conversion in Python."""
    return Cast(TruncWeek(field_name, tzinfo=timezone.get_default_timezone()), output_field=DateField())


def _count_reports(
    query: HeatmapQuery,
    areas: list[HeatmapArea],
    communities: QuerySet[Region],
    community_rows: list[tuple[Any, ...]],
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
    by_score = dict(
        Contribution.objects.filter(_indicator_filter(query), assessment__in=_latest_ids(communities))
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
    zone = timezone.get_default_timezone()
    by_pk = {area.pk: area for area in areas}
    weakest_score: dict[int, int] = {}
    weakest_week: dict[tuple[int, int], int] = {}
    linked: dict[int, set[int]] = defaultdict(set)
    latest_at = WEEKS + 1
    for row in community_rows:
        area = membership.get(row[PK])
        if area is None or current.get(row[PK]) is None:
            continue
        count = by_score.get(row[PK], 0)
        weakest_score[area] = min(count, weakest_score.get(area, count))
        if row[latest_at] is not None and (day := heatmap.week_start(row[latest_at], zone)) in column:
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
