"""The pipeline benchmark's figures: what a run measured (``Figures``), its table rows
beside their baselines, and the flat JSON of ``--json`` (bench.goals)."""

from __future__ import annotations

from dataclasses import dataclass

from bench.config import BATCH_SIZE, Sizes
from bench.goals import ratio
from bench.ingest import CSV_FILE_ROWS
from bench.loadtest import FEED_RATE
from bench.stats import Row, percentile, rate
from bench.worker import WORKER_CONCURRENCY


def per_second(count: int, seconds: float | None) -> float | None:
    """A rate, or None for a step that did not run."""
    return rate(count, seconds) if seconds else None


def pct(values: list[float] | None, q: float) -> float | None:
    """A percentile, or None for samples not taken."""
    return percentile(values, q) if values else None


@dataclass
class Figures:
    single_seconds: float | None = None
    bare_seconds: float | None = None  # the bare DRF endpoint, as many reports as single
    batch_seconds: float | None = None
    # The batch in rounds, each with a run of the raw insert: (reports, batch seconds, raw
    # seconds of ``raw_count`` rows) a round (``measure.batch_paired``).
    batch_rounds: list[tuple[int, float, float]] | None = None
    csv_seconds: float | None = None  # as many reports as batch, imported as CSV files
    raw_seconds: float | None = None  # committed (the yardstick)
    raw_rolled_back_seconds: float | None = None  # rolled back: no commit, no deferred foreign-key checks
    scoring_seconds: float | None = None  # the raw insert's rows, saved again and scored
    # The untimed first pass over the ingest steps' reports: (reports, seconds).
    first_pass: tuple[int, float] | None = None
    # A smaller burst scored after the goal's sample: (reports, seconds).
    burst: tuple[int, float] | None = None
    scoring_note: str = ""
    api_note: str = ""
    alert_ms: list[float] | None = None
    ping_ms: list[float] | None = None
    # The same samples while a feeder posts reports over HTTP (bench.loadtest.Feeder).
    alert_load_ms: list[float] | None = None
    feed_rate: float | None = None  # reports a second the feeder achieved
    feed_note: str = ""


SCORING_WARM_UP_NOTE = (
    "not a goal: the ingest steps' reports, scored before the figure above while each community's carried "
    "sums are rebuilt from its window (the seed wrote its history without them) and its history's alerts open"
)


BURST = 600  # the smaller scoring sample, beside the goal's (the bench's only sample before 12-06's third session)
SCORING_BURST_NOTE = (
    "not a goal: fewer reports a community than the raw insert's rows, so more of each batch is per-community "
    'work (docs/performance.md, "What a backlog\'s size does")'
)


def first_pass_rate(figures: Figures) -> float | None:
    return per_second(*figures.first_pass) if figures.first_pass else None


def burst_rate(figures: Figures) -> float | None:
    return per_second(*figures.burst) if figures.burst else None


def batch_round_ratios(figures: Figures, raw_count: int) -> list[float]:
    """Each batch round's rate over its own raw insert's (``Figures.batch_rounds``)."""
    return [(reports / seconds) / (raw_count / raw) for reports, seconds, raw in figures.batch_rounds or []]


