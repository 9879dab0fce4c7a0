"""Ingest figures: reports posted through the API (single, batch and CSV import, in-process)
against a raw PostgreSQL insert of the same rows."""

from __future__ import annotations

import csv
import io
import json
import random
import time
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bench.config import BATCH_SIZE, BenchError

if TYPE_CHECKING:  # Django loads only once the bench has set the environment
    from ewers.models import Region, User
    from indicators.models import Indicator


# --- Payloads -------------------------------------------------------------------------


WARM_UP_REPORTS = 10  # posted before the API clock starts
API_MODE = "Django test client, in-process (full middleware, token auth, no network)"
SINGLE_URL = "/api/v1/reports/"
BATCH_URL = "/api/v1/reports/batch/"
IMPORT_URL = "/api/v1/reports/import/"
# Rows per imported file: a register of a month or two (the import takes up to 5,000).
CSV_FILE_ROWS = 1_000


def payloads_make(
    communities: Sequence[Region], indicators: Sequence[Indicator], count: int, rng: random.Random
) -> list[dict[str, Any]]:
    """Reports as the API takes them: 1–4 readings of non-trigger indicators, observed in
    the last two days, graded like the demo's."""
    from django.utils import timezone

    from bench.seed import grade, reading_value
    from indicators.choices import Category

    now = timezone.now()
    usable = [i for i in indicators if i.category != Category.TRIGGER]
    payloads = []
    for n in range(count):
        community = rng.choice(communities)
        reliability, credibility = grade(rng)
        chosen = rng.sample(usable, rng.randint(1, 4))
        payloads.append(
            {
                "community": community.code,
                "observed_at": (now - timedelta(minutes=rng.uniform(5, 48 * 60))).isoformat(),
                "readings": [{"indicator": i.code, "value": reading_value(i, rng)} for i in chosen],
                "source_reliability": reliability,
                "information_credibility": credibility,
                "narrative": f"Bench visit {n + 1} to {community.name}: {len(chosen)} signals noted.",
            }
        )
    return payloads


# --- Ingest -----------------------------------------------------------------------------


def _report_count() -> int:
    from indicators.models import FieldReport

    return FieldReport.objects.count()


def _api_client(token: str) -> Any:
    """A test client signed in by ``token``, its middleware already built: a served
    process builds it once, when it starts, but a new test client builds it on its first
    request (WhiteNoise's scan of the static files alone is ~75 ms), which would fall on
    the clock of whichever figure used the client first."""
    from django.test import Client

    client = Client(HTTP_AUTHORIZATION=f"Token {token}")
    client.handler.load_middleware()
    return client


def api_check() -> None:
    from django.urls import Resolver404, resolve

    for url in (SINGLE_URL, BATCH_URL, IMPORT_URL):
        try:
            resolve(url)
        except Resolver404:
            raise BenchError(f"The API has no {url} (not written yet?).") from None


def _refused(response: Any, what: str) -> BenchError:
    body = response.content[:300].decode("utf-8", "replace")
    return BenchError(f"{what} answered {response.status_code}: {body}")


def ingest_single(token: str, payloads: Sequence[dict[str, Any]]) -> float:
    """Seconds to POST each report alone; every one must answer 201. The bodies are
    written before the clock starts (a gateway's work, not the server's), as the CSV files are."""
    client = _api_client(token)
    bodies = [json.dumps(payload) for payload in payloads]
    before = _report_count()
    started = time.monotonic()
    for body in bodies:
        response = client.post(SINGLE_URL, data=body, content_type="application/json")
        if response.status_code != 201:
            raise _refused(response, f"POST {SINGLE_URL}")
    seconds = time.monotonic() - started
    if (created := _report_count() - before) != len(payloads):
        raise BenchError(f"POST {SINGLE_URL}: {len(payloads)} accepted but {created} reports written.")
    return seconds


def ingest_bare(token: str, payloads: Sequence[dict[str, Any]]) -> float:
    """Seconds to POST each report alone to the bare DRF endpoint (bench.bare), mounted
    for this measurement only; every one must answer 201 and be written."""
    from django.test.utils import override_settings

    from bench.bare import BARE_URL

    client = _api_client(token)
    before = _report_count()
    with override_settings(ROOT_URLCONF="bench.urls"):
        # Untimed: the first requests pay for the new URL configuration and imports.
        for payload in payloads[:WARM_UP_REPORTS]:
            client.post(BARE_URL, data=json.dumps(payload), content_type="application/json")
        timed = [json.dumps(payload) for payload in payloads[WARM_UP_REPORTS:]]
        started = time.monotonic()
        for body in timed:
            response = client.post(BARE_URL, data=body, content_type="application/json")
            if response.status_code != 201:
                raise _refused(response, f"POST {BARE_URL}")
        seconds = time.monotonic() - started
    if (created := _report_count() - before) != len(payloads):
        raise BenchError(f"POST {BARE_URL}: {len(payloads)} accepted but {created} reports written.")
    return seconds


