"""The dashboard part of the benchmark (bench/dashboard.py): its code path at a tiny size (the
bench itself runs with ``make bench``, not here; no timing is asserted) and its check of
the API's numbers against the baseline."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from bench import dashboard, dashboard_seed
from bench.config import Sizes
from bench.stats import format_table
from ewers.models import Region
from indicators.models import Contribution, CurrentRisk, Reading, RiskAssessment
from indicators.services import risk_recompute


def test_it_starts_the_matrix_on_a_monday_eleven_weeks_back():
    kl = ZoneInfo("Asia/Kuala_Lumpur")
    since = dashboard.matrix_since(datetime(2024, 6, 13, 15, 30, tzinfo=UTC), kl)  # a Thursday
    assert since == datetime(2024, 3, 25, tzinfo=kl)
    # Sunday 23:30 UTC is already Monday in Kuala Lumpur: the window moves a week on.
    assert dashboard.matrix_since(datetime(2024, 6, 16, 23, 30, tzinfo=UTC), kl) == datetime(2024, 4, 1, tzinfo=kl)


@pytest.mark.django_db
def test_it_runs_the_dashboard_bench_at_a_tiny_size():
    sizes = Sizes.from_env(
        {
            "BENCH_DASHBOARD_COMMUNITIES": "30",
            "BENCH_DASHBOARD_SMALL": "10",
            "BENCH_DASHBOARD_READINGS": "400",
            "BENCH_DASHBOARD_REQUESTS": "5",
        }
    )
    now = timezone.now()
    large, small = dashboard.seed(sizes, now=now)
    communities = Region.objects.filter(country=large.country, level="community")
    assert communities.count() == 30
    assert Reading.objects.filter(report__community__country=large.country).count() == 400
    assert RiskAssessment.objects.filter(community__country=large.country).count() == 30 * dashboard_seed.DAYS
    # The precomputed risk was rebuilt after the COPY: one row per community, as a recompute gives.
    assert CurrentRisk.objects.filter(community__country=large.country).count() == 30
    kept = sorted(CurrentRisk.objects.values_list("community_id", "assessment_id", "score", "weekly"))
    assert kept == sorted((r.community_id, r.assessment_id, r.score, r.weekly) for r in risk_recompute())
    assert Contribution.objects.filter(assessment__community__country=large.country).exists()
    assert small.communities == 10

    results = dashboard.Results(large=large, small=small)
    dashboard.measure(results, requests=sizes.dashboard_requests, now=now, connect=None)

    assert results.failures == []
    # The API's numbers agreed with the baseline's (the raw SQL on PostgreSQL, the Python
    # reference elsewhere) for every checked area of both levels and sizes.
    assert results.checked > 0
    for kind in ("page", "api"):
        for level in dashboard.LEVELS:
            large_series = results.series["large", kind, level]
            assert len(large_series.ms) == 5
            assert large_series.queries == results.series["small", kind, level].queries
    # The community page of each country's highest community, in as many queries at both sizes.
    community = results.series["large", "page", dashboard.COMMUNITY]
    assert len(community.ms) == 5
    assert community.queries == results.series["small", "page", dashboard.COMMUNITY].queries
    # The pages again with nothing kept (surges, silence and forecasts computed every time).
    figures = dashboard.flat_figures(results, sizes)
    for level in dashboard.LEVELS:
        fresh = results.series["large", "fresh", level]
        assert len(fresh.ms) == 5
        assert figures[f"heatmap_page_{level}_fresh_p95_ms"] == fresh.p(95)
    table = format_table(dashboard.rows_make(results, sizes))
    assert "heatmap page, community p50" in table
    assert "heatmap page, district, nothing kept p95" in table
    assert "heatmap API, district: SQL queries" in table
    assert "community page p95" in table and "community page: SQL queries" in table


def test_it_refuses_a_heatmap_whose_numbers_differ_from_the_baseline():
    week = datetime(2024, 6, 10, tzinfo=UTC).date()
    expected = {("score", 1, None): 40.0, ("cell", 1, week): 55.0}
    payload = {
        "areas": [{"code": "A", "score": 40.0}],
        "matrix": {"areas": ["A"], "weeks": ["2024-06-10"], "values": [[55.0]]},
    }
    agreement = dashboard.Agreement(expected, "API")
    dashboard.api_check(payload, agreement, {"A": 1})
    assert agreement.agreed == 2
    payload["matrix"]["values"] = [[57.0]]
    with pytest.raises(dashboard.DashboardError, match="the cell A"):
        dashboard.api_check(payload, dashboard.Agreement(expected, "API"), {"A": 1})
    payload["areas"][0]["score"] = None
    with pytest.raises(dashboard.DashboardError, match="the score of A"):
        dashboard.api_check(payload, dashboard.Agreement(expected, "API"), {"A": 1})