def _median_round(figures: Figures, raw_count: int) -> tuple[float, tuple[int, float, float]] | None:
    """(ratio, round) of the round whose ratio is the median (the lower one of an even
    number): the goal's."""
    rounds = sorted(zip(batch_round_ratios(figures, raw_count), figures.batch_rounds or [], strict=True))
    return rounds[(len(rounds) - 1) // 2] if rounds else None


def batch_median_round(figures: Figures, raw_count: int) -> tuple[int, float, float] | None:
    """The median round (``_median_round``): its reports, batch seconds and raw seconds."""
    median = _median_round(figures, raw_count)
    return median[1] if median else None


def batch_median_ratio(figures: Figures, raw_count: int) -> float | None:
    """The median round's ratio: ``ingest_batch_ratio``."""
    median = _median_round(figures, raw_count)
    return median[0] if median else None


def rows_make(figures: Figures, sizes: Sizes, raw_count: int) -> list[Row]:
    raw = ("raw PG insert, same rows", per_second(raw_count, figures.raw_seconds))
    rolled_back = ("raw PG insert, rolled back", per_second(raw_count, figures.raw_rolled_back_seconds))
    single = ("API ingest, single", per_second(sizes.single, figures.single_seconds))
    batch = (f"API ingest, batch of {BATCH_SIZE}", per_second(sizes.batch, figures.batch_seconds))
    csv_import = (f"CSV import, files of up to {CSV_FILE_ROWS:,} rows", per_second(sizes.batch, figures.csv_seconds))
    scoring = (f"scoring, worker -c {WORKER_CONCURRENCY}", per_second(raw_count, figures.scoring_seconds))
    burst = (f"scoring, a burst of {BURST}", burst_rate(figures))
    first_pass = ("scoring, first pass after the seed", first_pass_rate(figures))
    bare = ("bare DRF endpoint, same rows", per_second(sizes.single, figures.bare_seconds))
    median = batch_median_round(figures, raw_count)
    rounds = len(figures.batch_rounds or [])
    paired = (
        (f"API ingest, batch of {BATCH_SIZE}, median round", per_second(*median[:2]) if median else None),
        (f"raw PG insert in that round (of {rounds})", per_second(raw_count, median[2]) if median else None),
    )
    ratios = ", ".join(f"{r:.3f}" for r in sorted(batch_round_ratios(figures, raw_count)))
    # (figure, baseline, note): every rate in reports/s.
    rates = [
        (single, bare, figures.api_note),
        (single, raw, ""),
        (*paired, f"the goal's ratio; the rounds' ratios: {ratios}" if ratios else ""),
        (batch, raw, "all rounds, beside the raw insert's median run (not paired)"),
        (csv_import, raw, ""),
        (batch, rolled_back, ""),
        (csv_import, rolled_back, ""),
        (scoring, raw, figures.scoring_note),
        (burst, raw, SCORING_BURST_NOTE),
        (first_pass, raw, SCORING_WARM_UP_NOTE),
    ]
    rows = [Row(name, value, "reports/s", base, base_value, note) for (name, value), (base, base_value), note in rates]
    # The alert samples, idle then while reports arrive, beside the idle round trip's.
    for samples, arriving, note in ((figures.alert_ms, "", ""), (figures.alert_load_ms, "arriving", figures.feed_note)):
        for q in (50, 95):
            name = f"commit -> alert p{q}" + (f", {FEED_RATE} reports/s arriving" if arriving else "")
            base = f"trivial task round trip p{q}" + (" (idle)" if arriving else "")
            rows.append(Row(name, pct(samples, q), "ms", base, pct(figures.ping_ms, q), note if q == 95 else ""))
    return rows


def flat_figures(figures: Figures, sizes: Sizes) -> dict[str, float | None]:
    """The pipeline's figures for ``--json`` (bench.goals): rates, ratios, latencies."""

    raw = per_second(sizes.single + sizes.batch, figures.raw_seconds)
    rolled_back = per_second(sizes.single + sizes.batch, figures.raw_rolled_back_seconds)
    single = per_second(sizes.single, figures.single_seconds)
    batch = per_second(sizes.batch, figures.batch_seconds)
    csv_import = per_second(sizes.batch, figures.csv_seconds)
    scoring = per_second(sizes.single + sizes.batch, figures.scoring_seconds)
    first_pass = first_pass_rate(figures)
    round_ratios = sorted(batch_round_ratios(figures, sizes.single + sizes.batch))
    bare = per_second(sizes.single, figures.bare_seconds)
    return {
        "raw_insert_per_s": raw,
        "ingest_bare_per_s": bare,
        "ingest_single_per_s": single,
        "ingest_single_ratio": ratio(single, bare),
        "ingest_single_raw_ratio": ratio(single, raw),
        "ingest_batch_per_s": batch,
        # The median of the paired rounds (``measure.batch_paired``); all rounds' rate over
        # the raw insert's median run beside it.
        "ingest_batch_ratio": batch_median_ratio(figures, sizes.single + sizes.batch),
        "ingest_batch_unpaired_ratio": ratio(batch, raw),
        "ingest_batch_round_ratio_min": round_ratios[0] if round_ratios else None,
        "ingest_batch_round_ratio_max": round_ratios[-1] if round_ratios else None,
        "ingest_csv_per_s": csv_import,
        "ingest_csv_ratio": ratio(csv_import, raw),
        "raw_insert_rolled_back_per_s": rolled_back,
        "ingest_batch_rolled_back_ratio": ratio(batch, rolled_back),
        "ingest_csv_rolled_back_ratio": ratio(csv_import, rolled_back),
        "scoring_per_s": scoring,
        "scoring_ratio": ratio(scoring, raw),
        "scoring_burst_per_s": burst_rate(figures),
        "scoring_burst_ratio": ratio(burst_rate(figures), raw),
        "scoring_first_pass_per_s": first_pass,
        "scoring_first_pass_ratio": ratio(first_pass, raw),
        "ping_p50_ms": pct(figures.ping_ms, 50),
        "ping_p95_ms": pct(figures.ping_ms, 95),
        "alert_idle_p50_ms": pct(figures.alert_ms, 50),
        "alert_idle_p95_ms": pct(figures.alert_ms, 95),
        "alert_idle_p95_ratio": ratio(pct(figures.alert_ms, 95), pct(figures.ping_ms, 95)),
        # The goal's figure: while reports keep arriving, against the idle round trip.
        "alert_p50_ms": pct(figures.alert_load_ms, 50),
        "alert_p95_ms": pct(figures.alert_load_ms, 95),
        "alert_p95_ratio": ratio(pct(figures.alert_load_ms, 95), pct(figures.ping_ms, 95)),
        "alert_feed_reports_per_s": figures.feed_rate,
    }
