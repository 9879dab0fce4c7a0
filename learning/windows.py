"""The counts surges and silence compare — the recent span and each of the BASELINE_WEEKS
weeks before it, ending at an exact moment — read from the daily rollups
(``indicators.rollups``) instead of every reading.

A window is (start, end], its edges sharing the time of day of ``now``. A UTC day that
holds no edge lies wholly inside one window: its rollup count is summed into it. A day that
holds an edge (ten: now, the recent span's start, each baseline week's start) is split
between two windows: the part on one side of the edge (the shorter, at most half a day)
is counted from the reports and readings themselves, to the second, and the other part
is the day's rollup less that. So the counts are exactly those of a scan over every
reading (``tests/learning/test_surge_rollups.py`` compares them on random histories),
for three or four rollup rows per community and theme (28 days each) plus at most five
days of readings.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import QuerySet

from ewers.models import Region
from indicators.choices import Polarity, Verification
from indicators.models import FieldReport, Indicator, Reading, ReadingRollup, ReportRollup
from indicators.rollups import period_of
from indicators.services.rollups import day_of
from learning.surges import BASELINE_WEEKS

Key = Any  # a community id, or (community id, theme id)


def window_edges(now: datetime, recent_days: int) -> list[datetime]:
    """``now``, the recent span's start, then the start of each baseline week (nearest
    first): window i is (edges[i + 1], edges[i]]."""
    recent_start = now - timedelta(days=recent_days)
    return [now, recent_start, *(recent_start - timedelta(weeks=week) for week in range(1, BASELINE_WEEKS + 1))]


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _before_edges(edges: list[datetime]) -> bool:
    """Which part of the edge days is read row by row: the part up to the edge when it
    falls in the morning (UTC), else the part after it — at most half of each such day.
    Every edge falls at the same time of day, so one answer holds for all."""
    return edges[0] - _day_start(day_of(edges[0])) < timedelta(hours=12)


def _days_sum(days: Iterable[date]) -> tuple[str, list[Any]]:
    """The sum over the rollup rows of the counts of ``days`` as SQL and its parameters:
    per row, the columns of the days it holds (a row holds PERIOD_DAYS days)."""
    columns: dict[date, list[str]] = {}
    for day in days:
        start, column = period_of(day)
        columns.setdefault(start, []).append(column)
    if not columns:
        return "0", []
    quote = connection.ops.quote_name
    cases = " ".join(
        f"WHEN {quote('start')} = %s THEN {' + '.join(quote(c) for c in names)}"
        for _start, names in sorted(columns.items())
    )
    params = [connection.ops.adapt_datefield_value(start) for start in sorted(columns)]
    return f"SUM(CASE {cases} ELSE 0 END)", params


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _rows(edges: list[datetime]) -> tuple[str, list[Any]]:
    """The rollup rows holding the windows' days (SQL and parameters)."""
    adapt = connection.ops.adapt_datefield_value
    start = connection.ops.quote_name("start")
    return f"{start} >= %s AND {start} <= %s", [adapt(period_of(day_of(edges[-1]))[0]), adapt(day_of(edges[0]))]


def _part(at: str, edge: datetime, before: bool) -> tuple[str, list[Any]]:
    """The rows of an edge's day up to the edge (``before``), or after it: the condition
    on the timestamp column ``at`` (SQL) and its parameters."""
    start = _day_start(day_of(edge))
    adapt = connection.ops.adapt_datetimefield_value
    if before:
        return f"{at} >= %s AND {at} <= %s", [adapt(start), adapt(edge)]
    return f"{at} > %s AND {at} < %s", [adapt(edge), adapt(start + timedelta(days=1))]


def _part_counts(
    at: str, edges: list[datetime], before: bool, chosen: Iterable[int]
) -> tuple[str, list[Any], str, list[Any]]:
    """The counts of the edge days' parts read row by row, one per edge ``chosen`` (by
    index), and the filter of those parts: (counts SQL, parameters, filter SQL, parameters)."""
    counts, count_params, where, where_params = [], [], [], []
    for j in chosen:
        condition, params = _part(at, edges[j], before)
        counts.append(f"COUNT(CASE WHEN {condition} THEN 1 END)")
        count_params += params
        where.append(f"({condition})")
        where_params += params
    return ", ".join(counts), count_params, " OR ".join(where), where_params


def _places_sql(places: QuerySet[Region, Any]) -> tuple[str, list[Any]] | None:
    """The SQL of a query of places' ids, or None when it can hold none (the ORM asks
    nothing then: neither is anything asked here)."""
    try:
        sql, params = places.order_by().query.get_compiler(connection=connection).as_sql()
    except EmptyResultSet:
        return None
    return sql, list(params)


def _among(community: str, listed: Iterable[int], places_sql: str, places_params: list[Any]) -> tuple[str, list[Any]]:
    """The condition that a row's ``community`` column is one of the candidates: those
    ``listed``, as an array on PostgreSQL; the places' query elsewhere."""
    if connection.vendor == "postgresql":
        return f"{community} = ANY(%s)", [sorted(set(listed))]
    return f"{community} IN ({places_sql})", places_params


