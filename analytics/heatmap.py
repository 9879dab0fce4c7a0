"""The heatmap's arithmetic over plain values: weeks, area scores, the matrix, CSV cells.

Pure: no ORM, no clock, no settings. ``analytics.selectors`` reads the rows (a few
aggregate queries) and hands them here, so every number the heatmap shows is tested
without a database. docs/heatmap.md states these rules for users.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

import numpy

from indicators.scoring import band_level, score_from_raw

STAT_MEAN = "mean"
STAT_MAX = "max"
STATS = (STAT_MEAN, STAT_MAX)
WEEKS_MIN, WEEKS_MAX, WEEKS_DEFAULT = 1, 52, 12

# Characters that make a spreadsheet read a cell as a formula (or, for tab and carriage
# return, that some spreadsheets strip before doing so).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def week_start(moment: datetime, zone: tzinfo) -> date:
    """The Monday of the week ``moment`` falls in, in the time zone ``zone`` (the
    deployment's ``TIME_ZONE``: weeks start on Monday 00:00 local time)."""
    day = moment.astimezone(zone).date()
    return day - timedelta(days=day.weekday())


def week_window(now: datetime, weeks: int, zone: tzinfo) -> list[date]:
    """The Mondays of the last ``weeks`` weeks in ``zone``, oldest first, the current week last."""
    current = week_start(now, zone)
    return [current - timedelta(weeks=back) for back in range(weeks - 1, -1, -1)]


def monday_midnight(day: date, zone: tzinfo) -> datetime:
    """00:00 of ``day`` in ``zone``: where a week of the matrix begins."""
    return datetime.combine(day, time.min, tzinfo=zone)


def summarise(values: Iterable[float], stat: str) -> float | None:
    """The mean or the max of ``values``; None when there are none."""
    listed = [v for v in values if v is not None and not math.isnan(v)]
    if not listed:
        return None
    return max(listed) if stat == STAT_MAX else statistics.fmean(listed)


def filtered_score(amounts: Iterable[float], saturation: float) -> float:
    """A score made from some of an assessment's contributions only (a theme or a
    category): their sum through the scoring's saturation mapping."""
    return round(score_from_raw(math.fsum(amounts), saturation), 4)


def level_of(score: float | None, bands: tuple[float, float, float]) -> str | None:
    """The level band a score falls in (no hysteresis: an aggregate has no history)."""
    return None if score is None else str(band_level(score, bands))


@dataclass(frozen=True)
class AreaScore:
    """One area of the map: its score over its communities, and what stands behind it."""

    key: int
    score: float | None
    communities: int
    assessed: int


def alone_score(value: float | None, stat: str) -> float | None:
    """The score of an area of one community (every area of a map of communities): what
    ``summarise`` gives for its one value (the mean of one value is it as a float)."""
    return None if value is None or value != value else (value if stat == STAT_MAX else float(value))


def _alone(area: int, value: float | None, stat: str) -> AreaScore:
    return AreaScore(key=area, score=alone_score(value, stat), communities=1, assessed=int(value is not None))


def area_scores(
    current: Mapping[int, float | None],
    membership: Mapping[int, int],
    areas: Iterable[int],
    stat: str,
    *,
    alone: bool = False,
) -> dict[int, AreaScore]:
    """Each area's score from its communities' current scores.

    ``current`` maps a community to its current score (None: never assessed, left
    out); ``membership`` maps a community to its area. An area with no assessed
    community has score None. ``alone``: each area is the one community of its key (a
    map of communities; ``membership`` maps each to itself), the same scores without
    gathering members.
    """
    if alone:
        return {area: _alone(area, current.get(area), stat) for area in areas}
    members: dict[int, list[int]] = defaultdict(list)
    for community, area in membership.items():
        members[area].append(community)
    result = {}
    for area in areas:
        listed = members.get(area, [])
        if len(listed) == 1:
            result[area] = _alone(area, current.get(listed[0]), stat)
            continue
        scores = [s for c in listed if (s := current.get(c)) is not None]
        result[area] = AreaScore(key=area, score=summarise(scores, stat), communities=len(listed), assessed=len(scores))
    return result


def matrix_values(
    cells: Iterable[tuple[int, date, float]],
    membership: Mapping[int, int],
    areas: Sequence[int],
    weeks: Sequence[date],
    stat: str,
) -> list[list[float | None]]:
    """The area × week matrix: one row per area (in ``areas`` order), one column per week.

    ``cells`` holds (community, week Monday, the community's highest score that week);
    a cell is the mean (or max) of those over the area's communities; None if none.
    Rows of communities outside ``membership`` or weeks outside ``weeks`` are ignored.
    """
    column = {week: i for i, week in enumerate(weeks)}
    row = {area: i for i, area in enumerate(areas)}
    # One pass over the rows into a grid of value lists (tens of thousands of rows at
    # country scale, so no per-row objects beyond the lists).
    grid: list[list[list[float] | None]] = [[None] * len(weeks) for _area in areas]
    for community, week, value in cells:
        if value is None:
            continue
        r = row.get(membership.get(community))  # type: ignore[arg-type]
        c = column.get(week)
        if r is None or c is None:
            continue
        gathered = grid[r][c]
        if gathered is None:
            grid[r][c] = [value]
        else:
            gathered.append(value)
    return [[_cell(gathered, stat) for gathered in cells_of_area] for cells_of_area in grid]


def matrix_from_weekly(
    weekly: Mapping[int, Mapping[str, float]],
    membership: Mapping[int, int],
    areas: Sequence[int],
    weeks: Sequence[date],
    stat: str,
) -> list[list[float | None]]:
    """The same matrix as ``matrix_values``, from each community's weekly rollup (the
    Monday's ISO date → the community's highest score that week) instead of one row per
    cell: one dictionary look-up per community and week (``matrix_from_columns``)."""
    keys = [week.isoformat() for week in weeks]
    columns = {community: [by_week.get(key) for key in keys] for community, by_week in weekly.items()}
    return matrix_from_columns(columns, membership, areas, len(keys), stat)


def matrix_from_columns(
    columns: Mapping[int, Sequence[float | None]],
    membership: Mapping[int, int],
    areas: Sequence[int],
    width: int,
    stat: str,
    *,
    alone: bool = False,
) -> list[list[float | None]]:
    """The same matrix as ``matrix_values``, from each community's values of the window's
    weeks in order (what the database reads out of the weekly rollup: no rollup is decoded
    in Python), ``width`` weeks wide; a community's row as it is when it is alone in its
    area (every row of a map of communities). ``alone``: each area is the one community
    of its key (``membership`` maps each to itself), the same rows without gathering members."""
    if alone:
        present = [i for i, area in enumerate(areas) if area in columns]
        filled: list[list[float | None]] = [[None] * width for _area in areas]
        for i, rounded in zip(present, rounded_rows([columns[areas[i]] for i in present]), strict=True):
            filled[i] = rounded
        return filled
    row = {area: i for i, area in enumerate(areas)}
    members: list[list[Sequence[float | None]]] = [[] for _area in areas]
    for community, values in columns.items():
        r = row.get(membership.get(community))  # type: ignore[arg-type]
        if r is not None:
            members[r].append(values)
    matrix: list[list[float | None]] = []
    single: list[int] = []  # the rows of an area with one member (every row of a map of communities)
    for rows in members:
        if not rows:
            matrix.append([None] * width)
        elif len(rows) == 1:
            single.append(len(matrix))
            matrix.append([])
        else:
            matrix.append([_cell([v for r in rows if (v := r[j]) is not None] or None, stat) for j in range(width)])
    # What ``_cell`` gives for one value, for all those rows at once.
    for i, values in zip(single, rounded_rows([members[i][0] for i in single]), strict=True):
        matrix[i] = values
    return matrix


# Below this, a value times 100 is within 1e-6 of its exact product (the double's
# relative error is 2**-53), far inside the margin ``rounded_rows`` leaves to a tie.
FAST_ROUNDING_LIMIT = 1e6


def rounded_rows(rows: Sequence[Sequence[float | None]]) -> list[list[float | None]]:
    """Each value as ``round(float(v), 2)``, None for None or NaN, computed for a whole
    table at once (rows of equal length): tens of thousands of ``round`` calls cost more
    than the rest of a map of communities.

    The same floats as ``round``, not close ones: ``round(x, 2)`` is the double nearest
    to k/100, k the integer nearest to the exact x·100. For 0 <= x < 1e6 the double
    product y = x·100 is within 1e-6 of the exact one, so when y is farther than
    0.499999 from a half, rint(y) is that k, and k/100 in double arithmetic is the double
    nearest to k/100. The other values (near a half, negative, NaN, None, huge) take
    ``round`` itself."""
    if not rows:
        return []
    values = numpy.array(rows, dtype=float)  # None: NaN
    # Huge and infinite values overflow or give NaN here; they are not fast anyway.
    with numpy.errstate(all="ignore"):
        scaled = values * 100.0
        whole = numpy.rint(scaled)
        fast = ~numpy.signbit(values) & (values < FAST_ROUNDING_LIMIT) & (numpy.abs(scaled - whole) < 0.499999)
    result = numpy.where(fast, whole / 100.0, values).astype(object)
    for i, j in zip(*numpy.nonzero(~fast), strict=True):
        value = values[i, j]
        result[i, j] = None if math.isnan(value) else round(float(value), 2)
    rounded: list[list[float | None]] = result.tolist()
    return rounded


def _cell(values: list[float] | None, stat: str) -> float | None:
    """A matrix cell from its values: what ``summarise`` gives, rounded; one value (every
    cell of a community map) is itself, unless it is NaN."""
    if values is None:
        return None
    if len(values) == 1:
        value = values[0]
        # The mean of one value is that value as a float (statistics.fmean), the max itself.
        return None if math.isnan(value) else round(value if stat == STAT_MAX else float(value), 2)
    return _rounded(summarise(values, stat))


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def discrete_colourscale(bands: tuple[float, float, float], colours: Sequence[str]) -> list[list[float | str]]:
    """A Plotly colourscale over 0–100 with one flat colour per level band (four colours,
    low to critical), so the map shows levels rather than a gradient."""
    edges = [0.0, *(b / 100 for b in bands), 1.0]
    scale: list[list[float | str]] = []
    for i, colour in enumerate(colours):
        scale.append([edges[i], colour])
        scale.append([edges[i + 1], colour])
    return scale


def rank_colourscale(colours: Sequence[str]) -> list[list[float | str]]:
    """A Plotly colourscale over level ranks 0..n-1 (z = ``RiskLevel.rank``), one flat colour
    each: the map shows levels in the badges' colours, whatever the score."""
    steps = len(colours)
    scale: list[list[float | str]] = []
    for i, colour in enumerate(colours):
        scale.append([i / steps, colour])
        scale.append([(i + 1) / steps, colour])
    return scale


def area_levels(
    levels: Mapping[int, str | None], membership: Mapping[int, int], areas: Iterable[int], ranks: Sequence[str]
) -> dict[int, str | None]:
    """Each area's highest community level (``ranks`` lists the levels from the lowest);
    None for an area with no assessed community. A single community at critical — a
    trigger, whatever its score — makes its district critical: a hotspot is never averaged away."""
    best: dict[int, int] = {}
    for community, area in membership.items():
        level = levels.get(community)
        if level in ranks:
            rank = ranks.index(level)
            best[area] = max(rank, best.get(area, rank))
    return {area: ranks[best[area]] if area in best else None for area in areas}


def csv_text(value: str) -> str:
    """A text cell a spreadsheet shows as text: a leading formula character is escaped
    with a single quote (OWASP's advice for CSV injection)."""
    return f"'{value}" if value.startswith(FORMULA_PREFIXES) else value


def csv_number(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def is_suppressed(report_count: int, minimum: int) -> bool:
    """A cell backed by fewer than ``minimum`` reports is not exported (do no harm: a
    small count can point at a source)."""
    return report_count < minimum
