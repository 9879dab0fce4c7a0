"""The scoring core: readings and settings in, a community's score, level and explanation out.

Pure: no ORM, no clock, no settings module. The services feed it plain values and store
what it returns, so every rule here is tested without a database (and with property
tests). docs/scoring.md states the formula and its constants for users.

    contribution = sign × normalised value × weight × source factor × verification factor × decay
    raw score    = Σ contributions of the community's readings in the scoring window
    explanation  = per indicator: its contributions summed, and its largest reading's report
    score        = 100 × (1 − e^(−max(raw, 0) / saturation))            (0 ≤ score < 100)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from ewers.choices import RiskLevel
from indicators.choices import Category, Polarity, Verification

SECONDS_PER_DAY = 86_400.0

# NATO/Admiralty grading → how much a reading counts. A grade that "cannot be judged"
# (F, 6) is not evidence against the source: it counts like a middling grade.
RELIABILITY_FACTORS: Mapping[str, float] = {"A": 1.0, "B": 0.85, "C": 0.7, "D": 0.5, "E": 0.3, "F": 0.5}
CREDIBILITY_FACTORS: Mapping[int, float] = {1: 1.0, 2: 0.85, 3: 0.7, 4: 0.5, 5: 0.3, 6: 0.5}
# A verified report counts in full, an unverified one a little less; a disputed one not
# at all until someone settles the dispute (it is kept, and counts again if verified).
VERIFICATION_FACTORS: Mapping[str, float] = {
    Verification.VERIFIED: 1.0,
    Verification.UNVERIFIED: 0.8,
    Verification.DISPUTED: 0.0,
}


@dataclass(frozen=True)
class ScoringConfig:
    """The knobs of the formula and of the levels (settings EWERS_SCORE_* / EWERS_LEVEL_*)."""

    saturation: float = 4.0
    # Lowest score of moderate, high and critical.
    bands: tuple[float, float, float] = (25.0, 50.0, 75.0)
    # A level is left only when the score falls this far below its band: no flapping.
    hysteresis: float = 5.0
    # An indicator whose contributions sum to less than this is not stored (it still counts).
    min_stored_contribution: float = 1e-3

    def __post_init__(self) -> None:
        if not (self.saturation > 0 and math.isfinite(self.saturation)):
            raise ValueError("saturation must be a positive number")
        low, mid, high = self.bands
        if not 0 < low < mid < high < 100:
            raise ValueError("bands must rise strictly within (0, 100)")
        if not 0 <= self.hysteresis < low:
            raise ValueError("hysteresis must be at least 0 and below the lowest band")


@dataclass(frozen=True)
class IndicatorSettings:
    """An indicator's settings as a scorer needs them."""

    id: int
    code: str
    category: str
    polarity: str
    weight: float
    scale_min: float
    scale_max: float
    threshold_critical: float
    half_life_days: float
    version: int = 1


@dataclass(frozen=True)
class ReadingFact:
    """One reading with what its report says about the source."""

    report_id: int
    indicator_id: int
    value: float
    observed_at: datetime
    source_reliability: str
    information_credibility: int
    verification: str


@dataclass(frozen=True)
class ContributionFact:
    """One indicator's summed contribution, and the report of its largest reading."""

    indicator_id: int
    indicator_version: int
    report_id: int
    amount: float


@dataclass(frozen=True)
class Assessment:
    """What the scorer concludes about one community at one moment."""

    score: float
    raw_score: float
    level: str
    # Stored contributions, the largest in either direction first.
    contributions: tuple[ContributionFact, ...] = field(default=())
    # (indicator id, report id) of fresh trigger readings at or over their critical threshold.
    triggers: tuple[tuple[int, int], ...] = field(default=())


def normalised_value(value: float, scale_min: float, scale_max: float) -> float:
    """Where a value lies on its indicator's scale, 0 to 1 (clamped)."""
    if not scale_max > scale_min or not math.isfinite(value):
        return 0.0
    return min(1.0, max(0.0, (value - scale_min) / (scale_max - scale_min)))


