"""The forecast's arithmetic (learning.forecast, pure) against answers worked out by hand,
and its accuracy figures against an independent computation."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from learning.forecast import (
    HIDDEN_HISTORY,
    HIDDEN_NAIVE,
    HORIZON,
    MIN_HISTORY,
    Smoothing,
    backtest,
    forecast_area,
    holt_forecast,
    series_fill,
)

BANDS = (25.0, 50.0, 75.0)
MONDAY = date(2026, 3, 2)


def test_holt_forecast_is_as_computed_by_hand():
    # α 0.5, β 0.3, φ 0.9 on 10, 20, 26, 30. Start: level 20, trend 10.
    # 26: level 0.5·26 + 0.5·(20 + 9) = 27.5; trend 0.3·7.5 + 0.7·0.9·10 = 8.55
    # 30: level 15 + 0.5·(27.5 + 7.695) = 32.5975; trend 0.3·5.0975 + 0.63·8.55 = 6.91575
    # h weeks ahead: 32.5975 + (0.9 + … + 0.9^h)·6.91575
    got = holt_forecast([10, 20, 26, 30], 4, Smoothing(alpha=0.5, beta=0.3, phi=0.9))
    assert got == pytest.approx([38.821675, 44.4234325, 49.46501425, 54.002437825])


def test_holt_forecast_of_a_flat_series_is_its_value():
    assert holt_forecast([40.0] * 8) == pytest.approx([40.0] * HORIZON)
    assert holt_forecast([12.5]) == [12.5] * HORIZON


def test_holt_forecast_stays_within_0_and_100():
    assert holt_forecast([90, 60, 30, 5])[-1] == 0.0
    assert holt_forecast([10, 40, 70, 95])[-1] == 100.0
    with pytest.raises(ValueError):
        holt_forecast([])


@given(st.lists(st.floats(min_value=0, max_value=100), min_size=1, max_size=60))
def test_holt_forecasts_are_scores(series):
    assert all(0.0 <= score <= 100.0 for score in holt_forecast(series))


def test_series_fill_carries_a_missing_week_and_stops_at_the_current_week():
    week = [MONDAY + timedelta(weeks=n) for n in range(6)]
    values = {week[1]: 10.0, week[3]: 30.0, week[5]: 99.0}
    assert series_fill(values, week[4]) == [10.0, 10.0, 30.0, 30.0]
    assert series_fill(values, week[0]) == []
    assert series_fill({}, week[4]) == []


# --- The accuracy figures, computed another way -----------------------------------

# A hand-written district: quiet, then tension building, a peak, and calming.
SERIES = [5.0, 8.0, 12.0, 10.0, 18.0, 27.0, 33.0, 41.0, 52.0, 58.0, 49.0, 44.0, 38.0, 30.0, 22.0]


def level_by_hand(score):
    if score >= 75:
        return 3
    if score >= 50:
        return 2
    if score >= 25:
        return 1
    return 0


def holt_by_hand(history, steps, alpha=0.5, beta=0.3, phi=0.9):
    """Holt's damped trend written out again: a list of levels and trends, week by week."""
    levels = [history[1]]
    trends = [history[1] - history[0]]
    for week in range(2, len(history)):
        level = alpha * history[week] + (1 - alpha) * (levels[-1] + phi * trends[-1])
        trends.append(beta * (level - levels[-1]) + (1 - beta) * phi * trends[-1])
        levels.append(level)
    weight = 0.0
    power = 1.0
    for _step in range(steps):
        power *= phi
        weight += power
    return max(0.0, min(100.0, levels[-1] + weight * trends[-1]))


