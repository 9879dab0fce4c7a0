"""Idempotency-Key (API.md; issue 17): the same key with the same body answers the first
report (200); with a different body 422, the first report standing; while the first
request is still being saved 409. Single reports, the batch (per item) and the form."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from indicators.models import FieldReport, Reading
from tests.conftest import HAS_REAL_SERVICES

LIST = reverse("api-report-list")
BATCH = reverse("api-report-batch")
NEW = reverse("reports:new")
OBSERVED = (timezone.now() - timedelta(hours=1)).replace(microsecond=0)
REUSED = "This Idempotency-Key was already used for a different request"
IN_FLIGHT = "A request with this Idempotency-Key is still being processed; send it again in a moment."
requires_postgresql = pytest.mark.skipif(
    not HAS_REAL_SERVICES, reason="needs PostgreSQL (advisory locks, concurrent transactions): set DATABASE_URL"
)


def body(**overrides: Any) -> dict[str, Any]:
    return {
        "community": "T-1-1-1",
        "observed_at": OBSERVED.isoformat(),
        "readings": [{"indicator": "P01", "value": 3}],
        "source_reliability": "B",
        "information_credibility": 2,
        "narrative": "Leaflets at the market.",
        "source_reference": "Shop owner",
    } | overrides


def as_user(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def post(client: APIClient, payload: dict[str, Any], key: str) -> Any:
    return client.post(LIST, payload, format="json", HTTP_IDEMPOTENCY_KEY=key)


# --- Single reports ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_same_key_and_body_answer_the_first_report(cast):
    client = as_user(cast.analyst)
    first = post(client, body(), "gw-1")
    again = post(client, body(), "gw-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert FieldReport.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "change",
    [
        {"narrative": "Leaflets at the mosque."},
        {"readings": [{"indicator": "P01", "value": 4}]},
        {"observed_at": (OBSERVED - timedelta(minutes=1)).isoformat()},
        {"source_reference": "Another source"},
        {"source_reference": None},
        {"community": "T-1-1-2"},
        {"information_credibility": 3},
    ],
    ids=lambda change: next(iter(change)),
)
def test_the_same_key_with_a_different_body_is_a_422_and_the_first_report_stands(cast, change):
    client = as_user(cast.analyst)
    first = post(client, body(), "gw-2")
    refused = post(client, body(**change), "gw-2")
    assert refused.status_code == 422
    assert refused.json()["detail"].startswith(REUSED)
    assert f"report {first.json()['id']}" in refused.json()["detail"]
    report = FieldReport.objects.get()
    assert (report.pk, report.narrative, report.source_reference) == (
        first.json()["id"],
        "Leaflets at the market.",
        "Shop owner",
    )
    assert Reading.objects.get().value == 3


@pytest.mark.django_db
def test_the_same_request_spelt_differently_is_the_same_request(cast):
    client = as_user(cast.analyst)
    first = post(client, body(readings=[{"indicator": "P01", "value": 3}]), "gw-3")
    again = post(
        client,
        body(
            # The indicator by id, and the time in another zone: the same request.
            readings=[{"indicator": cast.indicator.pk, "value": 3.0}],
            observed_at=timezone.localtime(OBSERVED).isoformat(),
        ),
        "gw-3",
    )
    assert (first.status_code, again.status_code) == (201, 200)
    assert FieldReport.objects.count() == 1


@pytest.mark.django_db
def test_a_resend_after_a_secret_key_rotation_still_matches(cast, settings):
    client = as_user(cast.analyst)
    assert post(client, body(), "gw-4").status_code == 201
    with override_settings(SECRET_KEY="r" * 60, SECRET_KEY_FALLBACKS=[settings.SECRET_KEY]):
        assert post(client, body(), "gw-4").status_code == 200
        assert post(client, body(narrative="changed"), "gw-4").status_code == 422


@pytest.mark.django_db
def test_the_fingerprint_keeps_no_readable_trace_of_the_request(cast):
    post(as_user(cast.analyst), body(), "gw-5")
    fingerprint = FieldReport.objects.values_list("idempotency_fingerprint", flat=True).get()
    assert len(fingerprint) == 64
    assert "Shop" not in fingerprint and "Leaflets" not in fingerprint


@pytest.mark.django_db
def test_a_report_saved_before_fingerprints_answers_its_resend_as_before(cast):
    client = as_user(cast.analyst)
    first = post(client, body(), "gw-6")
    FieldReport.objects.update(idempotency_fingerprint=None)
    assert post(client, body(narrative="anything"), "gw-6").json()["id"] == first.json()["id"]


# --- The batch: per item -------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_batch_is_idempotent_per_item(cast):
    client = as_user(cast.analyst)
    items = [body(idempotency_key="b-1"), body(idempotency_key="b-2", narrative="Second.")]
    first = client.post(BATCH, {"reports": items}, format="json").json()
    assert [r["status"] for r in first["results"]] == [201, 201]
    resend = [items[0], body(idempotency_key="b-2", narrative="Changed."), body(idempotency_key="b-3")]
    again = client.post(BATCH, {"reports": resend}, format="json").json()
    assert [(r["status"], r["id"]) for r in again["results"]] == [
        (200, first["results"][0]["id"]),
        (422, None),
        (201, again["results"][2]["id"]),
    ]
    assert again["results"][1]["errors"]["idempotency_key"][0].startswith(REUSED)
    assert again["counts"] == {"created": 1, "duplicates": 1, "invalid": 1}
    assert FieldReport.objects.filter(narrative="Changed.").count() == 0
    assert FieldReport.objects.count() == 3


@pytest.mark.django_db
def test_a_batch_refuses_an_idempotency_key_header_rather_than_ignore_it(cast):
    response = as_user(cast.analyst).post(
        BATCH, {"reports": [body()]}, format="json", HTTP_IDEMPOTENCY_KEY="whole-batch"
    )
    assert response.status_code == 400
    assert "idempotency_key in each report" in response.json()["detail"]
    assert FieldReport.objects.count() == 0


# --- The form ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_form_sent_again_with_other_values_says_so_and_saves_nothing(cast, client):
    client.force_login(cast.analyst)
    data = {
        "community": cast.places["c1"].code,
        "observed_at": timezone.localtime(OBSERVED).strftime("%Y-%m-%dT%H:%M"),
        "reading_P01": "3",
        "source_reliability": "B",
        "information_credibility": "2",
        "narrative": "Leaflets at the market.",
        "idempotency_key": "0b0c5f1e-2d4e-4a7e-9c55-0d6b1f7a9e01",
    }
    assert client.post(NEW, data).status_code == 302
    assert client.post(NEW, data).status_code == 302  # a double click: the same report
    again = client.post(NEW, data | {"narrative": "Edited after going back."})
    report = FieldReport.objects.get()
    assert again.status_code == 400
    assert f"already sent with other values and saved as report #{report.pk}" in again.content.decode()
    assert report.narrative == "Leaflets at the market."


# --- Concurrency (PostgreSQL) --------------------------------------------------------------------


def in_thread(target: Any) -> threading.Thread:
    def run() -> None:
        try:
            target()
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_key_still_in_flight_is_a_409_then_the_first_report(cast):
    saving, release = threading.Event(), threading.Event()
    first: list[Any] = []

    def pause_before_the_readings(execute: Any, sql: str, *args: Any) -> Any:
        # The first request is writing its report and not committed: still being processed.
        if 'INSERT INTO "indicators_reading"' in sql:
            saving.set()
            assert release.wait(10)
        return execute(sql, *args)

    def first_request() -> None:
        with connection.execute_wrapper(pause_before_the_readings):
            first.append(post(as_user(cast.analyst), body(), "gw-7"))

    thread = in_thread(first_request)
    assert saving.wait(10)
    busy = post(as_user(cast.analyst), body(), "gw-7")
    assert busy.status_code == 409
    assert busy.json() == {"detail": IN_FLIGHT}
    release.set()
    thread.join(10)
    done = post(as_user(cast.analyst), body(), "gw-7")
    assert first[0].status_code == 201
    assert (done.status_code, done.json()["id"]) == (200, first[0].json()["id"])
    assert FieldReport.objects.count() == 1


def race(user: Any, key: str, payloads: list[dict[str, Any]]) -> list[int]:
    """The statuses of two requests with ``key`` sent at the same moment."""
    start = threading.Barrier(len(payloads))
    statuses: list[int] = []

    def send(payload: dict[str, Any]) -> None:
        start.wait(10)
        statuses.append(post(as_user(user), payload, key).status_code)

    threads = [in_thread(lambda p=p: send(p)) for p in payloads]
    for thread in threads:
        thread.join(20)
    return statuses


@requires_postgresql
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("second_body", ["same", "different"])
def test_two_concurrent_requests_with_one_key_make_one_report(cast, second_body):
    rounds = 8
    seen: set[int] = set()
    # One makes the report; the other is told it is a resend (200), a different request
    # (422), or that the first is still being saved (409): never a second report, never a 500.
    allowed = {201, 200, 409} if second_body == "same" else {201, 422, 409}
    for n in range(rounds):
        second = body() if second_body == "same" else body(narrative="Another report.")
        statuses = race(cast.analyst, f"race-{n}", [body(), second])
        assert len(statuses) == 2 and statuses.count(201) == 1, statuses
        assert set(statuses) <= allowed, statuses
        assert FieldReport.objects.filter(idempotency_key=f"race-{n}").count() == 1
        seen.update(statuses)
    print(f"\nstatuses seen over {rounds} races ({second_body} body): {sorted(seen)}")
    assert Reading.objects.count() == rounds


@requires_postgresql
@pytest.mark.django_db
def test_a_long_transaction_of_keyed_reports_does_not_fill_the_lock_table(cast):
    # The demo seed writes thousands of keyed reports in one transaction: a lock per key
    # held to its end would exhaust PostgreSQL's shared lock table (max_locks_per_transaction).
    client = as_user(cast.analyst)
    for n in range(20):
        assert post(client, body(narrative=f"Report {n}."), f"seed-{n}").status_code == 201
    with connection.cursor() as cursor:
        # This module's two-key locks (namespace 0x1DE0); the audit trail's chain lock, also
        # held to the end of the transaction, is one lock whatever the number of rows.
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() "
            "AND objsubid = 2 AND classid = %s",
            [0x1DE0],
        )
        assert cursor.fetchone() == (0,)
