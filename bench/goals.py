"""The goals of issue 13 against one run's figures, and the flat JSON of those figures
(``python -m bench --json FILE``). Pure: no Django, no services."""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

AT_LEAST, AT_MOST = ">=", "<="


@dataclass(frozen=True)
class Goal:
    key: str  # the figure's key in the JSON
    op: str  # AT_LEAST or AT_MOST
    limit: float
    what: str

    def met(self, value: float) -> bool:
        return value >= self.limit if self.op == AT_LEAST else value <= self.limit

    def describe(self, value: float) -> str:
        return f"{self.what}: {self.key} = {value:.3g}, goal {self.op} {self.limit:g}"


# The goals table of issue 13 ("ratios in one make bench run"); the HTTP row asks for
# figures, not a level (``HTTP_KEYS``).
GOALS: tuple[Goal, ...] = (
    Goal("ingest_single_ratio", AT_LEAST, 0.6, "single ingest vs the bare DRF endpoint"),
    Goal("ingest_batch_ratio", AT_LEAST, 0.5, "batch ingest (100 a request) vs the raw insert"),
    Goal("ingest_csv_ratio", AT_LEAST, 0.5, "CSV import vs the raw insert"),
    Goal("scoring_ratio", AT_LEAST, 0.4, "scoring throughput (real worker) vs the raw insert"),
    Goal("alert_p95_ms", AT_MOST, 50, "commit -> alert p95 while 100 reports/s arrive"),
    Goal("alert_p95_ratio", AT_MOST, 5, "commit -> alert p95 vs the trivial task round trip"),
    Goal("heatmap_page_p95_ms", AT_MOST, 150, "heatmap page p95"),
    Goal("heatmap_api_p95_ms", AT_MOST, 50, "heatmap API p95"),
    Goal("heatmap_queries_growth", AT_MOST, 0, "heatmap queries constant in the number of communities"),
    Goal("community_page_p95_ms", AT_MOST, 100, "community page p95"),
)
# The HTTP row: measured (present and above 0) is the goal.
HTTP_KEYS = ("http_reports_per_s", "http_reports_p95_ms", "http_heatmap_per_s", "http_heatmap_p95_ms")
# Which part of the bench gives each figure: a part that did not run is not a miss.
PIPELINE_KEYS = frozenset(
    {
        "ingest_single_ratio",
        "ingest_batch_ratio",
        "ingest_csv_ratio",
        "scoring_ratio",
        "alert_p95_ms",
        "alert_p95_ratio",
    }
)
PART_OF = {
    **{g.key: "pipeline" if g.key in PIPELINE_KEYS else "dashboard" for g in GOALS},
    **dict.fromkeys(HTTP_KEYS, "http"),
}


def goals_missed(figures: Mapping[str, float], parts: tuple[str, ...] | list[str]) -> list[str]:
    """One line per goal missed: a figure beyond its limit, or one its part should have
    given and did not (a failed step). Goals of parts that did not run are left out."""
    missed: list[str] = []
    for goal in GOALS:
        if PART_OF[goal.key] not in parts:
            continue
        value = figures.get(goal.key)
        if value is None:
            missed.append(f"{goal.what}: {goal.key} not measured")
        elif not goal.met(value):
            missed.append(goal.describe(value))
    if "http" in parts:
        for key in HTTP_KEYS:
            value = figures.get(key)
            if value is None or not value > 0:
                missed.append(f"over real HTTP: {key} not measured")
    return missed


def figures_clean(figures: Mapping[str, float | int | None]) -> dict[str, float]:
    """Only the figures that are numbers (no None, NaN or infinity), keys sorted; whole
    numbers stay whole."""
    clean: dict[str, float] = {}
    for key in sorted(figures):
        value = figures[key]
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, int):
            clean[key] = value
        elif isinstance(value, float) and math.isfinite(value):
            clean[key] = round(value, 4)
    return clean


def json_write(path: str | Path, figures: Mapping[str, float | int | None]) -> dict[str, float]:
    """Write the flat JSON object of the figures to ``path`` (whole, or not at all: a
    temporary file beside it, then renamed); returns what was written."""
    clean = figures_clean(figures)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=target.name, suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(clean, out, indent=2, sort_keys=True)
            out.write("\n")
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return clean


def ratio(value: float | None, baseline: float | None) -> float | None:
    """value ÷ baseline, None when either is missing or the baseline is 0."""
    if value is None or not baseline:
        return None
    return value / baseline
