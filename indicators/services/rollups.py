"""The daily rollups of reports and readings (``indicators.rollups``), kept in the writer's
transaction: one call per writer.

- ``rollups_add(written)``: reports just saved, with their readings (no query but the upsert);
- ``rollups_add_ctes(reports, readings)``: the same counted by PostgreSQL in the bulk writer's
  statement;
- ``rollups_change(report_ids)``: around a change of reports already saved (a verification):
  their counts are taken off before and added back after, whatever changed;
- ``rollups_rebuild(community_ids)``: recomputed from the readings, set-based (the bench's
  COPY, a theme moved between indicators, a repair).

Each writer also renews the rollups' version (``ewers.versions``): what the pages computed
from the rollups and kept in the cache (``learning.kept``: surges and silence) is keyed by it.

Counts are added with ``INSERT … ON CONFLICT DO UPDATE SET d3 = d3 + excluded.d3, …``
(PostgreSQL and SQLite alike), so concurrent writers to the same community and days never
clash.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, F, QuerySet
from django.db.models.functions import TruncDate

from ewers.versions import ROLLUPS, touched
from indicators.choices import Polarity, Verification
from indicators.models import FieldReport, Indicator, Reading, ReadingRollup, ReportRollup
from indicators.rollups import DAY_COLUMNS, EPOCH, PERIOD_DAYS, period_of

CHUNK = 500  # rows per INSERT statement (31 parameters each: within SQLite's and PostgreSQL's limits)

ReadingKey = tuple[int, int, date]  # community, theme, day
ReportKey = tuple[int, date]  # community, day


def day_of(at: datetime) -> date:
    """The rollups' day of a moment: its UTC date."""
    return at.astimezone(UTC).date()


def reading_counts(indicator: Indicator, value: float, verification: str) -> bool:
    """Whether a reading counts towards surges: a risk indicator seen above its scale's
    minimum, in a report not disputed (``learning.selectors.surges_build``)."""
    return indicator.polarity == Polarity.RISK and value > indicator.scale_min and verification != Verification.DISPUTED


def counted_readings() -> QuerySet[Reading]:
    """The readings ``reading_counts`` keeps, as a query."""
    return Reading.objects.filter(indicator__polarity=Polarity.RISK, value__gt=F("indicator__scale_min")).exclude(
        report__verification=Verification.DISPUTED
    )


def rollups_add(written: Sequence[tuple[FieldReport, Sequence[Reading]]]) -> None:
    """Count reports just saved and their readings (each reading's ``indicator`` loaded)."""
    readings: Counter[ReadingKey] = Counter()
    reports: Counter[ReportKey] = Counter()
    for report, report_readings in written:
        day = day_of(report.observed_at)
        reports[(report.community_id, day)] += 1
        for reading in report_readings:
            if reading_counts(reading.indicator, reading.value, report.verification):
                readings[(report.community_id, reading.indicator.theme_id, day)] += 1
    _upsert(readings, reports)


def rollups_add_ctes(
    reports: str, readings: str, columns: Collection[str] | None = None
) -> tuple[list[str], list[Any]]:
    """The rollups of new reports counted by PostgreSQL in the statement that writes them
    (the bulk writer's): common table expressions to put after ``reports`` (a CTE of the
    new rows, with ``id``, ``community_id``, ``observed_at``) and ``readings`` (theirs,
    with ``report_id``, ``indicator_id``, ``value``); new reports are not disputed. With
    their parameters, in order.

    A batch of a thousand reports spent more time sending its counts (thirty-one values a
    row) and building them in Python than the database takes to count them itself.
    ``reading_counts`` is the rule (as ``counted_readings``); the day is the UTC date, the
    period and column ``period_of``'s. The rows are upserted in key order, and the reading
    rollups before the report rollups (the reports' wait for the readings' InitPlan), as
    ``_upsert`` does: two writers lock rows in the same order.

    ``columns``: the day columns the new reports' days fall in (``rollups_columns``), when
    the caller knows them: only those are counted and added to, a new row taking 0 in the
    others (which no new report could count in). Counting and adding zeros in all 28
    columns took PostgreSQL longer to plan than the rest of a batch's statement, and about
    as long again to run. None: every column."""
    ctes, params = _rollups_ctes(reports, readings, None if columns is None else frozenset(columns), connection.vendor)
    return list(ctes), list(params)


