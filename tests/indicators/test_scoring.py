"""The pure scoring core (indicators/scoring.py): hand-computed cases and hypothesis properties."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ewers.choices import RiskLevel
from indicators.choices import Category, Polarity, Verification
from indicators.scoring import (
    IndicatorSettings,
    ReadingFact,
    ScoringConfig,
    assess,
    band_level,
    decay,
    level_for,
    reading_contribution,
    score_from_raw,
    source_factor,
)

AT = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
CONFIG = ScoringConfig()
RISK = IndicatorSettings(1, "P01", Category.PROXIMATE, Polarity.RISK, 1.5, 0, 4, 4, 20)
CALM = IndicatorSettings(2, "R01", Category.STRUCTURAL, Polarity.RESILIENCE, 1.0, 0, 4, 4, 60)
TRIGGER = IndicatorSettings(3, "T01", Category.TRIGGER, Polarity.RISK, 3.0, 0, 3, 3, 4)
INDICATORS = {i.id: i for i in (RISK, CALM, TRIGGER)}


def reading(
    indicator: IndicatorSettings = RISK,
    value: float = 4,
    *,
    days_ago: float = 0,
    grade: tuple[str, int] = ("A", 1),
    verification: str = Verification.VERIFIED,
    report: int = 1,
) -> ReadingFact:
    return ReadingFact(report, indicator.id, value, AT - timedelta(days=days_ago), grade[0], grade[1], verification)


def test_it_computes_a_contribution_by_the_documented_formula():
    # 3 on 0–4 → 0.75; weight 1.5; B2 → 0.85 × 0.85; unverified 0.8; one half-life old → 0.5.
    fact = reading(value=3, days_ago=20, grade=("B", 2), verification=Verification.UNVERIFIED)
    assert reading_contribution(fact, RISK, AT) == pytest.approx(0.75 * 1.5 * 0.85 * 0.85 * 0.8 * 0.5)


def test_it_subtracts_resilience_and_ignores_disputed_reports():
    assert reading_contribution(reading(CALM, 4), CALM, AT) == pytest.approx(-1.0)
    assert reading_contribution(reading(verification=Verification.DISPUTED), RISK, AT) == 0


def test_it_grades_sources_and_counts_unknown_grades_as_nothing():
    assert source_factor("A", 1) == 1
    assert source_factor("C", 3) == pytest.approx(0.49)
    assert source_factor("Z", 1) == 0
    assert source_factor("A", 9) == 0


def test_it_maps_the_raw_sum_onto_a_saturating_score():
    assert score_from_raw(0, 4) == 0
    assert score_from_raw(-3, 4) == 0
    assert score_from_raw(4, 4) == pytest.approx(100 * (1 - math.exp(-1)))
    assert score_from_raw(1e9, 4) == 100
    assert score_from_raw(math.inf, 4) == 100
    assert score_from_raw(math.nan, 4) == 0


def test_it_decays_by_half_each_half_life_and_treats_the_near_future_as_fresh():
    assert decay(0, 10) == 1
    assert decay(10, 10) == pytest.approx(0.5)
    assert decay(30, 10) == pytest.approx(0.125)
    assert decay(-0.01, 10) == 1


def test_it_bands_scores_into_levels():
    assert [band_level(s, CONFIG.bands) for s in (0, 24.9, 25, 49.9, 50, 74.9, 75, 100)] == [
        "low",
        "low",
        "moderate",
        "moderate",
        "high",
        "high",
        "critical",
        "critical",
    ]


def test_it_holds_a_level_until_the_score_is_clearly_below_its_band():
    assert level_for(48, RiskLevel.HIGH, CONFIG) == RiskLevel.HIGH  # within the 5-point margin
    assert level_for(45.1, RiskLevel.HIGH, CONFIG) == RiskLevel.HIGH
    assert level_for(44.9, RiskLevel.HIGH, CONFIG) == RiskLevel.MODERATE
    assert level_for(10, RiskLevel.CRITICAL, CONFIG) == RiskLevel.LOW
    assert level_for(72, RiskLevel.CRITICAL, CONFIG) == RiskLevel.CRITICAL
    assert level_for(52, RiskLevel.MODERATE, CONFIG) == RiskLevel.HIGH  # rising is immediate


def test_it_does_not_flap_on_a_boundary():
    levels, previous = [], None
    for score in [49, 51, 49, 51, 48, 52, 47]:
        previous = level_for(score, previous, CONFIG)
        levels.append(previous)
    assert levels == ["moderate", "high", "high", "high", "high", "high", "high"]


def test_it_assesses_a_community_and_explains_it_largest_first():
    facts = [reading(value=4, report=1), reading(CALM, 2, report=2), reading(value=2, days_ago=40, report=3)]
    result = assess(facts, INDICATORS, at=AT)
    assert result.raw_score == pytest.approx(1.5 - 0.5 + 0.75 * 0.25)
    assert result.score == pytest.approx(score_from_raw(result.raw_score, 4.0), abs=1e-3)
    # One row per indicator: its readings summed, with the report of its largest reading.
    assert [(c.report_id, round(c.amount, 4)) for c in result.contributions] == [(1, 1.6875), (2, -0.5)]
    assert result.level == RiskLevel.MODERATE
    assert result.triggers == ()


def test_a_fresh_trigger_at_its_critical_threshold_makes_the_community_critical():
    result = assess([reading(TRIGGER, 3, days_ago=1, grade=("C", 3), report=9)], INDICATORS, at=AT)
    assert result.score < 75
    assert result.level == RiskLevel.CRITICAL
    assert result.triggers == ((TRIGGER.id, 9),)
    # An old or disputed trigger, or one below the threshold, does not.
    for fact in (
        reading(TRIGGER, 3, days_ago=5),
        reading(TRIGGER, 3, verification=Verification.DISPUTED),
        reading(TRIGGER, 2),
    ):
        assert assess([fact], INDICATORS, at=AT).triggers == ()


def test_it_skips_readings_of_unknown_indicators():
    assert assess([ReadingFact(1, 999, 4, AT, "A", 1, "verified")], INDICATORS, at=AT).score == 0


def test_a_bad_configuration_is_refused():
    for bad in ({"saturation": 0}, {"bands": (50, 25, 75)}, {"hysteresis": 30}):
        with pytest.raises(ValueError):
            ScoringConfig(**bad)  # type: ignore[arg-type]


# --- Properties ---------------------------------------------------------------------

values = st.one_of(st.floats(min_value=-1e6, max_value=1e6), st.sampled_from([math.nan, math.inf, -math.inf, 0.0, 4.0]))
grades = st.tuples(st.sampled_from("ABCDEFZ"), st.integers(min_value=0, max_value=7))
facts = st.lists(
    st.builds(
        lambda ind, value, days, grade, ver, rep: ReadingFact(
            rep, ind.id, value, AT - timedelta(days=days), grade[0], grade[1], ver
        ),
        st.sampled_from([RISK, CALM, TRIGGER]),
        values,
        st.floats(min_value=-2, max_value=3650, allow_nan=False),
        grades,
        st.sampled_from([*Verification.values, "bogus"]),
        st.integers(min_value=1, max_value=50),
    ),
    max_size=40,
)
previous_levels = st.one_of(st.none(), st.sampled_from([*RiskLevel.values, "bogus"]))


@given(facts, previous_levels)
def test_the_score_is_bounded_and_never_raises(readings, previous):
    result = assess(readings, INDICATORS, at=AT, previous_level=previous)
    assert 0 <= result.score <= 100
    assert result.level in RiskLevel.values


@given(facts, previous_levels)
def test_the_assessment_is_deterministic(readings, previous):
    assert assess(readings, INDICATORS, at=AT, previous_level=previous) == assess(
        list(readings), INDICATORS, at=AT, previous_level=previous
    )


@given(
    facts,
    st.floats(min_value=0, max_value=4),
    st.floats(min_value=0, max_value=4),
    st.floats(min_value=0, max_value=400),
    grades,
)
def test_the_score_rises_with_each_risk_reading(readings, low, high, days, grade):
    low, high = sorted((low, high))
    weaker = ReadingFact(99, RISK.id, low, AT - timedelta(days=days), grade[0], grade[1], "verified")
    stronger = ReadingFact(99, RISK.id, high, AT - timedelta(days=days), grade[0], grade[1], "verified")
    assert (
        assess([*readings, weaker], INDICATORS, at=AT).score <= assess([*readings, stronger], INDICATORS, at=AT).score
    )
    # Adding a risk reading never lowers the score; adding a resilience reading never raises it.
    base = assess(readings, INDICATORS, at=AT).score
    assert assess([*readings, stronger], INDICATORS, at=AT).score >= base
    calm = ReadingFact(98, CALM.id, high, AT, grade[0], grade[1], "verified")
    assert assess([*readings, calm], INDICATORS, at=AT).score <= base


@given(st.floats(min_value=0, max_value=100), previous_levels)
def test_hysteresis_never_moves_more_than_the_margin_from_the_bands(score, previous):
    level = level_for(score, previous, CONFIG)
    reached = band_level(score, CONFIG.bands)
    # The held level is never below the plain band, and never held by more than the margin.
    assert RiskLevel.rank(level) >= RiskLevel.rank(reached)
    assert level == band_level(min(100, score + CONFIG.hysteresis), CONFIG.bands) or RiskLevel.rank(
        level
    ) <= RiskLevel.rank(band_level(min(100, score + CONFIG.hysteresis), CONFIG.bands))
