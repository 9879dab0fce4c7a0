"""The goals of issue 13 and the flat JSON of a run's figures (bench/goals.py), the
pipeline's figures for it (bench/pipeline/figures.py) and locust's statistics (bench/loadtest.py)."""

from __future__ import annotations

import json
import math

import pytest

from bench.config import BenchError, Sizes
from bench.goals import HTTP_KEYS, PART_OF, figures_clean, goals_missed, json_write, ratio
from bench.loadtest import free_port, locust_stats
from bench.pipeline import Figures, flat_figures
from bench.pipeline.figures import rows_make
from bench.run import PARTS

MET = {
    "ingest_single_ratio": 0.7,
    "ingest_batch_ratio": 0.5,
    "ingest_csv_ratio": 0.55,
    "scoring_ratio": 0.45,
    "alert_p95_ms": 40.0,
    "alert_p95_ratio": 4.0,
    "heatmap_page_p95_ms": 120.0,
    "heatmap_api_p95_ms": 50.0,
    "heatmap_queries_growth": 0,
    "community_page_p95_ms": 90.0,
    "http_reports_per_s": 150.0,
    "http_reports_p95_ms": 80.0,
    "http_heatmap_per_s": 60.0,
    "http_heatmap_p95_ms": 140.0,
}


def test_it_finds_no_goal_missed_when_every_figure_meets_its_goal():
    assert goals_missed(MET, PARTS) == []


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("ingest_single_ratio", 0.59),
        ("ingest_batch_ratio", 0.2),
        ("ingest_csv_ratio", 0.49),
        ("scoring_ratio", 0.003),
        ("alert_p95_ms", 50.5),
        ("alert_p95_ratio", 5.1),
        ("heatmap_page_p95_ms", 316.0),
        ("heatmap_api_p95_ms", 51.0),
        ("heatmap_queries_growth", 3),
        ("community_page_p95_ms", 101.0),
    ],
)
def test_it_names_the_goal_a_figure_misses(key, value):
    missed = goals_missed({**MET, key: value}, PARTS)
    assert len(missed) == 1
    assert key in missed[0]


def test_a_figure_its_part_should_have_given_is_a_miss():
    figures = {k: v for k, v in MET.items() if k not in ("scoring_ratio", "http_reports_per_s")}
    missed = goals_missed(figures, PARTS)
    assert any("scoring_ratio not measured" in line for line in missed)
    assert any("http_reports_per_s not measured" in line for line in missed)
    assert len(missed) == 2


def test_the_goals_of_a_part_that_did_not_run_are_left_out():
    pipeline_only = {k: v for k, v in MET.items() if PART_OF.get(k) == "pipeline"}
    assert len(pipeline_only) == 6
    assert goals_missed(pipeline_only, ["pipeline"]) == []
    assert len(goals_missed({}, ["dashboard"])) == 4


def test_an_http_figure_of_zero_is_not_measured():
    missed = goals_missed({**MET, "http_heatmap_per_s": 0.0}, PARTS)
    assert missed == ["over real HTTP: http_heatmap_per_s not measured"]
    assert set(HTTP_KEYS) <= set(MET)


def test_it_writes_a_flat_object_of_numbers_only(tmp_path):
    target = tmp_path / "out" / "bench.json"
    written = json_write(
        target, {"b_ms": 12.345678, "a_rows": 3, "missing": None, "nan": math.nan, "inf": math.inf, "flag": True}
    )
    data = json.loads(target.read_text())
    assert data == written == {"a_rows": 3, "b_ms": 12.3457}
    assert list(data) == ["a_rows", "b_ms"]
    assert all(isinstance(v, int | float) and not isinstance(v, bool) for v in data.values())
    # No temporary file left beside it.
    assert [p.name for p in target.parent.iterdir()] == ["bench.json"]


def test_it_keeps_whole_numbers_whole():
    assert figures_clean({"rows": 1_000_000, "mb": 81.25}) == {"mb": 81.25, "rows": 1_000_000}


def test_a_ratio_needs_both_figures_and_a_baseline():
    assert ratio(30.0, 60.0) == 0.5
    assert ratio(None, 60.0) is None
    assert ratio(30.0, None) is None
    assert ratio(30.0, 0.0) is None