@functools.lru_cache(maxsize=64)
def _rollups_ctes(
    reports: str, readings: str, columns: frozenset[str] | None, vendor: str
) -> tuple[tuple[str, ...], tuple[Any, ...]]:
    """``rollups_add_ctes``'s text, made once for each set of day columns (a batch's text
    took a third of a millisecond to build, as long as its planning); ``vendor`` in the key
    because the names are quoted for it."""
    quote = connection.ops.quote_name
    indicator = quote(Indicator._meta.db_table)
    # mod() rather than the % that parameters take; never negative, as Python's %.
    offset = f"mod(mod(day - DATE '{EPOCH.isoformat()}', {PERIOD_DAYS}) + {PERIOD_DAYS}, {PERIOD_DAYS})"
    counted_columns = [c for c in DAY_COLUMNS if columns is None or c in columns] or list(DAY_COLUMNS)
    counts = ", ".join(
        f"count(*) FILTER (WHERE k = {k})" if c in counted_columns else "0" for k, c in enumerate(DAY_COLUMNS)
    )
    days = ", ".join(quote(c) for c in DAY_COLUMNS)

    def upsert(table: str, key: Sequence[str], source: str, guard: str = "") -> str:
        keys = ", ".join(quote(c) for c in (*key, "start"))
        added = ", ".join(f"{quote(c)} = {quote(table)}.{quote(c)} + excluded.{quote(c)}" for c in counted_columns)
        return (
            f"INSERT INTO {quote(table)} ({keys}, {days}) "  # noqa: S608 - names from the models
            f"SELECT {keys}, {counts} FROM (SELECT {keys}, k FROM "
            f"(SELECT *, {offset} AS k FROM ({source}) AS days) AS a, LATERAL (SELECT day - k AS start) AS s) AS b "
            f"{guard}GROUP BY {keys} ORDER BY {keys} "
            f"ON CONFLICT ({keys}) DO UPDATE SET {added} RETURNING 1"
        )

    day = "(n.observed_at AT TIME ZONE 'UTC')::date AS day"
    counted = (
        f"SELECT n.community_id, i.theme_id, {day} FROM {readings} r "  # noqa: S608 - names from the models
        f"JOIN {reports} n ON n.id = r.report_id JOIN {indicator} i ON i.id = r.indicator_id "
        "WHERE i.polarity = %s AND r.value > i.scale_min"
    )
    reading_rollups = upsert(ReadingRollup._meta.db_table, ("community_id", "theme_id"), counted)
    report_rollups = upsert(
        ReportRollup._meta.db_table,
        ("community_id",),
        f"SELECT n.community_id, {day} FROM {reports} n",  # noqa: S608 - names from the models
        guard="WHERE (SELECT count(*) FROM reading_rollups) >= 0 ",
    )
    return (f"reading_rollups AS ({reading_rollups})", f"report_rollups AS ({report_rollups})"), (Polarity.RISK.value,)


def rollups_columns(times: Iterable[datetime]) -> set[str]:
    """The day columns (``period_of``) of the UTC days of ``times``: those that reports
    observed at these times count in (``rollups_add_ctes``)."""
    return {period_of(day)[1] for day in {day_of(at) for at in times}}


def _counts_of(report_ids: Sequence[int]) -> tuple[Counter[ReadingKey], Counter[ReportKey]]:
    day = TruncDate("report__observed_at", tzinfo=UTC)
    readings: Counter[ReadingKey] = Counter()
    rows = (
        counted_readings()
        .filter(report_id__in=report_ids)
        .order_by()
        .values_list("report__community_id", "indicator__theme_id", day)
        .annotate(n=Count("id"))
    )
    for community, theme, when, n in rows:
        readings[(community, theme, when)] += n
    reports: Counter[ReportKey] = Counter()
    by_day = (
        FieldReport.objects.filter(pk__in=report_ids)
        .order_by()
        .values_list("community_id", TruncDate("observed_at", tzinfo=UTC))
        .annotate(n=Count("id"))
    )
    for community, when, n in by_day:
        reports[(community, when)] += n
    return readings, reports


@contextmanager
def rollups_change(report_ids: Iterable[int]) -> Iterator[None]:
    """Around a change of saved reports (in the caller's transaction): their counts before
    are taken off, their counts after added back (a report deleted adds nothing back)."""
    ids = sorted(set(report_ids))
    before_readings, before_reports = _counts_of(ids)
    yield
    after_readings, after_reports = _counts_of(ids)
    after_readings.subtract(before_readings)
    after_reports.subtract(before_reports)
    _upsert(after_readings, after_reports)


