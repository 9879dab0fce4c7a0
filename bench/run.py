"""``python -m bench``: the parts in order (pipeline, dashboard, HTTP), their tables, the
tables' sizes after the run, the goals of issue 13 and ``--json FILE``.

Exit 0 when every figure was measured and every goal met; 1 when a step failed or a goal
was missed (each printed); 2 when PostgreSQL or Redis is missing.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import traceback
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bench import environment
from bench.config import BenchError, ConfigError, Sizes
from bench.goals import goals_missed, json_write
from bench.loadtest import GUNICORN_WORKERS, LOCUST_SECONDS, LOCUST_USERS, Load, locust_run, served
from bench.pipeline import flat_figures, header_lines, measure, rows_make, setup
from bench.stats import Row, format_table, say, timed
from bench.worker import REPO, queue_forget, queue_purge

if TYPE_CHECKING:
    from bench.dashboard import Run
    from bench.seed import Seeded

PARTS = ("pipeline", "dashboard", "http")
MB = 1024 * 1024
# (app, model, key in the JSON): the tables that grow with readings and reports.
SIZED_TABLES = (
    ("indicators", "Reading", "readings"),
    ("indicators", "Contribution", "contributions"),
    ("indicators", "RiskAssessment", "assessments"),
    ("indicators", "FieldReport", "reports"),
)


@dataclass
class Outcome:
    """What the parts gave: tables to print, flat figures, failures."""

    tables: list[tuple[list[str], list[Row], str]] = field(default_factory=list)
    figures: dict[str, float | None] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


def table_sizes() -> tuple[list[str], dict[str, float | None]]:
    """Rows and total size (with indexes and TOAST) of the growing tables, now."""
    from django.apps import apps
    from django.db import connection

    lines, figures = [], {}
    with connection.cursor() as cursor:
        for app, model_name, key in SIZED_TABLES:
            try:
                table = apps.get_model(app, model_name)._meta.db_table
            except LookupError:
                continue  # a table the product no longer has
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT count(*), pg_total_relation_size(%s) FROM {quoted}", [table])  # noqa: S608
            rows, size = cursor.fetchone()
            figures[f"{key}_rows"], figures[f"{key}_mb"] = rows, round(size / MB, 1)
            lines.append(f"  {table}: {rows:,} rows, {size / MB:,.1f} MB (with indexes)")
    return ["table sizes after the run (PostgreSQL, pg_total_relation_size):", *lines], figures


def http_part(
    seeded: Seeded, dashboard: Run, figures: dict[str, float | None], queue: str
) -> tuple[list[str], list[Row]]:
    """POST /api/v1/reports/ and GET /api/v1/heatmap/ over real HTTP, each for a fixed
    time, beside the in-process figures of the same run."""
    from bench.dashboard import API_URL

    if dashboard.large is None:
        raise BenchError("HTTP: the dashboard's country is missing.")
    inputs: dict[str, Any] = {
        "reports_token": seeded.token,
        "heatmap_token": dashboard.large.token,
        "heatmap_url": API_URL.format(level="community"),
        "communities": [c.code for c in seeded.work_communities],
        "indicators": [
            [i.code, int(i.scale_min), int(i.scale_max)] for i in seeded.indicators if i.category != "trigger"
        ],
    }
    with served() as server:
        say(f"gunicorn ({GUNICORN_WORKERS} workers) on {server.base}")
        with timed(f"locust: POST reports, {LOCUST_USERS} users, {LOCUST_SECONDS}s"):
            reports = locust_run(server, "ReportUser", "POST /api/v1/reports/", inputs, seconds=LOCUST_SECONDS)
        with timed(f"locust: GET heatmap, {LOCUST_USERS} users, {LOCUST_SECONDS}s"):
            heatmap = locust_run(server, "HeatmapUser", "GET /api/v1/heatmap/", inputs, seconds=LOCUST_SECONDS)
    say(f"purged {queue_purge(queue)} scoring tasks queued over HTTP")
    figures.update(
        {
            "http_reports_per_s": reports.per_second,
            "http_reports_p50_ms": reports.p50_ms,
            "http_reports_p95_ms": reports.p95_ms,
            "http_reports_requests": reports.requests,
            "http_heatmap_per_s": heatmap.per_second,
            "http_heatmap_p50_ms": heatmap.p50_ms,
            "http_heatmap_p95_ms": heatmap.p95_ms,
            "http_heatmap_requests": heatmap.requests,
        }
    )
    single = figures.get("ingest_single_per_s")
    api_p50 = dashboard.figures.get("heatmap_api_community_p50_ms")
    api_p95 = dashboard.figures.get("heatmap_api_community_p95_ms")
    header = [
        f"EWERS over real HTTP — gunicorn (gunicorn.conf.py, gthread, {GUNICORN_WORKERS} workers) on 127.0.0.1, "
        f"locust headless on loopback: {LOCUST_USERS} users with no wait, {LOCUST_SECONDS}s per endpoint; "
        "load generator, server and PostgreSQL share the machine's cores; no worker runs (scoring tasks purged)",
        "in-process baselines: one client, one request at a time (a rate is 1000 / its mean or p50 in ms)",
    ]
    rows = [
        Row("HTTP POST /api/v1/reports/", reports.per_second, "reports/s", "in-process single", single),
        _latency_row(
            "HTTP POST /api/v1/reports/", reports, "in-process single, mean", 1000 / single if single else None
        ),
        Row(
            "HTTP GET /api/v1/heatmap/",
            heatmap.per_second,
            "requests/s",
            "in-process API, community, 1000/p50",
            1000 / api_p50 if api_p50 else None,
        ),
        _latency_row("HTTP GET /api/v1/heatmap/", heatmap, "in-process API, community p95", api_p95),
    ]
    return header, rows


def _latency_row(name: str, load: Load, baseline_name: str, baseline: float | None) -> Row:
    return Row(f"{name} p95 (p50 {load.p50_ms:.0f})", load.p95_ms, "ms", baseline_name, baseline)


def _pipeline(
    services: environment.Services, versions: tuple[str, str], sizes: Sizes, queue: str, outcome: Outcome
) -> Seeded:
    from django.conf import settings

    from bench.seed import seed

    with timed("seeded"):
        seeded = seed(sizes, window_days=settings.EWERS_SCORING_WINDOW_DAYS)
    figures, failures = measure(services, sizes, seeded, queue)
    outcome.failures += failures
    outcome.figures.update(flat_figures(figures, sizes))
    # Counted now: the dashboard's countries come on top of these.
    header = header_lines(services, versions, sizes, seeded, queue)
    outcome.tables.append(
        (
            header,
            rows_make(figures, sizes, sizes.single + sizes.batch),
            "  ratio = figure / baseline: for a rate, the share of raw insert speed; "
            "for a latency, times the baseline.",
        )
    )
    return seeded


def run(
    services: environment.Services, versions: tuple[str, str], sizes: Sizes, parts: Sequence[str] = PARTS
) -> Outcome:
    queue = f"ewers-bench-{uuid.uuid4().hex[:8]}"
    with timed("database recreated and migrated"):
        setup(services, queue)
    outcome = Outcome()
    seeded: Seeded | None = None
    dashboard: Run | None = None
    try:
        if "pipeline" in parts:
            seeded = _pipeline(services, versions, sizes, queue, outcome)
        if "dashboard" in parts:
            from bench import dashboard as dashboard_bench

            try:
                with timed("dashboard seeded and measured"):
                    dashboard = dashboard_bench.run(
                        services.database_url, sizes, explain_path=REPO / "var" / dashboard_bench.EXPLAIN_FILE
                    )
                outcome.failures += dashboard.failures
                outcome.figures.update(dashboard.figures)
                outcome.tables.append(
                    (
                        dashboard.header,
                        dashboard.rows,
                        "  ratio = figure / baseline: for a time, times the raw SQL's; for queries, the large size's "
                        "count over the small one's (1x: it does not grow with the number of communities).",
                    )
                )
            except Exception as error:  # noqa: BLE001 - the pipeline's table is still printed
                say(traceback.format_exc())
                outcome.failures.append(f"dashboard: {type(error).__name__}: {error}")
        if "http" in parts:
            try:
                if seeded is None or dashboard is None:
                    raise BenchError("HTTP: needs the pipeline's and the dashboard's data (run all parts).")
                header, rows = http_part(seeded, dashboard, outcome.figures, queue)
                outcome.tables.append((header, rows, "  ratio = HTTP figure / in-process figure of the same run."))
            except BenchError as error:
                outcome.failures.append(str(error))
    finally:
        queue_forget(queue)
    lines, sizes_figures = table_sizes()
    outcome.tables.append((lines, [], ""))
    outcome.figures.update(sizes_figures)
    return outcome


def report(outcome: Outcome, parts: Sequence[str], json_path: str | None) -> int:
    """Print the tables, write the JSON, print the goals missed; the exit code."""
    for header, rows, legend in outcome.tables:
        print()
        for line in header:
            print(line)
        if rows:
            print()
            print(format_table(rows))
        if legend:
            print(legend)
    if json_path:
        written = json_write(json_path, outcome.figures)
        say(f"{len(written)} figures written to {json_path}")
    missed = goals_missed({k: v for k, v in outcome.figures.items() if v is not None}, list(parts))
    print()
    if missed:
        print(f"GOALS MISSED ({len(missed)}, issue 13):")
        for line in missed:
            print(f"  - {line}")
    else:
        print("All goals of issue 13 met.")
    for failure in outcome.failures:
        say(f"FAILED: {failure}")
    return 1 if outcome.failures or missed else 0


def _terminated(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds through the ``finally`` blocks that stop the processes


def arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description="EWERS benchmarks (README, Benchmarks).")
    parser.add_argument(
        "--only",
        choices=PARTS[:2],
        help="run one part: the pipeline or the dashboard (default: both, then the HTTP load test)",
    )
    parser.add_argument("--json", metavar="FILE", help="also write the figures to FILE as a flat JSON object")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _terminated)
    options = arguments(argv)
    parts = [options.only] if options.only else list(PARTS)
    try:
        sizes = Sizes.from_env(os.environ)
        services = environment.services_from_env(os.environ)
        versions = environment.services_check(services)
    except ConfigError as error:
        print(f"bench: {error}", file=sys.stderr)
        return 2
    except environment.ServiceUnavailable as error:
        print(f"bench: {error}", file=sys.stderr)
        print(
            "bench: needs PostgreSQL and Redis, e.g. BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/ewers_bench "
            "BENCH_REDIS_URL=redis://127.0.0.1:6379/14 (these are the defaults).",
            file=sys.stderr,
        )
        return 2
    say(
        f"PostgreSQL {versions[0]} and Redis {versions[1]} answer; "
        f"database {services.database_name}; {sizes.describe()}"
    )
    try:
        outcome = run(services, versions, sizes, parts)
    except BenchError as error:
        say(f"FAILED: {error}")
        return 1
    return report(outcome, parts, options.json)
