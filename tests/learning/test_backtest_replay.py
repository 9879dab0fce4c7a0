"""The backtest's replay (learning.backtest), pure: planted readings with known answers,
the live state it starts from, and properties that hold for any history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ewers.choices import RiskLevel
from indicators.choices import Category, Polarity, Verification
from indicators.scoring import IndicatorSettings, ReadingFact, ScoringConfig
from learning.backtest import (
    Closure,
    Moment,
    ReplayedAlert,
    Settings,
    Start,
    StoredReading,
    quality_facts,
    replay,
    seen_at,
    weights_apply,
)
from learning.quality import AlertFact

T0 = datetime(2026, 1, 1, tzinfo=UTC)
P01 = IndicatorSettings(
    id=1,
    code="P01",
    category=Category.PROXIMATE,
    polarity=Polarity.RISK,
    weight=1.0,
    scale_min=0,
    scale_max=4,
    threshold_critical=4,
    half_life_days=21,
)


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def settings(weight: float = 1.0, alert_from: str = RiskLevel.HIGH, **scoring: object) -> Settings:
    return Settings(
        scoring=ScoringConfig(**scoring),  # type: ignore[arg-type]
        alert_from=alert_from,
        indicators={1: weights_apply({1: P01}, {"P01": weight})[1]},
        window=timedelta(days=180),
    )


def reading(n: float, *, report: int = 1, community: int = 1, received: float | None = None) -> StoredReading:
    fact = ReadingFact(report, 1, 4.0, day(n), "A", 1, Verification.VERIFIED)
    return StoredReading(community=community, fact=fact, received_at=day(n if received is None else received))


def test_a_heavier_weight_raises_the_alert_a_light_one_does_not():
    # One full reading: raw = weight; weight 1 scores 22 (low), weight 3 scores 53 (high).
    moments, readings = [Moment(1, day(1))], [reading(1)]
    assert replay(moments, readings, [], settings(1.0)).alerts == ()
    assert replay(moments, readings, [], settings(3.0)).alerts == (ReplayedAlert(1, day(1), RiskLevel.HIGH),)
    # The same reading alerts at moderate when moderate alerts, or when the bands are lower.
    assert len(replay(moments, readings, [], settings(1.0, alert_from=RiskLevel.MODERATE, bands=(10, 30, 50))).alerts)


def test_it_escalates_and_a_closed_alert_cools_down_as_live():
    moments = [Moment(1, day(1)), Moment(1, day(2)), Moment(1, day(4)), Moment(1, day(6))]
    readings = [reading(1, report=1), reading(2, report=2), reading(4, report=3), reading(6, report=4)]
    closures = [Closure(1, day(3), day(10))]
    result = replay(moments, readings, closures, settings(3.0))
    # high on day 1, critical on day 2 (escalated); closed on day 3; still critical after:
    # no rise, no new alert.
    assert result.alerts == (ReplayedAlert(1, day(1), RiskLevel.HIGH, ((day(2), RiskLevel.CRITICAL),)),)


def test_a_cooldown_from_before_the_period_holds_back_an_alert():
    moments, readings = [Moment(1, day(1))], [reading(1)]
    start = {1: Start(level=RiskLevel.LOW, cooldowns=((day(5), RiskLevel.CRITICAL),))}
    result = replay(moments, readings, [], settings(3.0), start=start)
    assert (result.alerts, result.suppressed) == ((), 1)
    expired = {1: Start(level=RiskLevel.LOW, cooldowns=((day(0.5), RiskLevel.CRITICAL),))}
    assert len(replay(moments, readings, [], settings(3.0), start=expired).alerts) == 1


def test_an_alert_open_before_the_period_is_not_counted_but_holds():
    moments = [Moment(1, day(1)), Moment(1, day(2))]
    readings = [reading(1, report=1), reading(2, report=2)]
    start = {1: Start(level=RiskLevel.HIGH, open_level=RiskLevel.HIGH)}
    # The rise to critical escalates the alert already open: no new alert.
    assert replay(moments, readings, [], settings(3.0), start=start).alerts == ()


def test_the_scorer_sees_only_what_had_arrived_in_the_window():
    s = settings()
    assert seen_at(reading(1), day(1), s)
    assert not seen_at(reading(1, received=1.5), day(1), s)  # arrived later
    late = StoredReading(1, reading(1).fact, received_at=day(1.5), scored_at=day(1))
    assert seen_at(late, day(1), s)  # but scored at this moment (a web clock ahead)
    assert seen_at(reading(1.001, received=0.9), day(1), s)  # within the clock-skew tolerance
    assert not seen_at(reading(1.1, received=0.9), day(1), s)
    assert not seen_at(reading(1), day(182), s)  # out of the scoring window


def test_unknown_codes_in_the_weights_are_refused():
    with pytest.raises(KeyError):
        weights_apply({1: P01}, {"NOPE": 2.0})


def test_a_replayed_alert_that_is_a_live_one_keeps_its_id_and_outcome():
    live = [AlertFact(7, community=1, opened_at=day(1), level=RiskLevel.HIGH, outcome="yes")]
    replayed = [ReplayedAlert(1, day(1), RiskLevel.HIGH), ReplayedAlert(2, day(3), RiskLevel.HIGH)]
    facts = quality_facts(replayed, live)
    assert [(f.id, f.outcome) for f in facts] == [(7, "yes"), (-2, None)]


histories = st.lists(
    st.tuples(st.integers(1, 3), st.floats(0, 60, allow_nan=False), st.floats(0.5, 3)), min_size=1, max_size=12
)


@given(histories, st.randoms(use_true_random=False))
def test_the_order_facts_come_in_does_not_matter(rows, random):
    moments = [Moment(c, day(n)) for c, n, _ in rows]
    readings = [reading(n, report=i, community=c) for i, (c, n, _) in enumerate(rows)]
    s = settings(weight=rows[0][2])
    expected = replay(moments, readings, [], s)
    random.shuffle(moments)
    random.shuffle(readings)
    assert replay(moments, readings, [], s) == expected
    # Every alert opens at an alerting level, at one of the moments replayed.
    at = {(m.community, m.at) for m in moments}
    assert all(
        (a.community, a.opened_at) in at and a.level in (RiskLevel.HIGH, RiskLevel.CRITICAL) for a in expected.alerts
    )