def test_the_pipeline_figures_give_the_goals_their_keys():
    sizes = Sizes.from_env({"BENCH_SCALE": "0.2"})
    raw = sizes.single + sizes.batch
    figures = Figures(
        single_seconds=sizes.single / 40,
        bare_seconds=sizes.single / 80,
        batch_seconds=sizes.batch / 100,
        # Rounds of 100 reports at 100/s, 200/s and 50/s, each beside a raw insert at 10,000/s.
        batch_rounds=[(100, 1.0, raw / 10_000), (100, 0.5, raw / 10_000), (100, 2.0, raw / 10_000)],
        csv_seconds=sizes.batch / 200,
        raw_seconds=(sizes.single + sizes.batch) / 10_000,
        scoring_seconds=(sizes.single + sizes.batch) / 50,
        first_pass=(1_000, 2.0),
        burst=(600, 3.0),
        alert_ms=[10.0, 20.0],
        ping_ms=[5.0, 10.0],
        alert_load_ms=[30.0, 50.0],
        feed_rate=99.0,
    )
    flat = flat_figures(figures, sizes)
    assert flat["ingest_single_ratio"] == pytest.approx(0.5)
    # The batch's goal: the median of its rounds, each over the raw insert that followed it.
    assert flat["ingest_batch_ratio"] == pytest.approx(0.01)
    assert flat["ingest_batch_round_ratio_min"] == pytest.approx(0.005)
    assert flat["ingest_batch_round_ratio_max"] == pytest.approx(0.02)
    assert flat["ingest_batch_unpaired_ratio"] == pytest.approx(0.01)
    rows = {row.name: row for row in rows_make(figures, sizes, raw)}
    assert rows["API ingest, batch of 100, median round"].ratio == pytest.approx(0.01)
    assert flat["ingest_csv_per_s"] == pytest.approx(200)
    assert flat["ingest_csv_ratio"] == pytest.approx(0.02)
    assert flat["scoring_ratio"] == pytest.approx(0.005)
    assert flat["scoring_first_pass_per_s"] == pytest.approx(500)
    assert flat["scoring_burst_per_s"] == pytest.approx(200)
    assert flat["scoring_burst_ratio"] == pytest.approx(0.02)
    assert flat["scoring_first_pass_ratio"] == pytest.approx(0.05)
    assert flat["alert_p95_ms"] == pytest.approx(49.0)
    assert flat["alert_p95_ratio"] == pytest.approx(49.0 / 9.75)
    assert flat["alert_idle_p95_ms"] == pytest.approx(19.5)
    # Nothing measured: every figure None, and so "not measured" for the goals.
    empty = flat_figures(Figures(), sizes)
    assert {k for k, v in empty.items() if v is not None} == set()


STATS_HEADER = (  # noqa: SIM905 - locust's header, as it writes it
    "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,Min Response Time,"
    "Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%"
).split(",")


def _row(name: str, count: str, failures: str, per_s: str, p50: str, p95: str) -> dict[str, str]:
    values = ["POST", name, count, failures, p50, "30", "5", "400", "120", per_s, "0", p50]
    values += ["40", "45", "50", "60", p95, "150", "200", "300", "400", "400"]
    return dict(zip(STATS_HEADER, values, strict=True))


def test_it_reads_locust_statistics_of_one_request():
    rows = [
        _row("POST /api/v1/reports/", "2400", "0", "120.5", "25", "95"),
        _row("Aggregated", "1", "0", "1", "1", "1"),
    ]
    load = locust_stats(rows, "POST /api/v1/reports/")
    assert (load.requests, load.failures, load.per_second, load.p50_ms, load.p95_ms) == (2400, 0, 120.5, 25.0, 95.0)


def test_it_says_when_locust_reported_nothing_readable():
    with pytest.raises(BenchError, match="no GET"):
        locust_stats([_row("Aggregated", "1", "0", "1", "1", "1")], "GET /api/v1/heatmap/")
    broken = _row("GET /api/v1/heatmap/", "many", "0", "1", "1", "1")
    with pytest.raises(BenchError, match="unreadable"):
        locust_stats([broken], "GET /api/v1/heatmap/")


def test_it_binds_the_load_test_to_a_free_loopback_port():
    port = free_port()
    assert 1024 < port < 65536
