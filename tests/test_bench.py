"""The benchmark's pure helpers (the bench itself runs with ``make bench``, not here)."""

from __future__ import annotations

import pytest

from bench.config import DEFAULTS, ConfigError, Sizes
from bench.environment import ServiceUnavailable, services_from_env
from bench.stats import Row, format_table, percentile, rate


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
