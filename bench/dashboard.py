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

import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bench.dashboard_numbers import (
    CHECKED_AREAS,
    RAW_SQL_COMMUNITY_PAGE,
    TOLERANCE,
    Agreement,
    Numbers,
    api_check,
    page_check,
    raw_numbers,
    reference_numbers,
)
from bench.dashboard_seed import WEEKS, Country, DashboardError, country_seed, matrix_since
from bench.stats import Row, percentile, timed

if TYPE_CHECKING:  # Django loads only once the bench has set the environment
    from bench.config import Sizes

SEED = 20240612
LARGE, SMALL = "BX", "BY"  # the two countries' codes
WARM_UPS = 2  # untimed requests before the clock starts
LEVELS = ("community", "district")
# The mean of each district's communities: what the hand-written SQL computes (the pages
# show the highest community by default).
PAGE_URL = "/heatmap/?level={level}&stat=mean"
API_URL = "/api/v1/heatmap/?level={level}&stat=mean&weeks=" + str(WEEKS)
# The page of the country's highest community (an open alert, the most to explain).
COMMUNITY_URL = "/communities/{code}/"
COMMUNITY = "community page"  # its key among the series and the raw baselines


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
    """SQL queries of one request (an untimed one: capturing slows the cursor), with
    nothing taken from the cache (the surges counted: every query a page can make)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext, override_settings

    with override_settings(EWERS_DASHBOARD_CACHE_SECONDS=0), CaptureQueriesContext(connection) as captured:
        get_ok(client, url)
    return len(captured.captured_queries)


def series_take(client: Any, url: str, requests: int, *, kept: bool = True) -> Series:
    """WARM_UPS untimed requests, then ``requests`` timed ones (server time in-process);
    ``kept`` False: nothing from the cache (learning.kept), all computed on every request."""
    from django.test.utils import override_settings

    with nullcontext() if kept else override_settings(EWERS_DASHBOARD_CACHE_SECONDS=0):
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
    # (size, kind, level); kind "fresh": the large page with nothing kept (not a goal)
    series: dict[tuple[str, str, str], Series] = field(default_factory=dict)
    raw: dict[str, Series] = field(default_factory=dict)  # level → raw SQL baseline
    checked: int = 0
    failures: list[str] = field(default_factory=list)


def measure(results: Results, *, requests: int, now: datetime, connect: Callable[[], Any] | None) -> None:
    """Page and API at both sizes, the raw SQL baseline (when ``connect`` gives a
    psycopg2 connection) and the numbers check."""
    from django.utils import timezone

    since = matrix_since(now, timezone.get_default_timezone())
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
        for level in LEVELS if size == "large" else ():
            try:
                fresh = series_take(by_kind["page"], PAGE_URL.format(level=level), requests, kept=False)
                results.series[size, "fresh", level] = fresh
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
    from indicators.models import (
        Contribution,
        CurrentRisk,
        FieldReport,
        Reading,
        ReadingRollup,
        ReportRollup,
        RiskAssessment,
    )

    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    tables = ", ".join(
        connection.ops.quote_name(m._meta.db_table)
        for m in (
            Region,
            FieldReport,
            Reading,
            RiskAssessment,
            Contribution,
            Alert,
            CurrentRisk,
            ReadingRollup,
            ReportRollup,
        )
    )
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {tables}")


def timing_rows(name: str, series: Series | None, baseline: str, raw: Series | None, note: str = "") -> list[Row]:
    """A timing's p50 and p95 beside its baseline's (``note`` under the p95)."""
    return [
        Row(
            f"{name} p{q}",
            series.p(q) if series else None,
            "ms",
            f"{baseline} p{q}",
            raw.p(q) if raw else None,
            note=note if q == 95 else "",
        )
        for q in (50, 95)
    ]


def rows_make(results: Results, sizes: Sizes) -> list[Row]:
    """The dashboard's lines of the table: each timing beside the raw SQL of the same
    numbers, and each query count at the large size beside the same at the small one."""
    rows: list[Row] = []
    names = {"page": "heatmap page", "api": "heatmap API"}
    same = "raw SQL, same numbers"
    for kind in ("page", "api"):
        for level in LEVELS:
            series = results.series.get(("large", kind, level))
            rows += timing_rows(f"{names[kind]}, {level}", series, same, results.raw.get(level))
    for level in LEVELS:
        fresh = results.series.get(("large", "fresh", level))
        note = "not a goal: surges, silence, forecasts computed on every request"
        rows += timing_rows(f"heatmap page, {level}, nothing kept", fresh, same, results.raw.get(level), note)
    series, raw = results.series.get(("large", "page", COMMUNITY)), results.raw.get(COMMUNITY)
    rows += timing_rows(COMMUNITY, series, "raw SQL, trend + explanation", raw)
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
        "request under CaptureQueriesContext, with nothing from the cache",
        "the pages keep their surges, silence (communities) and forecasts (districts) in the cache (Redis) for "
        "EWERS_DASHBOARD_CACHE_SECONDS (learning/kept.py): the warm-ups compute them, the timed requests reuse them "
        "(no report or score arrives meanwhile); the lines 'nothing kept' compute them on every request",
        "raw baseline: one hand-written SQL statement per level over psycopg2 (latest assessment per community via "
        f"its index, per area; each community's weekly max over {WEEKS} weeks, per area), execute + fetch, "
        "same warm-ups and count",
        f"numbers check: the scores and matrix cells of the API and of the page (its map and matrix figures) equal "
        f"the raw SQL's for {CHECKED_AREAS} areas per level and size ({results.checked:,} values agreed, tolerance "
        f"{TOLERANCE})",
    ]
    return lines


def flat_figures(results: Results, sizes: Sizes) -> dict[str, float | None]:
    """The dashboard's figures for ``--json`` (bench.goals): the p95 of each URL at the
    large size (the page and the API: the slower of the two levels), and how many more
    queries the large size takes than the small one (0: constant in N)."""
    figures: dict[str, float | None] = {}
    names = {"page": "heatmap_page", "api": "heatmap_api"}
    growth: list[int] = []
    for kind in ("page", "api"):
        worst: float | None = None
        for level in (*LEVELS, COMMUNITY):
            series = results.series.get(("large", kind, level))
            small = results.series.get(("small", kind, level))
            if series is not None and small is not None:
                growth.append(series.queries - small.queries)
            if series is None or level == COMMUNITY:
                continue
            figures[f"{names[kind]}_{level}_p50_ms"] = series.p(50)
            figures[f"{names[kind]}_{level}_p95_ms"] = series.p(95)
            figures[f"{names[kind]}_{level}_queries"] = series.queries
            worst = series.p(95) if worst is None else max(worst, series.p(95))
            raw = results.raw.get(level)
            figures[f"{names[kind]}_{level}_p95_ratio"] = series.p(95) / raw.p(95) if raw and raw.p(95) else None
        figures[f"{names[kind]}_p95_ms"] = worst
    for level in LEVELS:
        fresh = results.series.get(("large", "fresh", level))
        for q in (50, 95):
            figures[f"heatmap_page_{level}_fresh_p{q}_ms"] = fresh.p(q) if fresh else None
    community = results.series.get(("large", "page", COMMUNITY))
    figures["community_page_p95_ms"] = community.p(95) if community else None
    figures["community_page_queries"] = community.queries if community else None
    # Measured at both sizes for every URL, or not at all.
    expected = 2 * len(LEVELS) + 1
    figures["heatmap_queries_growth"] = max(growth) if len(growth) == expected else None
    figures["dashboard_communities"] = sizes.dashboard_communities
    figures["dashboard_readings"] = sizes.dashboard_readings
    return figures


EXPLAIN_FILE = "bench-explain.txt"
EXPLAINED_PER_URL = 3  # the slowest statements of each request


def explain_write(country: Country, path: Any) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of the slowest statements of the heatmap page, the
    heatmap API and the community page at the large size, into ``path`` (docs/scaling.md
    quotes them)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    by_kind = clients(country)
    community = community_highest(country)
    urls = [("page", PAGE_URL.format(level="community")), ("api", API_URL.format(level="community"))]
    if community is not None:
        urls.append(("page", COMMUNITY_URL.format(code=community.code)))
    out: list[str] = []
    for kind, url in urls:
        with CaptureQueriesContext(connection) as captured:
            get_ok(by_kind[kind], url)
        plans: list[tuple[float, str, str]] = []
        with connection.cursor() as cursor:
            for query in captured.captured_queries:
                sql = query["sql"] or ""
                if not sql.lstrip().upper().startswith("SELECT"):
                    continue
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                lines = [row[0] for row in cursor.fetchall()]
                took = next((float(x.split()[2]) for x in lines if x.startswith("Execution Time")), 0.0)
                plans.append((took, sql, "\n".join(lines)))
        plans.sort(key=lambda p: p[0], reverse=True)
        out.append(f"=== GET {url} ({len(captured.captured_queries)} queries; the slowest {EXPLAINED_PER_URL}) ===")
        for took, sql, plan in plans[:EXPLAINED_PER_URL]:
            out += [f"--- {took:.2f} ms: {sql[:2000]}", plan, ""]
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


@dataclass
class Run:
    header: list[str]
    rows: list[Row]
    failures: list[str]
    figures: dict[str, float | None]
    large: Country | None


def run(database_url: str, sizes: Sizes, *, explain_path: Any = None) -> Run:
    """Seed, measure (and EXPLAIN the dashboard's statements into ``explain_path``)."""
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
    if explain_path is not None and results.large is not None and not results.failures:
        try:
            explain_write(results.large, explain_path)
        except Exception as error:  # noqa: BLE001 - a figure of the docs, not of the goals
            results.failures.append(f"EXPLAIN: {type(error).__name__}: {error}")
    return Run(
        header=header_lines(results, sizes, seed_seconds),
        rows=rows_make(results, sizes),
        failures=results.failures,
        figures=flat_figures(results, sizes),
        large=results.large,
    )
