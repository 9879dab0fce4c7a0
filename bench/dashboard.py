"""The dashboard benchmark: the coordinator's heatmap page and the heatmap API at scale,
beside one hand-written SQL statement that computes the same numbers.

Two countries of the bench's own, built the same way: a large one (``BX``, 2,000
communities and 1,000,000 readings over 84 days by default) for the timings and a small
one (``BY``, 200 communities) for the query counts, which must not grow with the number
of communities. Each has one coordination desk covering it and one coordinator, so a
coordinator sees exactly that country. The history is the past, already scored: reports,
readings, one assessment per community per day, the contributions of each community's
latest assessment and the open alerts of the high ones, written in bulk (COPY on
PostgreSQL). The pages read only the assessments; the readings are there because a
production database has them.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from bench.dashboard_seed import WEEKS, Country, DashboardError, country_seed, matrix_since
from bench.stats import Row, percentile, timed

if TYPE_CHECKING:  # Django loads only once the bench has set the environment
    from bench.config import Sizes

SEED = 20240612
LARGE, SMALL = "BX", "BY"  # the two countries' codes
WARM_UPS = 2  # untimed requests before the clock starts
CHECKED_AREAS = 5  # areas whose numbers are compared with the raw SQL's
# The API may round what it returns; a difference beyond half a point of the last decimal
# it could round to (one decimal) is a real disagreement.
TOLERANCE = 0.051
LEVELS = ("community", "district")
# The mean of each district's communities: what the hand-written SQL computes (the pages
# show the highest community by default).
PAGE_URL = "/heatmap/?level={level}&stat=mean"
API_URL = "/api/v1/heatmap/?level={level}&stat=mean&weeks=" + str(WEEKS)
# The page of the country's highest community (an open alert, the most to explain).
COMMUNITY_URL = "/communities/{code}/"
COMMUNITY = "community page"  # its key among the series and the raw baselines


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
    SELECT r.community_id AS area, date_trunc('week', r.assessed_at AT TIME ZONE 'UTC') AS week, max(r.score) AS value
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
           date_trunc('week', r.assessed_at AT TIME ZONE 'UTC') AS week, max(r.score) AS value
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
    """Run the level's statement on a DB-API cursor (PostgreSQL) and key its rows."""
    cursor.execute(RAW_SQL[level], {"country": country_id, "since": since})
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
    latest: dict[int, tuple[datetime, int, float]] = {}
    weekly: dict[tuple[int, date], float] = {}
    area_of: dict[int, int] = {}
    for pk, community, district, assessed_at, score in rows:
        area_of[community] = community if level == "community" or district is None else district
        if community not in latest or (assessed_at, pk) > latest[community][:2]:
            latest[community] = (assessed_at, pk, score)
        if assessed_at >= since:
            day = assessed_at.astimezone(UTC).date()
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


# --- Measuring ------------------------------------------------------------------------


@dataclass
class Series:
    """One URL's timed requests and its query count."""

    ms: list[float]
    queries: int

    def p(self, q: float) -> float:
        return percentile(self.ms, q)


def clients(country: Country) -> dict[str, Any]:
    """The coordinator's browser (session) and API client (token)."""
    from django.test import Client

    # A view's exception answers 500 and fails that figure only, as a server would.
    browser = Client(raise_request_exception=False)
    browser.force_login(country.coordinator)
    api = Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Token {country.token}")
    return {"page": browser, "api": api}


def get_ok(client: Any, url: str) -> Any:
    response = client.get(url)
    if response.status_code != 200:
        body = " ".join(response.content[:2000].decode("utf-8", "replace").split())[:200]
        raise DashboardError(f"GET {url} answered {response.status_code}: {body}")
    return response


def queries_count(client: Any, url: str) -> int:
    """SQL queries of one request (an untimed one: capturing slows the cursor)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        get_ok(client, url)
    return len(captured.captured_queries)


def series_take(client: Any, url: str, requests: int) -> Series:
    """WARM_UPS untimed requests, then ``requests`` timed ones (server time in-process)."""
    for _ in range(WARM_UPS):
        get_ok(client, url)
    ms = []
    for _ in range(requests):
        started = time.perf_counter()
        get_ok(client, url)
        ms.append((time.perf_counter() - started) * 1000)
    return Series(ms=ms, queries=queries_count(client, url))


def raw_series(connect: Callable[[], Any], level: str, *, country_id: int, since: datetime, requests: int) -> Series:
    """The raw statement's time over its own connection (execute and fetch all rows)."""
    conn = connect()
    try:
        with conn.cursor() as cursor:
            for _ in range(WARM_UPS):
                raw_numbers(cursor, level, country_id=country_id, since=since)
            ms = []
            for _ in range(requests):
                started = time.perf_counter()
                raw_numbers(cursor, level, country_id=country_id, since=since)
                ms.append((time.perf_counter() - started) * 1000)
        conn.rollback()
    finally:
        conn.close()
    return Series(ms=ms, queries=1)


