"""The pipeline benchmark: ingest, scoring and commit → alert latency, each beside a baseline.

Order of a run: a fresh ``ewers_bench`` database (migrated, seeded); API ingest (single
and batch) with no worker running, then the scoring tasks it queued are purged; the raw
PostgreSQL insert baseline; then a real Celery worker on a queue of this run's own: it
scores the ingest's reports (an untimed first pass), then the raw insert's rows saved
again (the scoring rate), then the alert latency (interleaved with its baseline, a trivial
task's round trip). The worker is stopped on every way out. Then, unless ``--only`` says
otherwise, the dashboard part (bench/dashboard.py) in the same database, in a table of
its own.
"""

from __future__ import annotations

import contextlib
import os
import platform
import random
import time
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bench import environment
from bench.config import BATCH_SIZE, BenchError, Sizes
from bench.ingest import (
    API_MODE,
    CSV_FILE_ROWS,
    WARM_UP_REPORTS,
    api_check,
    ingest_bare,
    ingest_batch,
    ingest_csv,
    ingest_single,
    payloads_make,
    raw_insert,
)
from bench.loadtest import FEED_BATCH, FEED_MAX_SECONDS, FEED_RATE, Feeder, served
from bench.pipeline.figures import BURST, Figures
from bench.stats import say, timed
from bench.worker import (
    POLL_SECONDS,
    SAMPLE_TIMEOUT_SECONDS,
    WORKER_CONCURRENCY,
    WORKER_EMAIL_BACKEND,
    Worker,
    ping_round_trip,
    queue_purge,
    wait_row,
)

if TYPE_CHECKING:  # Django loads only once the bench has set the environment
    from bench.seed import Seeded
    from ewers.models import Region


RAW_REPEATS = 3  # the raw baseline is short: take the median of a few runs
# The batch figure's rounds, each with a run of the raw insert (``batch_paired``).
BATCH_ROUNDS = 5
SCORING_POLL_SECONDS = 0.01  # how often the scoring run counts the reports left


# --- Scoring and alerts ---------------------------------------------------------------


def reports_received(seeded: Seeded, payloads: Sequence[dict[str, Any]]) -> list[int]:
    """Save the reports through the service without queueing them (the clock is not running)."""
    from django.utils.dateparse import parse_datetime

    from ewers.models import Region
    from indicators.services import ReadingInput, field_report_create

    communities = {c.code: c for c in Region.objects.filter(code__in={p["community"] for p in payloads})}
    ids = []
    for p in payloads:
        observed_at = parse_datetime(p["observed_at"])
        assert observed_at is not None
        report, _created = field_report_create(
            user=seeded.reporter,
            community=communities[p["community"]],
            observed_at=observed_at,
            readings=[ReadingInput(indicator=r["indicator"], value=r["value"]) for r in p["readings"]],
            source_reliability=p["source_reliability"],
            information_credibility=p["information_credibility"],
            narrative=p["narrative"],
            enqueue_scoring=False,
        )
        ids.append(report.pk)
    return ids


def reports_waiting() -> list[int]:
    """The reports still to score: those the ingest steps saved (their tasks purged)."""
    from indicators.choices import ReportStatus
    from indicators.models import FieldReport

    return list(FieldReport.objects.filter(status=ReportStatus.RECEIVED).values_list("pk", flat=True))


VACUUMED = ("indicators_fieldreport", "indicators_reading")


