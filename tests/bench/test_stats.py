"""The benchmark's arithmetic and its table (bench/stats.py): percentiles, rates, ratios."""

from __future__ import annotations

import pytest

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