def source_factor(source_reliability: str, information_credibility: int) -> float:
    """How far a reading is to be trusted given its Admiralty grade; unknown grades count 0."""
    return RELIABILITY_FACTORS.get(source_reliability, 0.0) * CREDIBILITY_FACTORS.get(information_credibility, 0.0)


def verification_factor(verification: str) -> float:
    return VERIFICATION_FACTORS.get(verification, 0.0)


def decay(age_days: float, half_life_days: float) -> float:
    """Exponential fading: 1 when fresh, ½ after one half-life. A reading from the
    near future (clock skew) counts as fresh."""
    if not half_life_days > 0 or math.isnan(age_days):
        return 0.0
    return math.pow(0.5, max(0.0, age_days) / half_life_days)


def age_days(observed_at: datetime, at: datetime) -> float:
    return (at - observed_at).total_seconds() / SECONDS_PER_DAY


def base_amount(reading: ReadingFact, indicator: IndicatorSettings) -> float:
    """One reading's signed share of the raw score before decay (a carried sum multiplies it
    by the decay; ``indicators.scoring_state``)."""
    amount = (
        normalised_value(reading.value, indicator.scale_min, indicator.scale_max)
        * indicator.weight
        * source_factor(reading.source_reliability, reading.information_credibility)
        * verification_factor(reading.verification)
    )
    amount = amount if math.isfinite(amount) else 0.0
    return -amount if indicator.polarity == Polarity.RESILIENCE else amount


def reading_contribution(reading: ReadingFact, indicator: IndicatorSettings, at: datetime) -> float:
    """One reading's signed share of the raw score at ``at``."""
    amount = base_amount(reading, indicator) * decay(age_days(reading.observed_at, at), indicator.half_life_days)
    return amount if math.isfinite(amount) else 0.0


def rank_key(base: float, observed: float, report_id: int, half_life_days: float, at: float) -> tuple[float, int]:
    """How a reading ranks among its indicator's readings at ``at`` (POSIX seconds), largest
    first: log |base × decay| up to a constant of ``at``, then the older report. For a reading
    observed by ``at`` it does not depend on ``at``, so a carried state keeps its top reading."""
    if base == 0 or not half_life_days > 0:
        return (-math.inf, -report_id)
    return (math.log(abs(base)) + min(observed, at) / (half_life_days * SECONDS_PER_DAY) * math.log(2), -report_id)


def is_trigger(reading: ReadingFact, indicator: IndicatorSettings, at: datetime) -> bool:
    """A fresh, undisputed trigger reading at or over its critical threshold raises the
    community to critical at once. "Fresh" means younger than the indicator's half-life
    (triggers fade in days)."""
    return (
        indicator.category == Category.TRIGGER
        and indicator.polarity == Polarity.RISK
        and reading.verification != Verification.DISPUTED
        and reading.value >= indicator.threshold_critical
        and age_days(reading.observed_at, at) <= indicator.half_life_days
    )


def score_from_raw(raw: float, saturation: float) -> float:
    """Map a raw sum onto 0–100 so that it saturates instead of growing without bound."""
    if math.isnan(raw) or raw <= 0:
        return 0.0
    if math.isinf(raw):
        return 100.0
    return min(100.0, 100.0 * (1.0 - math.exp(-raw / saturation)))


def band_level(score: float, bands: tuple[float, float, float]) -> str:
    """The level a score reaches without hysteresis."""
    moderate, high, critical = bands
    if score >= critical:
        return RiskLevel.CRITICAL
    if score >= high:
        return RiskLevel.HIGH
    if score >= moderate:
        return RiskLevel.MODERATE
    return RiskLevel.LOW