def tables_vacuum() -> None:
    """What autovacuum does in a deployment, done once before the timed scoring: the seed,
    the ingest and the first scoring pass just wrote and updated thousands of reports, and a server run without
    autovacuum (as benchmark machines often are) would leave the planner without statistics
    and the indexes of received reports full of dead entries."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table in VACUUMED:
            cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(table)}")


def _deadlocks() -> int:
    """Deadlocks PostgreSQL has counted in the bench database so far."""
    from django.db import DatabaseError, connection, transaction

    with connection.cursor() as cursor:
        with contextlib.suppress(DatabaseError), transaction.atomic():
            cursor.execute("SELECT pg_stat_force_next_flush()")  # PostgreSQL 15+: this session's counters, now
        cursor.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def scoring_run(report_ids: Sequence[int], *, timeout: float) -> tuple[float, str]:
    """Seconds from queueing every report to all of them ``scored`` by the worker, and a
    note when scoring needed retries (their back-off is part of the figure). Each report is
    queued as single ingest queues it once it commits: ``scoring_wake`` (a scoring task is
    queued only when none waits; the task scores every report waiting, in micro-batches)."""
    from django.db.models import F, Sum

    from indicators.choices import ReportStatus
    from indicators.models import FieldReport
    from indicators.services import scoring_wake

    reports = FieldReport.objects.filter(pk__in=report_ids)
    pending = reports.filter(status=ReportStatus.RECEIVED)
    deadlocks = _deadlocks()
    started = time.monotonic()
    for _report_id in report_ids:
        scoring_wake()
    deadline = started + timeout
    while (left := pending.count()) and time.monotonic() < deadline:
        time.sleep(SCORING_POLL_SECONDS)
    seconds = time.monotonic() - started
    if left:
        raise BenchError(f"Scoring: {left} of {len(report_ids)} reports still unscored after {timeout:.0f}s.")
    time.sleep(0.5)  # the worker's sessions flush their statistics when idle
    deadlocks = _deadlocks() - deadlocks
    retried = reports.filter(scoring_attempts__gt=1).count()
    extra = reports.aggregate(n=Sum(F("scoring_attempts") - 1))["n"] or 0
    note = ""
    if retried or deadlocks:
        note = (
            f"{retried} of {len(report_ids)} reports were scored only on a retry ({extra} extra attempts); "
            f"PostgreSQL counted {deadlocks} deadlocks meanwhile."
        )
    return seconds, note


def alert_latency(seeded: Seeded, community: Region, *, timeout: float = SAMPLE_TIMEOUT_SECONDS) -> float:
    """Seconds from the commit of a report with a trigger at its critical threshold to
    the community's open alert being visible."""
    from django.db import transaction
    from django.utils import timezone

    from alerts.choices import AlertState
    from alerts.models import Alert
    from indicators.services import ReadingInput, field_report_create

    committed: list[float] = []
    with transaction.atomic():
        # Registered first, so it runs at commit, before the service queues the scoring.
        transaction.on_commit(lambda: committed.append(time.monotonic()))
        field_report_create(
            user=seeded.reporter,
            community=community,
            observed_at=timezone.now() - timedelta(minutes=1),
            readings=[ReadingInput(indicator="T02", value=3), ReadingInput(indicator="P02", value=3)],
            source_reliability="B",
            information_credibility=2,
            narrative="Bench: acquisition of explosive precursors confirmed.",
        )
    done = wait_row(
        f"SELECT 1 FROM {Alert._meta.db_table} WHERE community_id = %s AND state = %s",  # noqa: S608
        [community.pk, AlertState.OPEN.value],
        timeout=timeout,
    )
    if done is None:
        raise BenchError(f"No alert for community {community.code} within {timeout:.0f}s of the commit.")
    return done - committed[0]


# --- The run ------------------------------------------------------------------------------


