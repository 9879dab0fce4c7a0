"""The pipeline benchmark: ingest, scoring and commit → alert latency, each beside a
baseline (``measure``: the run; ``figures``: its table and its JSON)."""

from bench.pipeline.figures import Figures, flat_figures, rows_make
from bench.pipeline.measure import header_lines, measure, setup

__all__ = ["Figures", "flat_figures", "header_lines", "measure", "rows_make", "setup"]
