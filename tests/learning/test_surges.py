"""Surges and silence (learning.surges), pure: a planted surge is flagged, a flat series is
not; a community that went quiet is stale, one that never reported is not."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from learning.surges import is_stale, surge_assess

MULTIPLE, FLOOR = 2.0, 5


def test_a_planted_surge_is_flagged():
    surge = surge_assess(12, [2, 3, 2, 1, 2, 3, 2, 1], multiple=MULTIPLE, floor=FLOOR)
    assert surge.flagged and surge.baseline == 2.0 and surge.ratio == 6.0


def test_a_flat_series_is_not_flagged():
    surge = surge_assess(4, [4] * 8, multiple=MULTIPLE, floor=FLOOR)
    assert not surge.flagged and surge.ratio == 1.0
    assert not surge_assess(10, [10] * 8, multiple=MULTIPLE, floor=FLOOR).flagged


def test_the_floor_keeps_a_quiet_place_from_surging():
    # From nothing to three readings is three times anything, but too few to mean a surge.
    assert not surge_assess(3, [0] * 8, multiple=MULTIPLE, floor=FLOOR).flagged
    assert surge_assess(5, [0] * 8, multiple=MULTIPLE, floor=FLOOR).flagged
    assert surge_assess(5, [], multiple=MULTIPLE, floor=FLOOR).ratio is None


@given(st.integers(0, 1000), st.lists(st.integers(0, 200), min_size=8, max_size=8))
def test_a_flat_series_never_surges(weekly, baseline):
    flat = [weekly] * 8
    assert not surge_assess(weekly, flat, multiple=MULTIPLE, floor=FLOOR).flagged
    surge = surge_assess(weekly, baseline, multiple=MULTIPLE, floor=FLOOR)
    if surge.flagged:
        assert weekly >= FLOOR and weekly > MULTIPLE * sum(baseline) / 8


@given(st.lists(st.integers(0, 50), min_size=8, max_size=8), st.integers(0, 100))
def test_more_recent_readings_never_unflag_a_surge(baseline, extra):
    recent = 2 * sum(baseline) // 8 + FLOOR + 1
    assert surge_assess(recent, baseline, multiple=MULTIPLE, floor=FLOOR).flagged
    assert surge_assess(recent + extra, baseline, multiple=MULTIPLE, floor=FLOOR).flagged


def test_a_community_that_went_quiet_is_stale_not_low():
    assert is_stale(0, [3, 2, 4, 3, 2, 3, 3, 4], min_weekly=1.0)
    assert not is_stale(1, [3, 2, 4, 3, 2, 3, 3, 4], min_weekly=1.0)  # still reporting
    assert not is_stale(0, [0, 0, 0, 1, 0, 0, 0, 0], min_weekly=1.0)  # never reported much
    assert not is_stale(0, [], min_weekly=1.0)
