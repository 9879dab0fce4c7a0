"""Forecasts of an area's level four weeks ahead, and how accurate they were, pure.

No ORM, no clock, no settings: ``learning.selectors.forecasts_build`` reads each area's
weekly values (``areas_weekly``: the database takes the highest of its communities' weekly
rollups, ``CurrentRisk.weekly``) and hands the numbers here.
docs/forecast.md states every rule below for users.

- **Series**: an area's weekly value is the highest score of its communities that week
  (a hotspot is never averaged away). The series runs from the first week with a value
  to the current week; a week without any assessment keeps the week before's value.
- **Model**: Holt's linear exponential smoothing with a damped trend, fixed parameters
  (``SMOOTHING``), never fitted to the series it forecasts. The forecast score is clipped
  to 0–100 and read as a level by the level bands (no hysteresis).
- **Backtest**: rolling origin. At every week with ``MIN_HISTORY`` weeks of history or
  more and ``HORIZON`` weeks after it, forecast from the weeks up to it only, and compare
  the forecast ``HORIZON`` weeks ahead with what came, beside the naive forecast "the
  level stays as it is now".
- **Shown** only when the backtest has ``MIN_ORIGINS`` origins or more and the model's
  mean absolute level error is strictly below the naive forecast's.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from ewers.choices import RiskLevel
from indicators.scoring import band_level

HORIZON = 4  # weeks ahead
MIN_HISTORY = 4  # weeks a forecast stands on, at least (the first origin is the fourth week)
MIN_ORIGINS = 4  # backtest origins needed before a forecast may be shown

# Why a forecast is not shown.
HIDDEN_HISTORY = "history"  # too few weeks to backtest it
HIDDEN_NAIVE = "naive"  # it did not beat "the level stays as it is"


@dataclass(frozen=True)
class Smoothing:
    """Holt's damped-trend parameters: how fast the level (``alpha``) and the trend
    (``beta``) follow new weeks, and how much of the trend is kept each week ahead (``phi``)."""

    alpha: float = 0.5
    beta: float = 0.3
    phi: float = 0.9


SMOOTHING = Smoothing()


# ``RiskLevel.rank`` builds the list of levels on each call; a backtest asks thousands of times a page.
_STEPS = {level: RiskLevel.rank(level) for level in RiskLevel.values}


def level_step(level: str) -> int:
    """A level as a step: low 0, moderate 1, high 2, critical 3 (ValueError for another)."""
    try:
        return _STEPS[level]
    except KeyError:
        raise ValueError(f"{level!r} is not a risk level") from None


def series_fill(values: Mapping[date, float], current: date) -> list[float]:
    """The weekly series from the first week with a value to the week of ``current``
    (a Monday), a week without a value carrying the week before's; weeks after
    ``current`` are left out. Empty when no week up to ``current`` has a value."""
    weeks = sorted(week for week in values if week <= current)
    if not weeks:
        return []
    series: list[float] = []
    week, value = weeks[0], values[weeks[0]]
    while week <= current:
        value = values.get(week, value)
        series.append(value)
        week += timedelta(weeks=1)
    return series


def holt_states(series: Sequence[float], smoothing: Smoothing = SMOOTHING) -> list[tuple[float, float]]:
    """(level, trend) after each week of the series, in one pass (the backtest forecasts
    from each origin's state instead of running the recursion again per origin).

    Start: after the first week, level = its value and trend = 0 (one week has no trend);
    after the second, level = the second value, trend = second − first. Each later week y:

        level' = α·y + (1 − α)·(level + φ·trend)
        trend' = β·(level' − level) + (1 − β)·φ·trend
    """
    if not series:
        return []
    states = [(series[0], 0.0)]
    if len(series) == 1:
        return states
    alpha, beta, phi = smoothing.alpha, smoothing.beta, smoothing.phi
    level, trend = series[1], series[1] - series[0]
    states.append((level, trend))
    for value in series[2:]:
        previous = level
        level = alpha * value + (1 - alpha) * (level + phi * trend)
        trend = beta * (level - previous) + (1 - beta) * phi * trend
        states.append((level, trend))
    return states


def holt_ahead(state: tuple[float, float], horizon: int = HORIZON, smoothing: Smoothing = SMOOTHING) -> list[float]:
    """The scores of the ``horizon`` weeks after a state: h weeks ahead,
    level + (φ + φ² + … + φʰ)·trend, clipped to 0–100."""
    level, trend = state
    forecasts = []
    damped = 0.0
    for h in range(1, horizon + 1):
        damped += smoothing.phi**h
        forecasts.append(_clip(level + damped * trend))
    return forecasts


def holt_forecast(series: Sequence[float], horizon: int = HORIZON, smoothing: Smoothing = SMOOTHING) -> list[float]:
    """The scores of the ``horizon`` weeks after the series' last one (``holt_states``,
    then ``holt_ahead``). A series of one value forecasts that value. Empty: ValueError."""
    if not series:
        raise ValueError("a forecast needs at least one week")
    return holt_ahead(holt_states(series, smoothing)[-1], horizon, smoothing)


def _clip(score: float) -> float:
    return min(100.0, max(0.0, score))


@dataclass(frozen=True)
class Accuracy:
    """How a forecaster did over the backtest's origins, ``HORIZON`` weeks ahead."""

    origins: int
    hits: int  # forecasts whose level was the level that came
    level_error: float  # mean |forecast level step − actual level step|
    score_error: float  # mean |forecast score − actual score|, in points

    @property
    def hit_rate(self) -> float:
        return self.hits / self.origins if self.origins else 0.0