def raw_community_series(connect: Callable[[], Any], *, community_id: int, requests: int) -> Series:
    """The community page's numbers in one statement over its own connection."""
    conn = connect()
    try:
        with conn.cursor() as cursor:
            ms = []
            for i in range(WARM_UPS + requests):
                started = time.perf_counter()
                cursor.execute(RAW_SQL_COMMUNITY_PAGE, {"community": community_id})
                cursor.fetchall()
                if i >= WARM_UPS:
                    ms.append((time.perf_counter() - started) * 1000)
        conn.rollback()
    finally:
        conn.close()
    return Series(ms=ms, queries=1)


def community_highest(country: Country) -> Any:
    """The country's community with the highest current score (ties: the lowest code)."""
    from django.db.models import F

    from ewers.models import Region

    return (
        Region.objects.filter(country=country.country, level="community")
        .order_by(F("current_risk__score").desc(nulls_last=True), "code")
        .first()
    )


def expected_numbers(level: str, *, country_id: int, since: datetime) -> Numbers:
    """What the page must show: the raw SQL's on PostgreSQL, the Python reference elsewhere."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            return raw_numbers(cursor, level, country_id=country_id, since=since)
    return reference_numbers(level, country_id=country_id, since=since)


def area_codes(country: Country, level: str) -> tuple[dict[str, int], dict[str, str]]:
    """The country's areas of a level: code → id, and name → code."""
    from ewers.models import Region

    rows = Region.objects.filter(country=country.country, level=level).values_list("code", "pk", "name")
    return {code: pk for code, pk, _name in rows}, {name: code for code, _pk, name in rows}


@dataclass
class Results:
    """Everything the dashboard part measured; a step that failed leaves its figures None."""

    large: Country | None = None
    small: Country | None = None
    series: dict[tuple[str, str, str], Series] = field(default_factory=dict)  # (size, kind, level)
    raw: dict[str, Series] = field(default_factory=dict)  # level → raw SQL baseline
    checked: int = 0
    failures: list[str] = field(default_factory=list)


def measure(results: Results, *, requests: int, now: datetime, connect: Callable[[], Any] | None) -> None:
    """Page and API at both sizes, the raw SQL baseline (when ``connect`` gives a
    psycopg2 connection) and the numbers check."""
    since = matrix_since(now)
    if results.large is not None and connect is not None:
        for level in LEVELS:
            results.raw[level] = raw_series(
                connect, level, country_id=results.large.country.pk, since=since, requests=requests
            )
        highest = community_highest(results.large)
        if highest is not None:
            results.raw[COMMUNITY] = raw_community_series(connect, community_id=highest.pk, requests=requests)
    if results.failures:  # the pages are missing
        return
    for size, country in (("large", results.large), ("small", results.small)):
        if country is None:
            continue
        by_kind = clients(country)
        for level in LEVELS:
            for kind, template in (("page", PAGE_URL), ("api", API_URL)):
                url = template.format(level=level)
                try:
                    results.series[size, kind, level] = series_take(by_kind[kind], url, requests)
                    expected = expected_numbers(level, country_id=country.country.pk, since=since)
                    agreement = Agreement(expected, f"GET {url} ({country.code})")
                    response = get_ok(by_kind[kind], url)
                    codes, names = area_codes(country, level)
                    if kind == "api":
                        api_check(response.json(), agreement, codes)
                    else:
                        page_check(response.content.decode(), agreement, codes, names, since)
                    results.checked += agreement.agreed
                except DashboardError as error:
                    results.failures.append(str(error))
        community = community_highest(country)
        if community is None:
            results.failures.append(f"{country.code}: no community to show.")
            continue
        try:
            url = COMMUNITY_URL.format(code=community.code)
            results.series[size, "page", COMMUNITY] = series_take(by_kind["page"], url, requests)
        except DashboardError as error:
            results.failures.append(str(error))


def seed(sizes: Sizes, *, now: datetime) -> tuple[Country, Country]:
    """The large and the small country (the small one with readings in proportion)."""
    large = country_seed(
        LARGE, communities=sizes.dashboard_communities, readings=sizes.dashboard_readings, lon=110.0, now=now, seed=SEED
    )
    share = sizes.dashboard_small / sizes.dashboard_communities
    small = country_seed(
        SMALL,
        communities=sizes.dashboard_small,
        readings=round(sizes.dashboard_readings * share),
        lon=120.0,
        now=now,
        seed=SEED + 1,
    )
    statistics_refresh()
    return large, small


