"""Ingest through the API at its cost: a single report answered from what was written (the
same as a read of it), a batch and a CSV import written in a number of queries that does
not grow with their size, with one scoring task each."""

from __future__ import annotations

import gc
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ewers.versions import ROLLUPS, renewer
from indicators.models import FieldReport
from tests import factories
from tests.api import as_user, token_client
from tests.commits import tasks_queued
from tests.conftest import bulk_writes_only
from tests.indicators.conftest import csv_bytes

pytestmark = pytest.mark.django_db

LIST = reverse("api-report-list")
BATCH = reverse("api-report-batch")
IMPORT = reverse("api-report-import-csv")


def body(minutes: int = 0, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "community": "T-1-1-1",
        "observed_at": (timezone.now() - timedelta(hours=2, minutes=minutes)).isoformat(),
        "readings": [{"indicator": "P01", "value": 3}],
        "source_reliability": "B",
        "information_credibility": 2,
        "narrative": f"Leaflets at the market ({minutes}).",
    }
    values.update(overrides)
    return values


@pytest.mark.parametrize("role", ["analyst", "coordinator"])
def test_the_answer_to_a_new_report_is_what_a_read_of_it_shows(cast, role, django_capture_on_commit_callbacks):
    factories.make_indicator("A01", theme=cast.indicator.theme)
    user = getattr(cast, role)
    client = token_client(user)
    payload = body(
        community=cast.places["c1"].pk,
        readings=[{"indicator": "P01", "value": 2}, {"indicator": "A01", "value": 1.5}],
        source_reference="Shop owner",
        handling_level="coordinators",
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        created = client.post(LIST, payload, format="json")
    assert created.status_code == 201, created.content
    scoring = tasks_queued(callbacks)
    assert len(scoring) == 1
    # The rollups' version moves once on commit, however many reports (learning.kept).
    assert callbacks.count(renewer(ROLLUPS)) == 1
    answer = created.json()
    assert [r["indicator"] for r in answer["readings"]] == ["A01", "P01"]
    assert answer["source_reference"] == "Shop owner"
    assert answer["status"] == "received"
    assert client.get(reverse("api-report-detail", args=[answer["id"]])).json() == answer


def test_a_resend_with_its_key_is_answered_as_a_read_of_the_first(cast):
    client = token_client(cast.analyst)
    payload = body()
    first = client.post(LIST, payload, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    again = client.post(LIST, payload, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()


def batch_queries(client: Any, count: int, offset: int) -> int:
    payload = {"reports": [body(minutes=offset + 7 * n, idempotency_key=f"b{offset}-{n}") for n in range(count)]}
    with CaptureQueriesContext(connection) as captured:
        response = client.post(BATCH, payload, format="json")
    assert response.status_code == 200
    assert response.json()["counts"] == {"created": count, "duplicates": 0, "invalid": 0}
    return len(captured.captured_queries)


@bulk_writes_only
def test_a_batch_takes_as_many_queries_for_a_hundred_reports_as_for_two(cast):
    client = token_client(cast.analyst)
    assert batch_queries(client, 2, 0) == batch_queries(client, 100, 10_000)
    assert FieldReport.objects.count() == 102


def test_a_batch_queues_one_scoring_task(cast, django_capture_on_commit_callbacks):
    payload = {"reports": [body(minutes=7 * n) for n in range(4)] + [body(community="U-1-1-1")]}
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = as_user(cast.analyst).post(BATCH, payload, format="json")
    assert response.json()["counts"] == {"created": 4, "duplicates": 0, "invalid": 1}
    scoring = tasks_queued(callbacks)
    assert len(scoring) == 1
    # The rollups' version moves once on commit, however many reports (learning.kept).
    assert callbacks.count(renewer(ROLLUPS)) == 1
    assert set(FieldReport.objects.values_list("status", flat=True)) == {"scored"}


def test_a_batch_with_an_item_by_id_and_one_by_code_finds_both(cast):
    payload = {"reports": [body(community=cast.places["c2"].pk), body(minutes=9, community=" T-1-1-1 ")]}
    response = as_user(cast.analyst).post(BATCH, payload, format="json")
    assert [r["status"] for r in response.json()["results"]] == [201, 201]
    assert sorted(FieldReport.objects.values_list("community__code", flat=True)) == ["T-1-1-1", "T-1-1-2"]


def import_queries(client: Any, rows: int, offset: int) -> int:
    moment = timezone.now() - timedelta(hours=3)
    lines = [
        f"T-1-1-1,{(moment - timedelta(minutes=offset + 7 * n)).isoformat()},B,2,seen,,r{offset}-{n},{n % 4}"
        for n in range(rows)
    ]
    with CaptureQueriesContext(connection) as captured:
        response = client.post(IMPORT, csv_bytes(*lines), content_type="text/csv")
    assert response.status_code == 200, response.content
    assert response.json()["counts"]["created"] == rows
    return len(captured.captured_queries)


@bulk_writes_only
def test_a_csv_import_takes_as_many_queries_for_many_rows_as_for_few(cast, django_capture_on_commit_callbacks):
    client = token_client(cast.analyst)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        few = import_queries(client, 2, 0)
        many = import_queries(client, 80, 10_000)
    assert few == many
    # One task per import (and the rollups' version moved once: one test transaction).
    assert len(tasks_queued(callbacks)) == 2


def test_the_import_answer_is_what_its_serializer_would_write():
    from indicators.api.serializers import ImportResultSerializer, import_result_data
    from indicators.csv_import import ImportCounts, ImportResult, RowResult

    result = ImportResult(
        rows=[
            RowResult(line=2, ok=True, report_id=41, created=True),
            RowResult(line=3, ok=True, report_id=17),
            RowResult(line=5, ok=False, errors={"observed_at": ["No zone."], "P01": ["x is not a number.", "Twice."]}),
        ],
        counts=ImportCounts(total=3, valid=2, invalid=1, created=1, duplicates=1),
        dry_run=False,
    )
    assert import_result_data(result) == ImportResultSerializer(result).data
    assert list(import_result_data(result)) == list(ImportResultSerializer(result).data)


def test_the_garbage_collector_runs_again_after_a_batch_or_an_import_whatever_the_answer(cast):
    # Both pause the cyclic collector while they build their rows (ewers.runtime.collector_paused).
    client = token_client(cast.analyst)
    assert client.post(BATCH, {"reports": [body()]}, format="json").status_code == 200
    assert gc.isenabled()
    assert client.post(BATCH, {"reports": "none"}, format="json").status_code == 400
    assert gc.isenabled()
    assert (
        client.post(
            IMPORT, csv_bytes(f"T-1-1-1,{timezone.now().isoformat()},B,2,seen,,r1,1"), content_type="text/csv"
        ).status_code
        == 200
    )
    assert gc.isenabled()
    assert client.post(IMPORT, b"not,a,header\n", content_type="text/csv").status_code == 400
    assert gc.isenabled()
