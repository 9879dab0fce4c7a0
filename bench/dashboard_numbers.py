"""The dashboard benchmark's check of its own numbers (bench/dashboard.py): the heatmap's
figures computed again by hand-written SQL, and the page's and the API's compared with them,
so a fast answer that is wrong fails the bench."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings

from bench.dashboard_seed import WEEKS, DashboardError

CHECKED_AREAS = 5  # areas whose numbers are compared with the raw SQL's
# The API may round what it returns; a difference beyond half a point of the last decimal
# it could round to (one decimal) is a real disagreement.
TOLERANCE = 0.051


# --- The same numbers, by hand -----------------------------------------------------

# One statement per level: the latest assessment per community (the index on
# (community, -assessed_at), one probe per community), per area; and each community's
# highest score per week over the matrix's weeks, per area. Rows: (kind, area id, week, value).
RAW_SQL_COMMUNITY = """
WITH c AS (
    SELECT id FROM ewers_region WHERE level = 'community' AND country_id = %(country)s
), latest AS (
    SELECT c.id AS area, a.score
    FROM c CROSS JOIN LATERAL (
        SELECT score FROM indicators_riskassessment r
        WHERE r.community_id = c.id ORDER BY r.assessed_at DESC, r.id DESC LIMIT 1
    ) a
), weekly AS (
    SELECT r.community_id AS area, date_trunc('week', r.assessed_at AT TIME ZONE %(zone)s) AS week,
           max(r.score) AS value
    FROM indicators_riskassessment r JOIN c ON c.id = r.community_id
    WHERE r.assessed_at >= %(since)s
    GROUP BY 1, 2
)
SELECT 'score', area, NULL::timestamp, score FROM latest
UNION ALL
SELECT 'cell', area, week, value FROM weekly
"""
RAW_SQL_DISTRICT = """
WITH c AS (
    SELECT id, district_id FROM ewers_region WHERE level = 'community' AND country_id = %(country)s
), latest AS (
    SELECT c.district_id AS area, a.score
    FROM c CROSS JOIN LATERAL (
        SELECT score FROM indicators_riskassessment r
        WHERE r.community_id = c.id ORDER BY r.assessed_at DESC, r.id DESC LIMIT 1
    ) a
), weekly AS (
    SELECT c.district_id AS area, r.community_id,
           date_trunc('week', r.assessed_at AT TIME ZONE %(zone)s) AS week, max(r.score) AS value
    FROM indicators_riskassessment r JOIN c ON c.id = r.community_id
    WHERE r.assessed_at >= %(since)s
    GROUP BY 1, 2, 3
)
SELECT 'score', area, NULL::timestamp, avg(score) FROM latest GROUP BY area
UNION ALL
SELECT 'cell', area, week, avg(value) FROM weekly GROUP BY area, week
"""
RAW_SQL = {"community": RAW_SQL_COMMUNITY, "district": RAW_SQL_DISTRICT}
# The community page's numbers in one statement: its assessments of the trend's 180 days
# and its latest assessment's contributions summed by indicator.
RAW_SQL_COMMUNITY_PAGE = """
WITH latest AS (
    SELECT id FROM indicators_riskassessment WHERE community_id = %(community)s
    ORDER BY assessed_at DESC, id DESC LIMIT 1
)
SELECT 'trend', NULL::bigint, assessed_at, score FROM indicators_riskassessment
WHERE community_id = %(community)s AND assessed_at >= now() - interval '180 days'
UNION ALL
SELECT 'share', c.indicator_id, NULL::timestamptz, sum(c.amount)
FROM indicators_contribution c JOIN latest ON c.assessment_id = latest.id GROUP BY c.indicator_id
"""

# (kind, area id, week start or None) → value
Numbers = dict[tuple[str, int, date | None], float]


def raw_numbers(cursor: Any, level: str, *, country_id: int, since: datetime) -> Numbers:
    """Run the level's statement on a DB-API cursor (PostgreSQL) and key its rows (weeks
    from Monday 00:00 in ``TIME_ZONE``, as the heatmap's)."""
    cursor.execute(RAW_SQL[level], {"country": country_id, "since": since, "zone": settings.TIME_ZONE})
    return {
        (kind, int(area), week.date() if week is not None else None): float(value)
        for kind, area, week, value in cursor.fetchall()
    }


