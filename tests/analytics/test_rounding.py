"""``analytics.heatmap.rounded_rows`` (a whole matrix rounded at once) gives exactly the
floats ``round(float(v), 2)`` gives, None for None and NaN, whatever the values: near a
half, on one, negative, zero of either sign, huge, infinite."""

from __future__ import annotations

import math
import random

from hypothesis import given
from hypothesis import strategies as st

from analytics.heatmap import rounded_rows


def expected(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else round(float(value), 2)


def same(got: list[list[float | None]], rows: list[list[float | None]]) -> None:
    assert len(got) == len(rows)
    for row, out in zip(rows, got, strict=True):
        wanted = [expected(v) for v in row]
        # repr: the same double, the sign of a zero included, and a float (not numpy's).
        assert [repr(v) for v in out] == [repr(v) for v in wanted]
        assert all(v is None or type(v) is float for v in out)


EDGES = [
    None,
    math.nan,
    0.0,
    -0.0,
    0.004,
    0.005,
    0.015,
    0.125,
    0.375,
    1.005,
    2.675,
    12.345,
    99.995,
    100.0,
    -1.005,
    -2.675,
    5e-324,
    999_999.995,
    1e6 + 0.005,
    1e300,
    math.inf,
    -math.inf,
]


def test_it_rounds_the_edges_as_round_does():
    same(rounded_rows([EDGES]), [EDGES])


def test_it_rounds_every_score_with_three_or_four_places_as_round_does():
    values: list[float | None] = [k / 1000 for k in range(100_001)] + [k / 10_000 for k in range(0, 1_000_001, 7)]
    rows = [values[i : i + 12] for i in range(0, len(values) - 11, 12)]
    same(rounded_rows(rows), rows)


def test_it_rounds_random_scores_as_round_does():
    rng = random.Random(13)
    rows = [[rng.choice([None, rng.uniform(0, 100), rng.uniform(-1e7, 1e7)]) for _ in range(12)] for _ in range(500)]
    same(rounded_rows(rows), rows)


def test_it_answers_nothing_for_no_rows():
    assert rounded_rows([]) == []


@given(st.lists(st.lists(st.one_of(st.none(), st.floats()), min_size=3, max_size=3), max_size=20))
def test_it_rounds_any_float_as_round_does(rows):
    same(rounded_rows(rows), rows)