def test_the_accuracy_figures_match_an_independent_computation():
    model_hits = naive_hits = 0
    model_steps = naive_steps = 0
    model_points = naive_points = 0.0
    origins = 0
    # Origins: the 4th week (index 3) up to the last week with 4 weeks after it.
    for t in range(3, len(SERIES) - 4):
        origins += 1
        actual = SERIES[t + 4]
        forecast = holt_by_hand(SERIES[: t + 1], 4)
        model_steps += abs(level_by_hand(forecast) - level_by_hand(actual))
        model_hits += level_by_hand(forecast) == level_by_hand(actual)
        model_points += abs(forecast - actual)
        naive_steps += abs(level_by_hand(SERIES[t]) - level_by_hand(actual))
        naive_hits += level_by_hand(SERIES[t]) == level_by_hand(actual)
        naive_points += abs(SERIES[t] - actual)

    measured = backtest(SERIES, BANDS)

    assert origins == 8
    assert measured.model.origins == measured.naive.origins == origins
    assert measured.model.hits == model_hits
    assert measured.model.level_error == pytest.approx(model_steps / origins)
    assert measured.model.score_error == pytest.approx(model_points / origins)
    assert measured.model.hit_rate == pytest.approx(model_hits / origins)
    assert measured.naive.hits == naive_hits
    assert measured.naive.level_error == pytest.approx(naive_steps / origins)
    assert measured.naive.score_error == pytest.approx(naive_points / origins)
    assert measured.beats_naive == (model_steps < naive_steps)


def test_the_naive_accuracy_on_a_straight_rise_is_as_worked_out_by_hand():
    # 0, 10, …, 90: origins at 30, 40, 50 (indices 3–5) against 70, 80, 90.
    # Levels: moderate vs high (1 off), moderate vs critical (2), high vs critical (1).
    measured = backtest([10.0 * n for n in range(10)], BANDS)
    naive = measured.naive
    assert (naive.origins, naive.hits) == (3, 0)
    assert naive.level_error == pytest.approx(4 / 3)
    assert naive.score_error == pytest.approx(40.0)


@given(st.lists(st.floats(min_value=0, max_value=100), max_size=40))
def test_the_backtest_has_one_origin_per_week_with_history_and_a_future(series):
    measured = backtest(series, BANDS)
    assert measured.model.origins == max(0, len(series) - HORIZON - MIN_HISTORY + 1)
    assert 0 <= measured.model.hits <= measured.model.origins


# --- Shown or hidden ----------------------------------------------------------------


def weeks_of(series):
    return {MONDAY + timedelta(weeks=n): value for n, value in enumerate(series)}


def test_a_forecast_that_beats_the_naive_one_is_shown_with_its_weeks():
    series = [2.0 + 3.5 * n for n in range(13)]  # a steady climb through moderate
    current = MONDAY + timedelta(weeks=12)
    forecast = forecast_area(weeks_of(series), current, BANDS)
    assert forecast is not None and forecast.shown and forecast.hidden is None
    assert forecast.backtest.model.level_error < forecast.backtest.naive.level_error
    assert [week.week for week in forecast.weeks] == [current + timedelta(weeks=h) for h in range(1, 5)]
    assert (forecast.now_score, forecast.now_level) == (44.0, "moderate")
    assert forecast.ahead.level == "high"


def test_a_flat_series_forecast_does_not_beat_the_naive_one_and_is_hidden():
    forecast = forecast_area(weeks_of([30.0] * 12), MONDAY + timedelta(weeks=11), BANDS)
    assert forecast is not None and forecast.hidden == HIDDEN_NAIVE
    assert forecast.backtest.model.level_error == forecast.backtest.naive.level_error == 0


def test_a_short_history_is_hidden_for_want_of_origins():
    # 10 weeks give 3 origins (MIN_ORIGINS is 4).
    forecast = forecast_area(weeks_of([5.0 * n for n in range(10)]), MONDAY + timedelta(weeks=9), BANDS)
    assert forecast is not None and forecast.hidden == HIDDEN_HISTORY
    assert forecast.backtest.model.origins == 3
    assert forecast_area({}, MONDAY, BANDS) is None