def level_for(score: float, previous: str | None, config: ScoringConfig) -> str:
    """The level for a score, with hysteresis: rising takes effect at the band; falling
    only once the score is ``hysteresis`` points below the band of the previous level."""
    reached = band_level(score, config.bands)
    if previous is None or previous not in RiskLevel.values:
        return reached
    if RiskLevel.rank(reached) >= RiskLevel.rank(previous):
        return reached
    # Falling: hold each level until the score is clearly below its band.
    level = previous
    while RiskLevel.rank(level) > RiskLevel.rank(reached):
        band = config.bands[RiskLevel.rank(level) - 1]
        if score >= band - config.hysteresis:
            break
        level = RiskLevel.values[RiskLevel.rank(level) - 1]
    return level


def assess(
    readings: Iterable[ReadingFact],
    indicators: Mapping[int, IndicatorSettings],
    *,
    at: datetime,
    previous_level: str | None = None,
    config: ScoringConfig | None = None,
) -> Assessment:
    """Score one community at ``at`` from its readings (those of unknown indicators are skipped)."""
    sums: dict[int, float] = {}
    tops: dict[int, tuple[tuple[float, int], int]] = {}
    triggers: list[tuple[int, int]] = []
    moment = at.timestamp()
    for reading in readings:
        indicator = indicators.get(reading.indicator_id)
        if indicator is None:
            continue
        sums[indicator.id] = sums.get(indicator.id, 0.0) + reading_contribution(reading, indicator, at)
        key = rank_key(
            base_amount(reading, indicator),
            reading.observed_at.timestamp(),
            reading.report_id,
            indicator.half_life_days,
            moment,
        )
        if indicator.id not in tops or key > tops[indicator.id][0]:
            tops[indicator.id] = (key, reading.report_id)
        if is_trigger(reading, indicator, at):
            triggers.append((indicator.id, reading.report_id))
    by_indicator = {pk: (amount, tops[pk][1]) for pk, amount in sums.items()}
    return assessment_of(by_indicator, indicators, triggers, previous_level=previous_level, config=config)


def assessment_of(
    by_indicator: Mapping[int, tuple[float, int]],
    indicators: Mapping[int, IndicatorSettings],
    triggers: Iterable[tuple[int, int]],
    *,
    previous_level: str | None = None,
    config: ScoringConfig | None = None,
) -> Assessment:
    """The assessment from each indicator's summed contribution and top report
    (``indicator id → (amount, report id)``): the explanation keeps one row per indicator,
    however many readings it has in the window."""
    config = config or ScoringConfig()
    raw = math.fsum(amount for amount, _ in by_indicator.values())
    stored = [
        ContributionFact(pk, indicators[pk].version, report_id, amount)
        for pk, (amount, report_id) in by_indicator.items()
        if abs(amount) >= config.min_stored_contribution
    ]
    found = sorted(set(triggers))
    score = score_from_raw(raw, config.saturation)
    level = level_for(score, previous_level, config)
    if found:
        level = RiskLevel.CRITICAL
    stored.sort(key=lambda c: (-abs(c.amount), c.indicator_id, c.report_id))
    return Assessment(
        score=round(score, 4),
        raw_score=raw,
        level=level,
        contributions=tuple(stored),
        triggers=tuple(found),
    )


def reading_evidence(
    readings: Iterable[ReadingFact],
    indicators: Mapping[int, IndicatorSettings],
    *,
    at: datetime,
    config: ScoringConfig | None = None,
) -> tuple[ContributionFact, ...]:
    """Each reading's own contribution at ``at`` (not summed by indicator), those of at
    least ``min_stored_contribution``, the largest first: the full evidence behind an
    assessment, stored for the assessments an alert points to (the reports a responder
    holding the alert may read)."""
    config = config or ScoringConfig()
    found = []
    for reading in readings:
        indicator = indicators.get(reading.indicator_id)
        if indicator is None:
            continue
        amount = reading_contribution(reading, indicator, at)
        if abs(amount) >= config.min_stored_contribution:
            found.append(ContributionFact(indicator.id, indicator.version, reading.report_id, amount))
    found.sort(key=lambda c: (-abs(c.amount), c.indicator_id, c.report_id))
    return tuple(found)
