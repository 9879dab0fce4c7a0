"""Calibration arithmetic: how well analysts' readings of vignettes agree with the expert's.

Pure (no ORM), so that it is tested against a reference and with properties.

Agreement is **Cohen's weighted kappa** between two raters — the expert who wrote the
vignette and the analyst who read it — over the pairs (expert's category, analyst's
category) of one indicator:

    kappa = 1 − Σ w·O / Σ w·E

with O the observed proportions, E the proportions expected by chance (the product of
the two raters' marginals) and w the disagreement weights. EWERS uses **quadratic**
weights, w(i, j) = (i − j)² / (k − 1)² over the k categories of the indicator's scale
(reading 3 where the expert reads 1 costs four times reading 2), which makes kappa the
intraclass correlation of the two raters for ordinal scales. Linear weights |i − j| / (k − 1)
are available for comparison. The (k − 1) normalisation cancels in the ratio, so the
computation is done on whole counts, exactly.

Kappa is **undefined** (None) with no pairs, or when chance alone would give perfect
agreement (Σ w·E = 0: both raters used one and the same category for every pair) —
"not enough data", never a division by zero. The calibration pages also leave it out
below MIN_PAIRS pairs and when the expert's readings of the group do not vary
(``agreement``).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar

Weights = Literal["linear", "quadratic"]
WEIGHTS: Weights = "quadratic"
# Fewer pairs than this in a cell: kappa is not shown ("not enough data").
MIN_PAIRS = 4
# An indicator whose pooled kappa is below this over at least FLAG_MIN_PAIRS pairs is
# flagged "consider rewording": below Landis & Koch's "moderate" agreement (0.41–0.60).
FLAG_BELOW = 0.4
FLAG_MIN_PAIRS = 10

K = TypeVar("K", bound=Hashable)


def scale_categories(scale_min: float, scale_max: float) -> int:
    """The number of categories of a scale: its whole steps from the lowest value (0–4: 5)."""
    return math.floor(scale_max - scale_min + 1e-9) + 1


def scale_category(value: float, scale_min: float, scale_max: float) -> int:
    """The category (0 … k − 1) of ``value``: the nearest whole step from the lowest value,
    kept on the scale."""
    top = scale_categories(scale_min, scale_max) - 1
    return max(0, min(top, math.floor(value - scale_min + 0.5)))


def _weight(i: int, j: int, weights: Weights) -> int:
    return abs(i - j) if weights == "linear" else (i - j) ** 2


def weighted_kappa(pairs: Sequence[tuple[int, int]], categories: int, *, weights: Weights = WEIGHTS) -> float | None:
    """Cohen's weighted kappa of ``pairs`` (rater one's category, rater two's category), each
    in 0 … categories − 1; None when undefined (no pairs, or no disagreement possible by chance)."""
    if categories < 1:
        raise ValueError("a scale has at least one category")
    n = len(pairs)
    if n == 0:
        return None
    rows = [0] * categories
    cols = [0] * categories
    observed = 0
    for first, second in pairs:
        if not (0 <= first < categories and 0 <= second < categories):
            raise ValueError(f"category out of range: {(first, second)}")
        rows[first] += 1
        cols[second] += 1
        observed += _weight(first, second, weights)
    # Σ w·O = observed / n and Σ w·E = expected / n²: kappa = 1 − n·observed / expected.
    expected = sum(
        _weight(i, j, weights) * rows[i] * cols[j] for i in range(categories) for j in range(categories) if rows[i]
    )
    if expected == 0:
        return None
    return 1 - n * observed / expected


@dataclass(frozen=True)
class Agreement:
    """The agreement of one group of pairs: how many, how many exactly the same, and kappa
    (None when undefined or resting on fewer than MIN_PAIRS pairs)."""

    pairs: int
    exact: int
    kappa: float | None

    @property
    def exact_share(self) -> float | None:
        return self.exact / self.pairs if self.pairs else None

    @property
    def needs_rewording(self) -> bool:
        """Read inconsistently: kappa below FLAG_BELOW over at least FLAG_MIN_PAIRS pairs."""
        return self.pairs >= FLAG_MIN_PAIRS and self.kappa is not None and self.kappa < FLAG_BELOW


def agreement(pairs: Sequence[tuple[int, int]], categories: int, *, min_pairs: int = MIN_PAIRS) -> Agreement:
    """The agreement of (expert, analyst) pairs. Kappa is left out (None) with fewer than
    ``min_pairs`` pairs, and when the expert's readings do not vary: against a constant
    reference kappa is 0 (or undefined) however closely the analyst reads, so it would say
    nothing about them."""
    expert_varies = len({expert for expert, _answer in pairs}) > 1
    kappa = weighted_kappa(pairs, categories) if len(pairs) >= min_pairs and expert_varies else None
    return Agreement(pairs=len(pairs), exact=sum(1 for a, b in pairs if a == b), kappa=kappa)


@dataclass(frozen=True)
class Observation:
    """One indicator of one attempt: the expert's and the analyst's categories."""

    analyst: int
    indicator: str
    period: str  # e.g. "2026-11": the month of the attempt, local time
    categories: int
    expert: int
    answer: int


def agreements_by(observations: Iterable[Observation], key: Callable[[Observation], K]) -> dict[K, Agreement]:
    """Agreement per group of observations; every group holds one indicator (one scale)."""
    groups: dict[K, list[Observation]] = defaultdict(list)
    for observation in observations:
        groups[key(observation)].append(observation)
    result: dict[K, Agreement] = {}
    for group_key, group in groups.items():
        scales = {o.categories for o in group}
        if len({o.indicator for o in group}) != 1 or len(scales) != 1:
            raise ValueError("kappa is computed per indicator: one scale per group")
        result[group_key] = agreement([(o.expert, o.answer) for o in group], scales.pop())
    return result