def _upsert(readings: Counter[ReadingKey], reports: Counter[ReportKey]) -> None:
    of_readings = _increments(ReadingRollup._meta.db_table, ("community_id", "theme_id"), readings)
    of_reports = _increments(ReportRollup._meta.db_table, ("community_id",), reports)
    statements = [*of_readings, *of_reports]
    if statements:
        touched(ROLLUPS)
    if len(of_readings) == len(of_reports) == 1 and connection.vendor == "postgresql":
        # One round trip for the usual case (a report or a small batch: one statement a
        # table): the readings' as a data-modifying WITH of the reports', rows locked in
        # the same order as one statement after the other.
        (first, first_params), (second, second_params) = statements
        statements = [(f"WITH counted AS ({first}) {second}", [*first_params, *second_params])]
    with connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)


def _by_period(counts: Counter[Any]) -> list[tuple[Any, ...]]:
    """Counts by (key…, day) as rows (key…, start, d0 … d27), sorted, zero rows left out."""
    rows: dict[tuple[Any, ...], list[int]] = {}
    for (*key, day), n in counts.items():
        if not n:
            continue
        start, column = period_of(day)
        row = rows.setdefault((*key, start), [0] * len(DAY_COLUMNS))
        row[DAY_COLUMNS.index(column)] += n
    return [(*key, *days) for key, days in sorted(rows.items())]


def _increments(table: str, key: Sequence[str], counts: Counter[Any]) -> list[tuple[str, list[Any]]]:
    """The statements that add the counts to their rows, creating them if needed: sorted
    rows, so two writers lock rows in the same order."""
    rows = _by_period(counts)
    if not rows:
        return []
    quote = connection.ops.quote_name
    columns = ", ".join(quote(c) for c in (*key, "start", *DAY_COLUMNS))
    conflict = ", ".join(quote(c) for c in (*key, "start"))
    added = ", ".join(f"{quote(c)} = {quote(table)}.{quote(c)} + excluded.{quote(c)}" for c in DAY_COLUMNS)
    placeholder = "(" + ", ".join(["%s"] * (len(key) + 1 + len(DAY_COLUMNS))) + ")"
    statements = []
    for first in range(0, len(rows), CHUNK):
        chunk = rows[first : first + CHUNK]
        statements.append(
            (
                f"INSERT INTO {quote(table)} ({columns}) VALUES {', '.join([placeholder] * len(chunk))} "  # noqa: S608 - names from the models
                f"ON CONFLICT ({conflict}) DO UPDATE SET {added}",
                [value.isoformat() if isinstance(value, date) else value for row in chunk for value in row],
            )
        )
    return statements


@transaction.atomic
def rollups_rebuild(community_ids: Sequence[int] | None = None) -> None:
    """The rollups of ``community_ids`` (every community when None) recomputed from the
    reports and readings: counted by day in the database, written in bulk."""
    readings = counted_readings()
    reports = FieldReport.objects.all()
    reading_rollups = ReadingRollup.objects.all()
    report_rollups = ReportRollup.objects.all()
    if community_ids is not None:
        readings = readings.filter(report__community_id__in=community_ids)
        reports = reports.filter(community_id__in=community_ids)
        reading_rollups = reading_rollups.filter(community_id__in=community_ids)
        report_rollups = report_rollups.filter(community_id__in=community_ids)
    reading_rollups.delete()
    report_rollups.delete()
    touched(ROLLUPS)  # rows deleted, even when none is written back
    by_reading: Counter[ReadingKey] = Counter()
    for community, theme, when, n in (
        readings.order_by()
        .values_list("report__community_id", "indicator__theme_id", TruncDate("report__observed_at", tzinfo=UTC))
        .annotate(n=Count("id"))
        .iterator()
    ):
        by_reading[(community, theme, when)] += n
    by_report: Counter[ReportKey] = Counter()
    for community, when, n in (
        reports.order_by().values_list("community_id", TruncDate("observed_at", tzinfo=UTC)).annotate(n=Count("id"))
    ).iterator():
        by_report[(community, when)] += n
    _upsert(by_reading, by_report)


def rollups_theme_moved(indicator: Indicator, old_theme_id: int) -> None:
    """An indicator moved to another theme: its counted readings move with it."""
    if indicator.theme_id == old_theme_id:
        return
    moved: Counter[ReadingKey] = Counter()
    rows = (
        counted_readings()
        .filter(indicator=indicator)
        .order_by()
        .values_list("report__community_id", TruncDate("report__observed_at", tzinfo=UTC))
        .annotate(n=Count("id"))
    )
    for community, when, n in rows:
        moved[(community, old_theme_id, when)] -= n
        moved[(community, indicator.theme_id, when)] += n
    _upsert(moved, Counter())