@dataclass(frozen=True)
class Backtest:
    model: Accuracy
    naive: Accuracy

    @property
    def beats_naive(self) -> bool:
        """Shown only when the model's mean level error is strictly below the naive one's
        over at least ``MIN_ORIGINS`` origins."""
        return self.model.origins >= MIN_ORIGINS and self.model.level_error < self.naive.level_error


def backtest(
    series: Sequence[float],
    bands: tuple[float, float, float],
    *,
    horizon: int = HORIZON,
    min_history: int = MIN_HISTORY,
    smoothing: Smoothing = SMOOTHING,
) -> Backtest:
    """Rolling origin: for each origin t (0-based) with ``min_history − 1 ≤ t`` and
    ``t + horizon`` inside the series, forecast from ``series[: t + 1]`` and compare the
    forecast for week ``t + horizon`` with ``series[t + horizon]``; the naive forecast is
    ``series[t]``. Levels by ``bands``."""
    states = holt_states(series, smoothing)  # states[t] knows series[: t + 1] only
    model: list[tuple[float, float]] = []  # (forecast, actual)
    naive: list[tuple[float, float]] = []
    for origin in range(min_history - 1, len(series) - horizon):
        actual = series[origin + horizon]
        model.append((holt_ahead(states[origin], horizon, smoothing)[-1], actual))
        naive.append((series[origin], actual))
    return Backtest(model=_accuracy(model, bands), naive=_accuracy(naive, bands))


def _accuracy(pairs: Sequence[tuple[float, float]], bands: tuple[float, float, float]) -> Accuracy:
    if not pairs:
        return Accuracy(origins=0, hits=0, level_error=0.0, score_error=0.0)
    steps = [
        abs(level_step(band_level(forecast, bands)) - level_step(band_level(actual, bands)))
        for forecast, actual in pairs
    ]
    return Accuracy(
        origins=len(pairs),
        hits=steps.count(0),
        level_error=math.fsum(steps) / len(pairs),
        score_error=math.fsum(abs(forecast - actual) for forecast, actual in pairs) / len(pairs),
    )


@dataclass(frozen=True)
class WeekForecast:
    week: date  # the Monday of the week forecast
    score: float
    level: str


@dataclass(frozen=True)
class Forecast:
    """An area's forecast, its backtest and whether it is shown (``hidden`` says why not)."""

    now_week: date
    now_score: float
    now_level: str
    weeks: tuple[WeekForecast, ...]
    backtest: Backtest
    hidden: str | None

    @property
    def shown(self) -> bool:
        return self.hidden is None

    @property
    def ahead(self) -> WeekForecast:
        """The forecast ``HORIZON`` weeks ahead (the one the backtest measures)."""
        return self.weeks[-1]


def forecast_area(
    values: Mapping[date, float], current: date, bands: tuple[float, float, float], smoothing: Smoothing = SMOOTHING
) -> Forecast | None:
    """An area's forecast from its weekly values up to the week ``current`` (a Monday);
    None when it has no value yet."""
    series = series_fill(values, current)
    if not series:
        return None
    scores = holt_forecast(series, HORIZON, smoothing)
    measured = backtest(series, bands, smoothing=smoothing)
    if measured.model.origins < MIN_ORIGINS:
        hidden: str | None = HIDDEN_HISTORY
    else:
        hidden = None if measured.beats_naive else HIDDEN_NAIVE
    return Forecast(
        now_week=current,
        now_score=series[-1],
        now_level=band_level(series[-1], bands),
        weeks=tuple(
            WeekForecast(week=current + timedelta(weeks=h), score=round(score, 2), level=band_level(score, bands))
            for h, score in enumerate(scores, start=1)
        ),
        backtest=measured,
        hidden=hidden,
    )