def reference_numbers(level: str, *, country_id: int, since: datetime) -> Numbers:
    """The same numbers in Python over the ORM (for databases the raw SQL is not written for)."""
    from indicators.models import RiskAssessment

    rows = RiskAssessment.objects.filter(community__country_id=country_id).values_list(
        "id", "community_id", "community__district_id", "assessed_at", "score"
    )
    zone = ZoneInfo(settings.TIME_ZONE)
    latest: dict[int, tuple[datetime, int, float]] = {}
    weekly: dict[tuple[int, date], float] = {}
    area_of: dict[int, int] = {}
    for pk, community, district, assessed_at, score in rows:
        area_of[community] = community if level == "community" or district is None else district
        if community not in latest or (assessed_at, pk) > latest[community][:2]:
            latest[community] = (assessed_at, pk, score)
        if assessed_at >= since:
            day = assessed_at.astimezone(zone).date()
            week = day - timedelta(days=day.weekday())
            weekly[community, week] = max(score, weekly.get((community, week), score))
    grouped: dict[tuple[str, int, date | None], list[float]] = {}
    for community, (_at, _pk, score) in latest.items():
        grouped.setdefault(("score", area_of[community], None), []).append(score)
    for (community, week), value in weekly.items():
        grouped.setdefault(("cell", area_of[community], week), []).append(value)
    return {key: sum(values) / len(values) for key, values in grouped.items()}


class Agreement:
    """Counts values that equal the expected ones; raises DashboardError on the first that
    does not, so a baseline that computes something else cannot pass for one."""

    def __init__(self, expected: Numbers, what: str) -> None:
        self.expected = expected
        self.what = what
        self.agreed = 0

    def same(self, got: Any, key: tuple[str, int, date | None], where: str) -> None:
        want = self.expected.get(key)
        if (got is None) != (want is None) or (want is not None and abs(float(got) - want) > TOLERANCE):
            raise DashboardError(f"{self.what}: {where} is {got}, the raw SQL says {want}.")
        self.agreed += 1


def spread(items: Sequence[Any]) -> Sequence[Any]:
    """CHECKED_AREAS items spread over the sequence, first included."""
    return items[:: max(1, len(items) // CHECKED_AREAS)][:CHECKED_AREAS]


def api_check(payload: dict[str, Any], agreement: Agreement, codes: dict[str, int]) -> None:
    """The API's scores and matrix cells of a few areas against the expected numbers."""
    areas = payload.get("areas") or []
    matrix = payload.get("matrix") or {}
    if not areas or not matrix.get("areas"):
        raise DashboardError(f"{agreement.what}: no areas in the answer.")
    weeks = [date.fromisoformat(str(w)[:10]) for w in matrix["weeks"]]
    rows = dict(zip(matrix["areas"], matrix["values"], strict=True))
    for area in spread(areas):
        code = area["code"]
        if code not in codes:
            raise DashboardError(f"{agreement.what}: area {code!r} is not in the bench country.")
        agreement.same(area.get("score"), ("score", codes[code], None), f"the score of {code}")
        for week, value in zip(weeks, rows[code], strict=True):
            agreement.same(value, ("cell", codes[code], week), f"the cell {code} × {week}")


def json_script(html: str, element_id: str) -> Any:
    """The data of a ``json_script`` element of the page, or None."""
    match = re.search(rf'<script[^>]*id="{re.escape(element_id)}"[^>]*>(.*?)</script>', html, re.DOTALL)
    return json.loads(match.group(1)) if match else None


def page_check(html: str, agreement: Agreement, codes: dict[str, int], names: dict[str, str], since: datetime) -> None:
    """The page's map (each area's score in its customdata, by location code; the colour is
    its level) and matrix (z by area name, weeks in order) of a few areas against the
    expected numbers."""
    figure = json_script(html, "heatmap-map-figure")
    matrix = json_script(html, "heatmap-matrix-figure")
    if not figure or not matrix:
        raise DashboardError(f"{agreement.what}: the page has no map or matrix figure.")
    scores: dict[str, Any] = {}
    for trace in figure.get("data", []):
        if isinstance(trace.get("customdata"), list):
            scores.update(zip(trace.get("locations", []), (row[5] for row in trace["customdata"]), strict=True))
    if not scores:
        raise DashboardError(f"{agreement.what}: the map colours no area.")
    for code in spread(sorted(scores)):
        agreement.same(scores[code], ("score", codes[code], None), f"the map's score of {code}")
    first = since.date()
    weeks = [first + timedelta(weeks=i) for i in range(WEEKS)]
    trace = matrix["data"][0]
    rows = dict(zip(trace["y"], trace["z"], strict=True))
    for name in spread(sorted(rows)):
        for week, value in zip(weeks, rows[name], strict=True):
            agreement.same(value, ("cell", codes[names[name]], week), f"the matrix cell {name} × {week}")
