"""The benchmark's pure helpers, and the dashboard part's code path at a tiny size (the
bench itself runs with ``make bench``, not here; no timing is asserted)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.utils import timezone

from bench import dashboard, dashboard_seed
from bench.config import DEFAULTS, ConfigError, Sizes
from bench.environment import ServiceUnavailable, services_from_env
from bench.pipeline import arguments
from bench.stats import Row, format_table, percentile, rate
from ewers.models import Region
from indicators.models import Contribution, Reading, RiskAssessment


def test_it_interpolates_percentiles_between_closest_ranks():
    assert percentile([3.0], 95) == 3.0
    assert percentile([4.0, 1.0, 3.0, 2.0], 50) == 2.5
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0], 0) == 1.0
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0], 100) == 5.0
    assert percentile(list(map(float, range(1, 101))), 95) == pytest.approx(95.05)


@pytest.mark.parametrize(("values", "q"), [([], 50), ([1.0], -1), ([1.0], 101), ([1.0], float("nan"))])
def test_it_refuses_a_percentile_it_cannot_give(values, q):
    with pytest.raises(ValueError):
        percentile(values, q)


def test_it_gives_a_rate_only_for_a_timed_span():
    assert rate(300, 1.5) == 200
    assert rate(300, 0) == 0


def test_it_prints_each_figure_beside_its_baseline_with_the_ratio():
    rows = [
        Row("API ingest, single", 150.0, "reports/s", "raw insert", 15000.0),
        Row("commit -> alert p50", 40.0, "ms", "ping p50", 10.0),
        Row("scoring", None, "reports/s", "raw insert", 15000.0, note="the worker did not start"),
    ]
    lines = format_table(rows).splitlines()
    assert lines[0].split() == ["figure", "value", "unit", "baseline", "(same", "run)", "baseline", "ratio"]
    assert lines[2].endswith("0.01x")
    assert lines[3].endswith("4x")
    assert "n/a" in lines[4]
    assert lines[-1] == "  note: scoring: the worker did not start"
    assert rows[2].ratio is None


def test_it_sizes_the_run_from_the_scale_and_overrides():
    assert Sizes.from_env({}).batch == DEFAULTS["batch"]
    sizes = Sizes.from_env({"BENCH_SCALE": "0.5", "BENCH_ALERTS": "7"})
    assert sizes.readings == DEFAULTS["readings"] // 2
    assert sizes.alerts == 7
    # Never below what a meaningful run needs, and alert communities come on top.
    tiny = Sizes.from_env({"BENCH_SCALE": "0.0001", "BENCH_ALERTS": "50"})
    assert tiny.batch == 100
    assert tiny.communities >= 50 + 20


@pytest.mark.parametrize("env", [{"BENCH_SCALE": "0"}, {"BENCH_SCALE": "lots"}, {"BENCH_SINGLE": "1e3"}])
def test_it_names_a_malformed_size(env):
    with pytest.raises(ConfigError, match="BENCH_"):
        Sizes.from_env(env)


def test_it_never_takes_the_configured_database_itself():
    services = services_from_env(
        {"DATABASE_URL": "postgres://app:secret@db:5432/ewers", "REDIS_URL": "redis://cache:6379/0"}
    )
    assert services.database_url == "postgres://app:secret@db:5432/ewers_bench"
    assert services.redis_url == "redis://cache:6379/14"
    assert services.maintenance_dsn() == "postgres://app:secret@db:5432/postgres"
    assert services_from_env({}).database_url == "postgres://postgres@127.0.0.1:5432/ewers_bench"


@pytest.mark.parametrize(
    "env",
    [{"BENCH_DATABASE_URL": "postgres://postgres@127.0.0.1/ewers"}, {"BENCH_DATABASE_URL": "sqlite:///bench.db"}],
)
def test_it_refuses_a_database_it_may_not_drop(env):
    with pytest.raises(ServiceUnavailable):
        services_from_env(env)


def test_it_runs_one_part_when_asked():
    assert arguments(["--only", "dashboard"]).only == "dashboard"
    assert arguments([]).only is None
    with pytest.raises(SystemExit):
        arguments(["--only", "everything"])


def test_it_plans_a_country_parents_first_with_a_square_per_community():
    plan = dashboard_seed.places_plan("BZ", 45, lon=110.0, lat=5.0)
    levels = [p.level for p in plan]
    assert levels.count("community") == 45
    assert levels.count("district") == 3  # 20 per district
    assert levels.count("region") == 1
    assert len({p.code for p in plan}) == len(plan)
    seen = set()
    for place in plan:
        assert place.parent is None or place.parent in seen
        seen.add(place.code)
    ring = plan[-1].boundary["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) == 5


def test_it_starts_the_matrix_on_a_monday_eleven_weeks_back():
    since = dashboard.matrix_since(datetime(2024, 6, 13, 15, 30, tzinfo=UTC))  # a Thursday
    assert since == datetime(2024, 3, 25, tzinfo=UTC)


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
    table = format_table(dashboard.rows_make(results, sizes))
    assert "heatmap page, community p50" in table
    assert "heatmap API, district: SQL queries" in table


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