def _reading_parts(
    places: QuerySet[Region, Any], edges: list[datetime], before: bool, chosen: list[int], listed: Iterable[int]
) -> dict[Key, list[int]]:
    """Per (community, theme): the counted readings of the parts of the edge days
    ``chosen`` (by index) read row by row, in that order. Only the communities ``listed``
    (of ``places``) are asked for on PostgreSQL (as an array, for a plan that reads the
    reports of those hours and keeps theirs); the others give all of ``places``."""
    # The readings of the edge days' parts, driven by the reports of those hours: the
    # indicators that count are looked up first (a catalogue of a few rows, whose planner
    # statistics may be missing), so the plan never starts from every reading of an indicator.
    catalogue = Indicator.objects.filter(polarity=Polarity.RISK).order_by().values_list("pk", "theme_id", "scale_min")
    counted = {pk: (theme, scale_min) for pk, theme, scale_min in catalogue}
    by_minimum: dict[float, list[int]] = {}
    for pk, (_theme, scale_min) in counted.items():
        by_minimum.setdefault(scale_min, []).append(pk)
    inside = _places_sql(places)
    if not by_minimum or inside is None:
        return {}
    places_sql, places_params = inside
    q = connection.ops.quote_name
    reading, report = q(Reading._meta.db_table), q(FieldReport._meta.db_table)
    indicator, value = f"{reading}.{q('indicator_id')}", f"{reading}.{q('value')}"
    seen = " OR ".join(
        f"({indicator} IN ({', '.join(['%s'] * len(ids))}) AND {value} > %s)" for ids in by_minimum.values()
    )
    seen_params = [param for scale_min, ids in by_minimum.items() for param in (*ids, scale_min)]
    community = f"{report}.{q('community_id')}"
    among, among_params = _among(community, listed, places_sql, places_params)
    counts, count_params, where, where_params = _part_counts(f"{report}.{q('observed_at')}", edges, before, chosen)
    sql = (
        f"SELECT {indicator}, {community}, {counts} FROM {reading} "  # noqa: S608 - names and placeholders only
        f"INNER JOIN {report} ON ({reading}.{q('report_id')} = {report}.{q('id')}) "
        f"WHERE ({seen}) AND ({where}) AND {among} "
        f"AND NOT ({report}.{q('verification')} = %s) GROUP BY {indicator}, {community}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*count_params, *seen_params, *where_params, *among_params, Verification.DISPUTED.value])
        parts = cursor.fetchall()
    by_theme: dict[Key, list[int]] = {}
    for indicator_id, community_id, *read in parts:
        part = by_theme.setdefault((community_id, counted[indicator_id][0]), [0] * len(chosen))
        for j, n in enumerate(read):
            part[j] += n
    return by_theme


# --- Only what may be flagged: the recent span and the baseline as a whole -----------------------
#
# A surge or a silence needs two counts per key, not one per window: the recent span's
# and the baseline weeks' together. Each is its whole days (one sum over the rollups) and
# the parts of three edge days (now's, the recent span's start, the baseline's start: the
# edge days between baseline weeks lie wholly in the baseline). The database keeps only the
# keys whose rollups allow a flag at all (bounds that hold whatever the edge days' parts:
# every count is at least 0), so the rest is computed for a few keys, not for every
# community and theme of a country.

SPAN_EDGES = (0, 1, BASELINE_WEEKS + 1)  # the edges whose days are split between the spans


def _span_sums(edges: list[datetime]) -> dict[str, tuple[str, list[Any]]]:
    """``recent`` and ``baseline``: the days strictly inside each span (the baseline's
    with its inner edge days whole); ``e0``, ``e1``, ``e9``: the split edge days."""
    days = [day_of(edge) for edge in edges]
    one = timedelta(days=1)
    sums = {
        "recent": _days_sum(_days(days[1] + one, days[0] - one)),
        "baseline": _days_sum(_days(days[-1] + one, days[1] - one)),
    }
    for j in SPAN_EDGES:
        sums[f"e{j}"] = _days_sum([days[j]])
    return sums


def _span_totals(
    model: type[ReadingRollup | ReportRollup],
    keys: list[str],
    edges: list[datetime],
    places: QuerySet[Region, Any],
    condition: str,
    condition_params: list[Any],
) -> list[tuple[Any, ...]]:
    """Per key of the rollup rows of ``places``: the keys, then ``recent``, ``baseline``,
    ``e0``, ``e1``, ``e9`` (``_span_sums``), for the keys meeting ``condition`` only.

    One statement written out rather than built by the ORM: its sums of a few dozen
    columns each cost more to build and compile than to run, on every heatmap page. On
    PostgreSQL the places are an array (``= ANY(ARRAY(…))``): probing it per rollup row
    costs less than the hash join ``IN (…)`` gives."""
    quote = connection.ops.quote_name
    sums = _span_sums(edges)
    select = ", ".join(f"{sql} AS {quote(name)}" for name, (sql, _params) in sums.items())
    params: list[Any] = [param for _sql, sum_params in sums.values() for param in sum_params]
    rows_sql, rows_params = _rows(edges)
    inside = _places_sql(places)
    if inside is None:
        return []
    places_sql, places_params = inside
    community = quote("community_id")
    among = f"= ANY(ARRAY({places_sql}))" if connection.vendor == "postgresql" else f"IN ({places_sql})"
    key_columns = ", ".join(quote(key) for key in keys)
    sql = (
        f"SELECT * FROM (SELECT {key_columns}, {select} FROM {quote(model._meta.db_table)} "  # noqa: S608 - names and placeholders only
        f"WHERE {rows_sql} AND {community} {among} GROUP BY {key_columns}) totals WHERE {condition}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *rows_params, *places_params, *condition_params])
        return [tuple(row) for row in cursor.fetchall()]


def _span_counts(
    totals: Iterable[tuple[Any, ...]], read: dict[Key, list[int]], keys: int, before: bool
) -> dict[Key, tuple[int, int]]:
    """(recent, baseline) per key from its rollup sums (``recent``, ``baseline``, ``e0``,
    ``e1``, ``e9`` after the ``keys`` key columns) and the parts of the split edge days
    read row by row (``read``, in SPAN_EDGES order): each span's count."""
    spans: dict[Key, tuple[int, int]] = {}
    for row in totals:
        key = row[0] if keys == 1 else tuple(row[:keys])
        recent, baseline, *day = (int(n) for n in row[keys:])
        part = read.get(key) or [0] * len(SPAN_EDGES)
        # An edge day's part up to its edge, and after it (the other part is its total less that).
        up_to = part if before else [day[j] - part[j] for j in range(len(SPAN_EDGES))]
        after = [day[j] - part[j] for j in range(len(SPAN_EDGES))] if before else part
        spans[key] = (recent + up_to[0] + after[1], baseline + up_to[1] + after[2])
    return spans


def theme_spans(
    communities: QuerySet[Region], now: datetime, recent_days: int, *, floor: int, multiple: float
) -> dict[Key, tuple[int, int]]:
    """Per (community, theme) that may have surged (``learning.surges.surge_assess``): its
    counted readings of the recent span and of the BASELINE_WEEKS weeks before it together. Left out: the keys whose
    recent span, edge days whole, is under ``floor`` or at most ``multiple`` times the
    baseline's weekly mean, edge days left out: no surge whatever the edge days hold."""
    edges = window_edges(now, recent_days)
    before = _before_edges(edges)
    places = communities.values("pk")
    # The recent span's count at most (its edge days whole) is at least ``floor``, and
    # more than ``multiple`` × the baseline's weekly mean, with a margin of a whole
    # reading for rounding.
    most = "(recent + e0 + e1)"
    listed = _span_totals(
        ReadingRollup,
        ["community_id", "theme_id"],
        edges,
        places,
        f"{most} >= %s AND {most} * %s + 1 > %s * baseline",
        [floor, BASELINE_WEEKS, float(multiple)],
    )
    read = _reading_parts(places, edges, before, list(SPAN_EDGES), (row[0] for row in listed))
    return _span_counts(listed, read, 2, before)


def report_spans(
    communities: QuerySet[Region], now: datetime, recent_days: int, *, min_weekly: float
) -> dict[int, tuple[int, int]]:
    """Per community that may have gone silent (``learning.surges.is_stale``): its reports
    of the recent span and of the BASELINE_WEEKS weeks before it together. Left out: the
    communities with a report on a whole day of the recent span, or whose baseline, edge
    days whole, is under ``min_weekly`` a week."""
    edges = window_edges(now, recent_days)
    before = _before_edges(edges)
    places = communities.values("pk")
    # No report on a whole day of the recent span, and the baseline's count at most (its
    # edge days whole) above ``min_weekly`` a week.
    most = f"(baseline + e1 + e{SPAN_EDGES[-1]})"
    listed = _span_totals(
        ReportRollup,
        ["community_id"],
        edges,
        places,
        f"recent = 0 AND {most} + 1 > %s",
        [float(min_weekly) * BASELINE_WEEKS],
    )
    read = _report_parts(places, edges, before, (row[0] for row in listed))
    return _span_counts(listed, read, 1, before)


def _report_parts(
    places: QuerySet[Region, Any], edges: list[datetime], before: bool, listed: Iterable[int]
) -> dict[Key, list[int]]:
    """Per community: its reports of the parts of the split edge days read row by row
    (SPAN_EDGES order). Only the communities ``listed`` (of ``places``) are asked for on
    PostgreSQL, as in ``_reading_parts``."""
    inside = _places_sql(places)
    if inside is None:
        return {}
    places_sql, places_params = inside
    q = connection.ops.quote_name
    report = q(FieldReport._meta.db_table)
    community = f"{report}.{q('community_id')}"
    among, among_params = _among(community, listed, places_sql, places_params)
    counts, count_params, where, where_params = _part_counts(f"{report}.{q('observed_at')}", edges, before, SPAN_EDGES)
    sql = (
        f"SELECT {community}, {counts} FROM {report} "  # noqa: S608 - names and placeholders only
        f"WHERE ({where}) AND {among} GROUP BY {community}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*count_params, *where_params, *among_params])
        return {community_id: list(row) for community_id, *row in cursor.fetchall()}