def statistics_refresh() -> None:
    """Fresh planner statistics of the tables written, as autovacuum would give tables
    that grew slowly (PostgreSQL, outside a transaction)."""
    from django.db import connection

    from alerts.models import Alert
    from ewers.models import Region
    from indicators.models import Contribution, CurrentRisk, FieldReport, Reading, RiskAssessment

    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    tables = ", ".join(
        connection.ops.quote_name(m._meta.db_table)
        for m in (Region, FieldReport, Reading, RiskAssessment, Contribution, Alert, CurrentRisk)
    )
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {tables}")


def rows_make(results: Results, sizes: Sizes) -> list[Row]:
    """The dashboard's lines of the table: each timing beside the raw SQL of the same
    numbers, and each query count at the large size beside the same at the small one."""
    rows: list[Row] = []
    names = {"page": "heatmap page", "api": "heatmap API"}
    for kind in ("page", "api"):
        for level in LEVELS:
            series, raw = results.series.get(("large", kind, level)), results.raw.get(level)
            for q in (50, 95):
                rows.append(
                    Row(
                        f"{names[kind]}, {level} p{q}",
                        series.p(q) if series else None,
                        "ms",
                        f"raw SQL, same numbers p{q}",
                        raw.p(q) if raw else None,
                    )
                )
    series, raw = results.series.get(("large", "page", COMMUNITY)), results.raw.get(COMMUNITY)
    for q in (50, 95):
        rows.append(
            Row(
                f"{COMMUNITY} p{q}",
                series.p(q) if series else None,
                "ms",
                f"raw SQL, trend + explanation p{q}",
                raw.p(q) if raw else None,
            )
        )
    counted = [(kind, level) for kind in ("page", "api") for level in LEVELS] + [("page", COMMUNITY)]
    for kind, level in counted:
        large, small = results.series.get(("large", kind, level)), results.series.get(("small", kind, level))
        rows.append(
            Row(
                f"{COMMUNITY}: SQL queries" if level == COMMUNITY else f"{names[kind]}, {level}: SQL queries",
                large.queries if large else None,
                "queries",
                f"same at {sizes.dashboard_small:,} communities",
                small.queries if small else None,
            )
        )
    return rows


def header_lines(results: Results, sizes: Sizes, seed_seconds: float) -> list[str]:
    lines = [f"EWERS dashboard bench — the coordinator's heatmap at {sizes.dashboard_communities:,} communities"]
    for country in (results.large, results.small):
        if country is not None:
            parts = ", ".join(f"{k} {v:.1f}s" for k, v in country.seconds.items())
            lines.append(f"  {country.describe()} (seeded in {sum(country.seconds.values()):.1f}s: {parts})")
    lines += [
        f"seeding the dashboard data took {seed_seconds:.1f}s (bulk: COPY on PostgreSQL)",
        f"page and API: Django test client in-process (full middleware; session login for the page, token for the "
        f"API), {WARM_UPS} warm-ups then {sizes.dashboard_requests} timed requests each; query counts from one more "
        "request under CaptureQueriesContext",
        "raw baseline: one hand-written SQL statement per level over psycopg2 (latest assessment per community via "
        f"its index, per area; each community's weekly max over {WEEKS} weeks, per area), execute + fetch, "
        "same warm-ups and count",
        f"numbers check: the scores and matrix cells of the API and of the page (its map and matrix figures) equal "
        f"the raw SQL's for {CHECKED_AREAS} areas per level and size ({results.checked:,} values agreed, tolerance "
        f"{TOLERANCE})",
    ]
    return lines


def run(database_url: str, sizes: Sizes) -> tuple[list[str], list[Row], list[str]]:
    """Seed, measure; returns (header lines, table rows, failures)."""
    import psycopg2  # type: ignore[import-untyped]
    from django.core.management import call_command
    from django.urls import Resolver404, resolve
    from django.utils import timezone

    now = timezone.now()
    results = Results()
    started = time.monotonic()
    results.large, results.small = seed(sizes, now=now)
    seed_seconds = time.monotonic() - started  # ANALYZE included
    # As deployed (DEBUG off): the pages' static files come from collectstatic's manifest.
    with timed("collectstatic"):
        call_command("collectstatic", interactive=False, verbosity=0)
    for template in (PAGE_URL, API_URL):
        path = template.split("?")[0]
        try:
            resolve(path)
        except Resolver404:
            results.failures.append(f"The product has no {path} (not written yet?).")
    measure(results, requests=sizes.dashboard_requests, now=now, connect=lambda: psycopg2.connect(database_url))
    return header_lines(results, sizes, seed_seconds), rows_make(results, sizes), results.failures