def ingest_batch(token: str, payloads: Sequence[dict[str, Any]]) -> float:
    """Seconds to POST the reports ``BATCH_SIZE`` per request; all must be written. The
    bodies are written before the clock starts, as for ``ingest_single``."""
    client = _api_client(token)
    bodies = [
        json.dumps({"reports": list(payloads[start : start + BATCH_SIZE])})
        for start in range(0, len(payloads), BATCH_SIZE)
    ]
    before = _report_count()
    started = time.monotonic()
    for body in bodies:
        response = client.post(BATCH_URL, data=body, content_type="application/json")
        if response.status_code not in (200, 201, 207):
            raise _refused(response, f"POST {BATCH_URL}")
    seconds = time.monotonic() - started
    if (created := _report_count() - before) != len(payloads):
        raise BenchError(f"POST {BATCH_URL}: {len(payloads)} sent but {created} reports written.")
    return seconds


def csv_files(payloads: Sequence[dict[str, Any]]) -> list[bytes]:
    """The reports as the CSV files an analyst imports (docs/csv-import.md), at most
    ``CSV_FILE_ROWS`` rows each: one column per indicator read, blank where not read."""
    codes = sorted({r["indicator"] for p in payloads for r in p["readings"]})
    fixed = ["community", "observed_at", "source_reliability", "information_credibility", "narrative"]
    files = []
    for start in range(0, len(payloads), CSV_FILE_ROWS):
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(fixed + codes)
        for p in payloads[start : start + CSV_FILE_ROWS]:
            values = {r["indicator"]: r["value"] for r in p["readings"]}
            writer.writerow([p[name] for name in fixed] + [values.get(code, "") for code in codes])
        files.append(out.getvalue().encode("utf-8"))
    return files


def ingest_csv(token: str, payloads: Sequence[dict[str, Any]]) -> float:
    """Seconds to import the reports as CSV files through the API (the import page calls
    the same service); every row must be saved. The files are written before the clock
    starts."""
    client = _api_client(token)
    files = csv_files(payloads)
    before = _report_count()
    started = time.monotonic()
    for data in files:
        response = client.post(IMPORT_URL, data=data, content_type="text/csv")
        if response.status_code != 200:
            raise _refused(response, f"POST {IMPORT_URL}")
    seconds = time.monotonic() - started
    if (created := _report_count() - before) != len(payloads):
        raise BenchError(f"POST {IMPORT_URL}: {len(payloads)} rows sent but {created} reports written.")
    return seconds


def raw_insert(
    database_url: str, payloads: Sequence[dict[str, Any]], *, reporter: User, committed: bool = True
) -> float:
    """Seconds to insert the same reports and readings with plain psycopg2: two
    ``execute_values`` in one transaction, into the product's tables, and its commit
    (``committed``: the foreign-key checks Django's constraints defer to the commit, and
    the commit's flush, are paid as by any insert that keeps its rows; the rows are then
    deleted, untimed) or rolled back unpaid (``committed=False``: the yardstick of the
    runs before 2026-12-06's second session, printed beside it). Codes are resolved to
    ids before the clock starts.
    """
    import psycopg2  # type: ignore[import-untyped]
    from django.utils import timezone
    from django.utils.dateparse import parse_datetime
    from psycopg2.extras import execute_values  # type: ignore[import-untyped]

    from ewers.choices import HandlingLevel
    from ewers.models import Region
    from indicators.choices import ReportStatus, Verification
    from indicators.models import FieldReport, Indicator, Reading

    communities = dict(Region.objects.values_list("code", "pk"))
    indicators = dict(Indicator.objects.values_list("code", "pk"))
    handling = dict(Indicator.objects.values_list("code", "handling_level"))
    now = timezone.now()
    reports = [
        (
            communities[p["community"]],
            # What the service stores: the highest handling level of the report's indicators.
            HandlingLevel.highest([handling[r["indicator"]] for r in p["readings"]]),
            parse_datetime(p["observed_at"]),
            now,
            p["source_reliability"],
            p["information_credibility"],
            p["narrative"],
            Verification.UNVERIFIED.value,
            ReportStatus.RECEIVED.value,
            0,
            reporter.pk,
            reporter.organisation_id,
        )
        for p in payloads
    ]
    report_sql = (
        f"INSERT INTO {FieldReport._meta.db_table} (community_id, handling_level, observed_at, received_at, "  # noqa: S608
        "source_reliability, information_credibility, narrative, verification, status, scoring_attempts, "
        "created_by_id, organisation_id) VALUES %s RETURNING id"
    )
    reading_sql = f"INSERT INTO {Reading._meta.db_table} (report_id, indicator_id, value) VALUES %s"  # noqa: S608
    conn = psycopg2.connect(database_url)
    try:
        with conn.cursor() as cursor:
            started = time.monotonic()
            ids = [row[0] for row in execute_values(cursor, report_sql, reports, page_size=1000, fetch=True)]
            readings = [
                (report_id, indicators[r["indicator"]], r["value"])
                for report_id, p in zip(ids, payloads, strict=True)
                for r in p["readings"]
            ]
            execute_values(cursor, reading_sql, readings, page_size=1000)
            if committed:
                conn.commit()
            seconds = time.monotonic() - started
            if committed:  # the tables left as they were
                cursor.execute(f"DELETE FROM {Reading._meta.db_table} WHERE report_id = ANY(%s)", [ids])  # noqa: S608
                cursor.execute(f"DELETE FROM {FieldReport._meta.db_table} WHERE id = ANY(%s)", [ids])  # noqa: S608
                conn.commit()
        conn.rollback()
    finally:
        conn.close()
    return seconds
