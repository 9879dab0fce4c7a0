"""The heatmap's pure arithmetic (analytics/heatmap.py): weeks, summaries, colour scales,
escaped cells and the matrix, against hand-computed values and hypothesis properties."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from analytics import heatmap


def test_it_starts_weeks_on_monday_local_time():
    # Sunday 23:30 UTC is Monday 07:30 in Kuala Lumpur: that Monday's week there, the
    # week before in UTC.
    kl = ZoneInfo("Asia/Kuala_Lumpur")
    sunday_late = datetime(2024, 1, 7, 23, 30, tzinfo=UTC)
    assert heatmap.week_start(sunday_late, kl) == date(2024, 1, 8)
    assert heatmap.week_start(sunday_late, UTC) == date(2024, 1, 1)
    assert heatmap.week_start(datetime(2024, 1, 7, 23, 59, tzinfo=kl), kl) == date(2024, 1, 1)
    assert heatmap.week_start(datetime(2024, 1, 8, 0, 0, tzinfo=kl), kl) == date(2024, 1, 8)
    assert heatmap.monday_midnight(date(2024, 1, 8), kl) == datetime(2024, 1, 7, 16, 0, tzinfo=UTC)
    assert heatmap.week_window(datetime(2024, 1, 10, 12, tzinfo=UTC), 3, kl) == [
        date(2023, 12, 25),
        date(2024, 1, 1),
        date(2024, 1, 8),
    ]


def test_it_summarises_mean_and_max_and_leaves_none_for_nothing():
    assert heatmap.summarise([10, 20, 60], "mean") == pytest.approx(30)
    assert heatmap.summarise([10, 20, 60], "max") == 60
    assert heatmap.summarise([], "mean") is None


def test_it_builds_a_discrete_colourscale_from_the_bands():
    scale = heatmap.discrete_colourscale((25, 50, 75), ["a", "b", "c", "d"])
    assert scale == [[0, "a"], [0.25, "a"], [0.25, "b"], [0.5, "b"], [0.5, "c"], [0.75, "c"], [0.75, "d"], [1, "d"]]


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Kampung Melati", "Kampung Melati"),
    ],
)
def test_it_escapes_formula_cells(text, escaped):
    assert heatmap.csv_text(text) == escaped


@given(st.lists(st.floats(min_value=0, max_value=100), max_size=20), st.sampled_from(heatmap.STATS))
def test_it_keeps_area_values_within_the_scale(values, stat):
    result = heatmap.summarise(values, stat)
    if not values:
        assert result is None
    else:
        assert min(values) - 1e-9 <= result <= max(values) + 1e-9


@given(st.lists(st.floats(min_value=-20, max_value=20), max_size=10))
def test_it_maps_a_filtered_sum_like_the_scorer(amounts):
    score = heatmap.filtered_score(amounts, 4.0)
    assert 0 <= score <= 100
    if math.fsum(amounts) <= 0:
        assert score == 0


@given(
    st.lists(
        st.tuples(st.integers(1, 4), st.integers(0, 3), st.floats(min_value=0, max_value=100)),
        max_size=40,
    ),
    st.sampled_from(heatmap.STATS),
)
def test_it_fills_the_matrix_like_summarising_each_cell(rows, stat):
    weeks = [date(2026, 1, 5) + timedelta(weeks=i) for i in range(3)]
    membership = {1: 10, 2: 10, 3: 20, 4: 30}
    cells = [(community, date(2026, 1, 5) + timedelta(weeks=w), value) for community, w, value in rows]
    expected = [
        [
            None
            if (s := heatmap.summarise([v for c, d, v in cells if membership[c] == area and d == week], stat)) is None
            else round(s, 2)
            for week in weeks
        ]
        for area in (10, 20)
    ]
    assert heatmap.matrix_values(cells, membership, [10, 20], weeks, stat) == expected


@given(
    st.dictionaries(
        st.integers(1, 6),  # community
        st.dictionaries(st.integers(-1, 4), st.floats(min_value=0, max_value=100), max_size=6),  # week → top
        max_size=6,
    ),
    st.sampled_from(heatmap.STATS),
    st.booleans(),
)
def test_it_fills_the_matrix_from_weekly_rollups_as_from_cells(rollups, stat, by_area):
    """The precomputed path (one rollup per community) gives the matrix the cells give,
    for a map of communities (each alone in its row) and of areas; weeks outside the
    window and communities outside the areas count for nothing."""
    first = date(2026, 1, 5)
    weeks = [first + timedelta(weeks=i) for i in range(3)]
    membership = {1: 10, 2: 10, 3: 20, 4: 30, 5: 10} if by_area else {c: c for c in range(1, 6)}
    areas = [10, 20] if by_area else [1, 2, 3, 4]
    weekly = {
        community: {(first + timedelta(weeks=w)).isoformat(): top for w, top in by_week.items()}
        for community, by_week in rollups.items()
    }
    cells = [
        (community, first + timedelta(weeks=w), top)
        for community, by_week in rollups.items()
        for w, top in by_week.items()
    ]
    expected = heatmap.matrix_values(cells, membership, areas, weeks, stat)
    assert heatmap.matrix_from_weekly(weekly, membership, areas, weeks, stat) == expected


@given(
    st.dictionaries(
        st.integers(1, 8),  # community (those with a latest assessment have a column)
        st.lists(
            st.one_of(st.none(), st.floats(min_value=0, max_value=100), st.just(math.nan)), min_size=3, max_size=3
        ),
        max_size=8,
    ),
    st.dictionaries(st.integers(1, 8), st.one_of(st.none(), st.floats(min_value=0, max_value=100), st.just(math.nan))),
    st.sampled_from(heatmap.STATS),
)
def test_a_map_of_communities_scores_and_fills_as_the_general_path(columns, current, stat):
    """``alone`` (each area its own community) skips gathering members, nothing else."""
    areas = list(range(1, 9))
    membership = {c: c for c in areas}
    general = heatmap.area_scores(current, membership, areas, stat)
    assert heatmap.area_scores(current, membership, areas, stat, alone=True) == general
    fast = heatmap.matrix_from_columns(columns, membership, areas, 3, stat, alone=True)
    assert fast == heatmap.matrix_from_columns(columns, membership, areas, 3, stat)


@given(
    st.dictionaries(st.integers(1, 8), st.one_of(st.none(), st.floats(allow_nan=True), st.just(math.nan))),
    st.sampled_from(heatmap.STATS),
)
def test_a_community_alone_scores_what_its_one_value_summarises_to(current, stat):
    """The map of communities takes each area's score from ``alone_score`` (no
    ``AreaScore``): what ``summarise`` gives over the community's one value, with one
    community and one assessed when it has a value."""
    for community in range(1, 9):
        value = current.get(community)
        expected = heatmap.summarise([] if value is None else [value], stat)
        score = heatmap.alone_score(value, stat)
        assert (score is None and expected is None) or score == expected
        assert type(score) is type(expected)
        summed = heatmap.area_scores(current, {c: c for c in range(1, 9)}, [community], stat, alone=True)[community]
        assert (summed.score, summed.communities, summed.assessed) == (score, 1, int(value is not None))