def batch_paired(
    database_url: str, seeded: Seeded, payloads: Sequence[dict[str, Any]], raw_rows: Sequence[dict[str, Any]]
) -> list[tuple[int, float, float]]:
    """The batch figure in BATCH_ROUNDS rounds: each posts its share of ``payloads``
    (BATCH_SIZE a request) and times the raw insert of ``raw_rows`` (the baseline's rows,
    as ``raw_insert`` inserts them), the one first in one round and the other first in
    the next (each half runs in the wake of the other's writes as often as the other
    does): (reports, seconds, raw seconds) a round. On a machine whose speed drifts from
    one second to the next (a shared host), the batch and its yardstick measured a minute
    apart gave ratios from 0.36 to 0.56 for the same code; each round's two halves meet
    the same moment, and the goal takes the median round."""
    share = -(-len(payloads) // BATCH_ROUNDS)  # rounded up to whole requests
    share = -(-share // BATCH_SIZE) * BATCH_SIZE
    rounds = []
    for number, start in enumerate(range(0, len(payloads), share)):
        part = payloads[start : start + share]
        raw_first = number % 2 == 1
        raw = raw_insert(database_url, raw_rows, reporter=seeded.reporter) if raw_first else None
        seconds = ingest_batch(seeded.token, part)
        if raw is None:
            raw = raw_insert(database_url, raw_rows, reporter=seeded.reporter)
        rounds.append((len(part), seconds, raw))
    return rounds


def header_lines(
    services: environment.Services, versions: tuple[str, str], sizes: Sizes, seeded: Seeded, queue: str
) -> list[str]:
    import celery
    import django
    from django.conf import settings

    from ewers.models import Region
    from indicators.models import FieldReport, Reading

    pg_version, redis_version = versions
    return [
        f"EWERS pipeline bench — database {services.database_name} (PostgreSQL {pg_version}), "
        f"Redis {redis_version} at {services.redis_url}",
        f"Python {platform.python_version()}, Django {django.get_version()}, Celery {celery.__version__}, "
        f"{os.cpu_count()} cores, {platform.machine()}",
        f"sizes: {sizes.describe()}; database now holds {Region.objects.filter(level='community').count():,} "
        f"communities, {FieldReport.objects.count():,} reports, {Reading.objects.count():,} readings "
        f"(history: {seeded.history_readings:,} readings in {seeded.history_reports:,} reports)",
        f"API: {API_MODE}; worker: celery prefork -c {WORKER_CONCURRENCY} on queue {queue}, e-mail to Django's "
        f"{WORKER_EMAIL_BACKEND.rsplit('.', 2)[-2]} backend (no SMTP server: rendered, not sent); scoring: the "
        "ingest's reports first (untimed), then the raw insert's rows saved again, queued as ingest queues them "
        f"(scoring_wake after each report; EWERS_SCORING_BATCH {settings.EWERS_SCORING_BATCH:,}), polled every "
        f"{SCORING_POLL_SECONDS * 1000:g} ms; VACUUM ANALYZE of {', '.join(VACUUMED)} before the timed scoring",
        f"CSV import: {sizes.batch:,} other reports in files of up to {CSV_FILE_ROWS:,} rows, POST "
        "/api/v1/reports/import/ as text/csv (no reference column: the batch sends no keys either)",
        f"batch: {sizes.batch:,} reports in {BATCH_ROUNDS} rounds, each with a run of the raw insert (below) right "
        "before or after it (in turn); the goal's ratio is the median round's (each round's batch rate over its "
        "own raw insert's)",
        f"bare baseline: {sizes.single:,} other reports posted one per request to a bare DRF endpoint (bench/bare.py: "
        "the same token authentication, a ModelSerializer, the report and its readings in one transaction; no "
        f"throttle, audit, idempotency or task), after {WARM_UP_REPORTS} warm-ups",
        f"raw baseline: psycopg2 execute_values of the {sizes.single + sizes.batch:,} ingest reports and their "
        f"readings, one transaction, product tables, committed (the deferred foreign-key checks and the commit "
        f"timed; the rows deleted after, untimed); median of {RAW_REPEATS}; the same rolled back (no commit, no "
        "foreign-key checks: the yardstick of runs before 2026-12-06's second session) printed beside it",
        f"alert baseline: trivial Celery task (publish -> worker -> row visible), interleaved with the "
        f"{sizes.alerts} alert samples; both polled every {POLL_SECONDS * 1000:g} ms",
    ]


def setup(services: environment.Services, queue: str) -> None:
    """A fresh, migrated bench database, and Django loaded against it."""
    environment.database_recreate(services)
    environment.environment_apply(services, queue=queue)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    if settings.CELERY_TASK_ALWAYS_EAGER or queue != settings.CELERY_TASK_DEFAULT_QUEUE:
        raise BenchError("The settings did not take the bench's REDIS_URL and CELERY_TASK_DEFAULT_QUEUE.")
    call_command("migrate", verbosity=0, interactive=False)
    from bench.tasks import ping_table_create

    ping_table_create()


def measure(services: environment.Services, sizes: Sizes, seeded: Seeded, queue: str) -> tuple[Figures, list[str]]:
    """Every figure and baseline; a failed step is recorded and the others still run."""
    rng = random.Random(7)  # noqa: S311 - synthetic reports, not cryptography
    ingest = payloads_make(seeded.work_communities, seeded.indicators, sizes.single + sizes.batch, rng)
    figures = Figures()
    failures: list[str] = []
    try:
        api_check()
        # Untimed: the first requests pay for imports, URL resolving and connections.
        warm_up = payloads_make(seeded.work_communities, seeded.indicators, WARM_UP_REPORTS, rng)
        ingest_single(seeded.token, warm_up[: WARM_UP_REPORTS // 2])
        ingest_batch(seeded.token, warm_up[WARM_UP_REPORTS // 2 :])
        with timed(f"API ingest, {sizes.single} single"):
            figures.single_seconds = ingest_single(seeded.token, ingest[: sizes.single])
        with timed(f"API ingest, {sizes.batch} in batches, in rounds each with a raw insert"):
            figures.batch_rounds = batch_paired(services.database_url, seeded, ingest[sizes.single :], ingest)
            figures.batch_seconds = sum(seconds for _reports, seconds, _raw in figures.batch_rounds)
        imported = payloads_make(seeded.work_communities, seeded.indicators, sizes.batch, rng)
        with timed(f"CSV import, {sizes.batch} rows"):
            figures.csv_seconds = ingest_csv(seeded.token, imported)
    except BenchError as error:
        failures.append(str(error))
        figures.api_note = str(error)
    try:
        # The same number of other reports of the same kind, through the bare endpoint.
        bare = payloads_make(seeded.work_communities, seeded.indicators, WARM_UP_REPORTS + sizes.single, rng)
        with timed(f"bare DRF endpoint, {sizes.single} single"):
            figures.bare_seconds = ingest_bare(seeded.token, bare)
    except BenchError as error:
        failures.append(str(error))
    # The API queued a scoring task per report; no worker ran, and they are not measured.
    say(f"purged {queue_purge(queue)} scoring tasks queued by the API ingest")
    with timed("raw insert baseline"):
        for committed in (True, False):
            runs = sorted(
                raw_insert(services.database_url, ingest, reporter=seeded.reporter, committed=committed)
                for _ in range(RAW_REPEATS)
            )
            if committed:
                figures.raw_seconds = runs[len(runs) // 2]
            else:
                figures.raw_rolled_back_seconds = runs[len(runs) // 2]

    worker = Worker(queue=queue)
    try:
        with timed("worker started"):
            worker.start()
        # Untimed, as the API ingest's warm-ups are: the worker scores what the ingest steps
        # saved. The seed wrote its history as scored without the communities' carried sums
        # (a deployment builds them as reports arrive), so this first pass rebuilds each
        # community's sums from its window and opens the alerts its history calls for; its
        # rate is printed, not a goal. What follows is the steady state.
        waiting = reports_waiting()
        with timed(f"first pass: scoring the {len(waiting):,} reports the ingest steps saved"):
            seconds, _note = scoring_run(waiting, timeout=max(120.0, len(waiting) / 2))
            figures.first_pass = (len(waiting), seconds)
        # The scoring figure: the raw insert's own rows (the ingest payloads), saved again as
        # received reports, then scored by the worker.
        with timed(f"{len(ingest):,} reports (the raw insert's rows) saved for scoring"):
            score_ids = reports_received(seeded, ingest)
        with timed("VACUUM ANALYZE of the reports and readings"):
            tables_vacuum()
        with timed(f"scoring {len(score_ids):,} reports"):
            figures.scoring_seconds, figures.scoring_note = scoring_run(
                score_ids, timeout=max(120.0, len(score_ids) / 2)
            )
        # Not a goal: a smaller burst, fewer reports a community, so more of the batch's
        # cost is per community (docs/performance.md, "What a backlog's size does").
        burst = reports_received(seeded, payloads_make(seeded.work_communities, seeded.indicators, BURST, rng))
        with timed(f"scoring a burst of {len(burst):,} reports"):
            figures.burst = (len(burst), scoring_run(burst, timeout=120.0)[0])
        with timed(f"{sizes.alerts} alert samples and as many pings"):
            alert_ms: list[float] = []
            ping_ms: list[float] = []
            # Interleaved, so both series meet the same moments of a noisy machine.
            for community in seeded.alert_communities[: sizes.alerts]:
                sample = ping_round_trip()
                if sample is None:
                    raise BenchError(f"The trivial task did not come back within {SAMPLE_TIMEOUT_SECONDS}s.")
                ping_ms.append(sample * 1000)
                alert_ms.append(alert_latency(seeded, community) * 1000)
            figures.alert_ms, figures.ping_ms = alert_ms, ping_ms
        with timed(f"{sizes.alerts} alert samples while {FEED_RATE} reports/s arrive over HTTP"):
            alerts_under_load(seeded, sizes, figures, rng)
    except BenchError as error:
        failures.append(str(error))
    finally:
        worker.stop()
    return figures, failures


def alerts_under_load(seeded: Seeded, sizes: Sizes, figures: Figures, rng: random.Random) -> None:
    """The alert samples again while a feeder posts FEED_RATE reports a second through
    gunicorn (bounded: FEED_MAX_SECONDS, and a fixed budget of reports); the worker scores
    them meanwhile. Gunicorn and the feeder stop on every way out."""
    budget = payloads_make(seeded.work_communities, seeded.indicators, FEED_RATE * FEED_MAX_SECONDS, rng)
    with served() as server:
        feeder = Feeder(server=server, token=seeded.token, payloads=budget)
        feeder.start()
        samples: list[float] = []
        late = ""
        try:
            time.sleep(2)  # the load settles before the first sample
            for community in seeded.alert_communities[sizes.alerts :]:
                try:
                    samples.append(alert_latency(seeded, community) * 1000)
                except BenchError:
                    # The scoring queue is behind the feed: the sample counts as the timeout
                    # (a lower bound), and the next ones would only wait longer.
                    samples.append(SAMPLE_TIMEOUT_SECONDS * 1000)
                    late = f"; sample {len(samples)} had no alert within {SAMPLE_TIMEOUT_SECONDS}s (counted as that, "
                    late += "sampling stopped): the worker scores fewer reports a second than arrive"
                    break
        finally:
            feeder.stop()
    figures.alert_load_ms = samples
    figures.feed_rate = feeder.achieved
    figures.feed_note = (
        f"a feeder posted {feeder.sent:,} reports over HTTP in batches of {FEED_BATCH} "
        f"({feeder.achieved:.0f} reports/s achieved of {FEED_RATE} asked) while the worker scored them{late}"
    )
    if feeder.errors:
        raise BenchError(f"The feeder failed: {feeder.errors[0]}")
