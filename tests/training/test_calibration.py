"""Weighted kappa against a reference written here independently (the matrix formula
1 − Σw·O / Σw·E with explicit observed and expected matrices, in floats) and against
published worked examples; and the rules of "not enough data"."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from training.calibration import (
    FLAG_BELOW,
    FLAG_MIN_PAIRS,
    MIN_PAIRS,
    Observation,
    agreement,
    agreements_by,
    scale_categories,
    scale_category,
    weighted_kappa,
)


def reference_kappa(pairs, k, weights="quadratic"):
    """Textbook weighted kappa: O and E as k×k matrices of proportions, w as disagreement weights."""
    n = len(pairs)
    observed = [[0.0] * k for _ in range(k)]
    for a, b in pairs:
        observed[a][b] += 1 / n
    rows = [sum(observed[i]) for i in range(k)]
    cols = [sum(observed[i][j] for i in range(k)) for j in range(k)]
    expected = [[rows[i] * cols[j] for j in range(k)] for i in range(k)]
    power = 1 if weights == "linear" else 2
    w = [[(abs(i - j) / (k - 1)) ** power for j in range(k)] for i in range(k)]
    numerator = sum(w[i][j] * observed[i][j] for i in range(k) for j in range(k))
    denominator = sum(w[i][j] * expected[i][j] for i in range(k) for j in range(k))
    return 1 - numerator / denominator


def table(counts):
    """Pairs from a contingency table: counts[i][j] pairs of (i, j)."""
    return [(i, j) for i, row in enumerate(counts) for j, count in enumerate(row) for _ in range(count)]


@pytest.mark.parametrize(
    ("counts", "published"),
    [
        # Wikipedia, "Cohen's kappa", worked example: 50 proposals, two readers (Yes/No).
        ([[20, 5], [10, 15]], 0.4),
        # The same article's "same percentages, different numbers" examples.
        ([[45, 15], [25, 15]], 0.1304),
        ([[25, 35], [5, 35]], 0.2593),
    ],
)
def test_it_matches_published_worked_examples(counts, published):
    # With two categories every weighting gives Cohen's plain kappa.
    for weights in ("quadratic", "linear"):
        assert weighted_kappa(table(counts), 2, weights=weights) == pytest.approx(published, abs=5e-5)


def test_it_matches_the_reference_on_a_three_category_table():
    counts = [[10, 3, 1], [2, 12, 4], [0, 3, 9]]
    # By hand: n=44, quadratic Σ w·count = 3+2+4+3 + 4·1 = 16 (weights 1 and 4 over (k−1)² = 4).
    assert weighted_kappa(table(counts), 3) == pytest.approx(reference_kappa(table(counts), 3))
    assert weighted_kappa(table(counts), 3, weights="linear") == pytest.approx(
        reference_kappa(table(counts), 3, "linear")
    )
    assert weighted_kappa(table(counts), 3) != pytest.approx(weighted_kappa(table(counts), 3, weights="linear"))


@st.composite
def tables(draw):
    k = draw(st.integers(min_value=2, max_value=6))
    category = st.integers(0, k - 1)
    return k, draw(st.lists(st.tuples(category, category), min_size=1, max_size=40))


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(tables())
def test_it_matches_the_reference_on_any_table(drawn):
    k, pairs = drawn
    ours = weighted_kappa(pairs, k)
    defined = len({a for a, _ in pairs}) > 1 or len({b for _, b in pairs}) > 1 or pairs[0][0] != pairs[0][1]
    if ours is None:
        assert not defined
    else:
        assert ours == pytest.approx(reference_kappa(pairs, k), abs=1e-9)
        assert ours <= 1 + 1e-12
        # Symmetric in the two raters.
        assert weighted_kappa([(b, a) for a, b in pairs], k) == pytest.approx(ours, abs=1e-9)


def test_perfect_agreement_is_one_and_no_variance_is_undefined():
    assert weighted_kappa([(0, 0), (1, 1), (4, 4)], 5) == 1
    assert weighted_kappa([(2, 2)] * 7, 5) is None  # both raters always the same category
    assert weighted_kappa([], 5) is None
    # One rater constant, the other not: defined (and no better than chance).
    assert weighted_kappa([(2, 1), (2, 3), (2, 2)], 5) == 0


def test_it_refuses_categories_off_the_scale():
    with pytest.raises(ValueError, match="out of range"):
        weighted_kappa([(0, 5)], 5)


def test_scale_categories_are_the_whole_steps():
    assert scale_categories(0, 4) == 5 and scale_categories(0, 3) == 4 and scale_categories(1, 1.5) == 1
    assert [scale_category(v, 0, 4) for v in (0, 0.4, 0.5, 2.6, 4, 9, -1)] == [0, 0, 1, 3, 4, 4, 0]


def test_small_counts_and_a_constant_expert_give_not_enough_data():
    few = [(0, 0), (3, 3), (1, 2)]
    assert len(few) < MIN_PAIRS and agreement(few, 5).kappa is None and agreement(few, 5).pairs == 3
    constant_expert = [(2, 0), (2, 2), (2, 4), (2, 2), (2, 2)]
    assert weighted_kappa(constant_expert, 5) == 0  # the formula's answer, which says nothing
    assert agreement(constant_expert, 5).kappa is None
    assert agreement([], 5).exact_share is None


def test_an_indicator_read_inconsistently_is_flagged_with_enough_pairs():
    noisy = [(0, 4), (4, 0), (1, 3), (3, 1), (2, 0)] * 2
    assert len(noisy) >= FLAG_MIN_PAIRS
    result = agreement(noisy, 5)
    assert result.kappa is not None and result.kappa < FLAG_BELOW and result.needs_rewording
    assert not agreement(noisy[: FLAG_MIN_PAIRS - 1], 5).needs_rewording
    assert not agreement([(i % 5, i % 5) for i in range(12)], 5).needs_rewording


def test_agreements_are_grouped_per_indicator_and_period():
    observations = [
        Observation(analyst=1, indicator="P01", period=f"2026-0{m}", categories=5, expert=e, answer=a)
        for m in (1, 2)
        for e, a in ((0, 0), (4, 4), (2, 2), (1, 1))
    ] + [Observation(analyst=1, indicator="T01", period="2026-01", categories=4, expert=3, answer=0)]
    by_period = agreements_by(observations, lambda o: (o.indicator, o.period))
    assert by_period[("P01", "2026-01")].kappa == 1 and by_period[("P01", "2026-02")].pairs == 4
    assert by_period[("T01", "2026-01")].kappa is None
    with pytest.raises(ValueError, match="per indicator"):
        agreements_by(observations, lambda o: o.analyst)
