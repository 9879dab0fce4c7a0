"""Helpers of the benchmark: percentiles, rates, the printed table and progress on stderr."""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0–100) with linear interpolation between closest ranks.

    The same definition as numpy's default, so p50 of an even count is the mean of the
    middle pair. Raises ValueError on no values or a ``q`` outside 0–100.
    """
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= q <= 100 or math.isnan(q):
        raise ValueError(f"percentile must be within 0-100, got {q}")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def rate(count: int, seconds: float) -> float:
    """Items per second; 0 when nothing was timed."""
    return count / seconds if seconds > 0 else 0.0


@dataclass(frozen=True)
class Row:
    """One line of the table: a figure beside the baseline measured in the same run."""

    name: str
    value: float | None  # None: not measured (the reason goes in ``note``)
    unit: str
    baseline_name: str
    baseline: float | None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        """Figure ÷ baseline: for a rate, the share of the baseline's speed; for a
        latency, how many times the baseline's time."""
        if self.value is None or not self.baseline:
            return None
        return self.value / self.baseline


def _number(value: float | None) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, int):  # a count (SQL queries): whole, so no decimals
        return f"{value:,}"
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def format_table(rows: Sequence[Row]) -> str:
    """A plain fixed-width table: name, value, unit, baseline, baseline value, ratio."""
    header = ("figure", "value", "unit", "baseline (same run)", "baseline", "ratio")
    cells = [
        (
            row.name,
            _number(row.value),
            row.unit,
            row.baseline_name,
            _number(row.baseline),
            "n/a" if row.ratio is None else f"{row.ratio:.3g}x",
        )
        for row in rows
    ]
    widths = [max(len(line[i]) for line in [header, *cells]) for i in range(len(header))]
    right = {1, 4, 5}  # numbers line up on the right

    def line(values: Sequence[str]) -> str:
        return "  ".join(
            v.rjust(w) if i in right else v.ljust(w) for i, (v, w) in enumerate(zip(values, widths, strict=True))
        ).rstrip()

    out = [line(header), line(["-" * w for w in widths])]
    out += [line(c) for c in cells]
    out += [f"  note: {row.name}: {row.note}" for row in rows if row.note]
    return "\n".join(out)


def say(message: str) -> None:
    """Progress on stderr, so stdout is only the table."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


@contextmanager
def timed(label: str) -> Iterator[None]:
    started = time.monotonic()
    yield
    say(f"{label}: {time.monotonic() - started:.1f}s")
