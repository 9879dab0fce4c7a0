"""The bare DRF endpoint the bench compares single ingest with (bench/bare.py): it writes
the same rows as the product's endpoint (the report and its readings), mounted only while
the bench measures it. No timing is asserted."""

from __future__ import annotations

import pytest
from django.utils import timezone

from bench import ingest
from bench.bare import BARE_URL
from bench.config import BenchError
from ewers.services import api_token_issue
from indicators.models import FieldReport, Reading


def payload(cast, n: int) -> dict:
    return {
        "community": cast.places["c1"].code,
        "observed_at": timezone.now().isoformat(),
        "readings": [{"indicator": cast.indicator.code, "value": 3}],
        "source_reliability": "B",
        "information_credibility": 2,
        "narrative": f"Bench visit {n}.",
    }


def test_it_writes_the_same_rows_through_the_bare_endpoint(cast):
    _token, key = api_token_issue(user=cast.analyst)
    payloads = [payload(cast, n) for n in range(ingest.WARM_UP_REPORTS + 3)]
    seconds = ingest.ingest_bare(key, payloads)
    assert seconds >= 0
    reports = FieldReport.objects.filter(narrative__startswith="Bench visit")
    assert reports.count() == len(payloads)
    report = reports.first()
    assert (report.created_by, report.organisation, report.community) == (
        cast.analyst,
        cast.analyst.organisation,
        cast.places["c1"],
    )
    assert Reading.objects.filter(report__in=reports).count() == len(payloads)


def test_it_fails_the_figure_when_the_bare_endpoint_refuses(cast, client):
    _token, key = api_token_issue(user=cast.analyst)
    bad = [payload(cast, n) for n in range(ingest.WARM_UP_REPORTS + 1)]
    bad[-1]["community"] = "nowhere"
    with pytest.raises(BenchError, match="400"):
        ingest.ingest_bare(key, bad)
    # Mounted only while measured: the product has no such URL.
    assert client.post(BARE_URL, {}).status_code == 404
