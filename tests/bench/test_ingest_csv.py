"""The bench's CSV import figure (bench/ingest.py): the reports go through the product's
import endpoint as files an analyst would write, and every row must be saved. No timing
is asserted."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from bench import ingest
from bench.config import BenchError
from ewers.services import api_token_issue
from indicators.models import FieldReport, Reading
from tests import factories


def payload(cast, n: int, *, readings: list[dict] | None = None) -> dict:
    return {
        "community": cast.places["c1"].code,
        "observed_at": (timezone.now() - timedelta(hours=1, minutes=7 * n)).isoformat(),
        "readings": readings or [{"indicator": cast.indicator.code, "value": n % 4}],
        "source_reliability": "B",
        "information_credibility": 2,
        "narrative": f"Bench visit {n}, with a comma.",
    }


def test_it_writes_one_file_per_thousand_rows_with_a_column_per_indicator_read(cast, monkeypatch):
    monkeypatch.setattr(ingest, "CSV_FILE_ROWS", 2)
    payloads = [payload(cast, n) for n in range(3)]
    payloads[1]["readings"] = [{"indicator": "A01", "value": 1.5}]
    files = ingest.csv_files(payloads)
    assert len(files) == 2
    header, first, second = files[0].decode().splitlines()
    assert header == "community,observed_at,source_reliability,information_credibility,narrative,A01,P01"
    assert first.endswith('"Bench visit 0, with a comma.",,0')
    assert second.endswith('"Bench visit 1, with a comma.",1.5,')


@pytest.mark.django_db
def test_it_imports_every_row_through_the_import_endpoint(cast):
    factories.make_indicator("A01", theme=cast.indicator.theme)
    _token, key = api_token_issue(user=cast.analyst)
    payloads = [payload(cast, n) for n in range(5)]
    payloads[2]["readings"] = [{"indicator": "A01", "value": 2}, {"indicator": "P01", "value": 1}]
    seconds = ingest.ingest_csv(key, payloads)
    assert seconds >= 0
    reports = FieldReport.objects.filter(narrative__startswith="Bench visit")
    assert reports.count() == 5
    assert set(reports.values_list("created_by", "community")) == {(cast.analyst.pk, cast.places["c1"].pk)}
    assert Reading.objects.filter(report__in=reports).count() == 6


@pytest.mark.django_db
def test_it_fails_the_figure_when_a_row_is_not_saved(cast):
    _token, key = api_token_issue(user=cast.analyst)
    payloads = [payload(cast, n) for n in range(3)]
    payloads[1]["community"] = "nowhere"
    with pytest.raises(BenchError, match="3 rows sent but 2 reports written"):
        ingest.ingest_csv(key, payloads)
