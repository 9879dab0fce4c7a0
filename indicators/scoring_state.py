"""Scoring by state: each community's decayed sums carried forward instead of recomputed.

Pure, like ``indicators.scoring``: the services load a state, hand it the readings that
arrived or left the window, and store it again. docs/scoring.md gives the formulas.

Per community and indicator the state keeps, at its moment ``ref``:

    total   = Σ base_i × decay(ref − observed_i)      over readings with ref − window ≤ observed_i ≤ ref
    top     = the reading with the largest rank key (``scoring.rank_key``: time-invariant)
    pending = readings observed after ``ref`` (clock skew): they count undecayed until then

Decay is multiplicative, so moving the state to ``t ≥ ref`` multiplies ``total`` by
decay(t − ref); readings that left the window by then (observed in [ref − window,
t − window)) are subtracted at their decayed amount; pending readings observed by ``t`` are
added. The score at ``t`` is then the same as ``scoring.assess`` over every reading in the
window, up to float rounding (tests/indicators/test_scoring_state.py shows it for any
sequence). A change of an indicator's version, of the window, or of a report's verification
makes the services rebuild the state from the readings instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from indicators import scoring

Entry = tuple[int, float, float]  # (report id, observed at as POSIX seconds, base amount)


@dataclass
class IndicatorSums:
    version: int
    total: float = 0.0
    top: Entry | None = None
    pending: list[Entry] = field(default_factory=list)


@dataclass
class CommunityState:
    ref: float  # POSIX seconds
    window_days: float
    indicators: dict[int, IndicatorSums] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            str(pk): {"v": s.version, "total": s.total, "top": s.top, "pending": s.pending}
            for pk, s in self.indicators.items()
        }

    @classmethod
    def from_json(cls, ref: datetime, window_days: float, data: Mapping[str, Any]) -> CommunityState:
        sums = {
            int(pk): IndicatorSums(
                version=row["v"],
                total=row["total"],
                top=tuple(row["top"]) if row["top"] else None,
                pending=[tuple(p) for p in row["pending"]],
            )
            for pk, row in data.items()
        }
        return cls(ref=ref.timestamp(), window_days=window_days, indicators=sums)

    @property
    def window(self) -> float:
        return self.window_days * scoring.SECONDS_PER_DAY


def entry(reading: scoring.ReadingFact, indicator: scoring.IndicatorSettings) -> Entry:
    return (reading.report_id, reading.observed_at.timestamp(), scoring.base_amount(reading, indicator))


def _decayed(base: float, seconds: float, half_life_days: float) -> float:
    return base * scoring.decay(seconds / scoring.SECONDS_PER_DAY, half_life_days)


def _better(a: Entry | None, b: Entry, half_life_days: float, at: float) -> Entry:
    if a is None:
        return b
    ka = scoring.rank_key(a[2], a[1], a[0], half_life_days, at)
    kb = scoring.rank_key(b[2], b[1], b[0], half_life_days, at)
    return b if kb > ka else a


def fold(
    state: CommunityState,
    readings: Iterable[scoring.ReadingFact],
    indicators: Mapping[int, scoring.IndicatorSettings],
) -> None:
    """Add new readings (of reports now scored) to the state at its moment."""
    for reading in readings:
        indicator = indicators.get(reading.indicator_id)
        if indicator is None:
            continue
        sums = state.indicators.setdefault(indicator.id, IndicatorSums(version=indicator.version))
        item = entry(reading, indicator)
        if item[1] < state.ref - state.window:
            continue  # already out of the window: it never counts again
        if item[1] > state.ref:
            sums.pending.append(item)
            continue
        sums.total += _decayed(item[2], state.ref - item[1], indicator.half_life_days)
        sums.top = _better(sums.top, item, indicator.half_life_days, state.ref)


def carry(
    state: CommunityState,
    to: datetime,
    expired: Iterable[scoring.ReadingFact],
    indicators: Mapping[int, scoring.IndicatorSettings],
) -> bool:
    """Move the state to ``to``: decay, subtract ``expired`` (the folded readings observed in
    [ref − window, to − window)), fold pending readings observed by then. Returns False when
    it cannot (time went back, a gap longer than the window, a changed indicator, a top
    reading gone out of the window): the caller rebuilds the state from the readings."""
    moment = to.timestamp()
    if moment < state.ref or moment - state.ref >= state.window:
        return False
    for pk, sums in state.indicators.items():
        indicator = indicators.get(pk)
        if indicator is None or indicator.version != sums.version:
            return False
        sums.total = _decayed(sums.total, moment - state.ref, indicator.half_life_days)
    for reading in expired:
        sums_of = state.indicators.get(reading.indicator_id)
        if sums_of is None:
            return False
        item = entry(reading, indicators[reading.indicator_id])
        sums_of.total -= _decayed(item[2], moment - item[1], indicators[reading.indicator_id].half_life_days)
    edge = moment - state.window
    for pk, sums in state.indicators.items():
        half_life = indicators[pk].half_life_days
        due = [p for p in sums.pending if p[1] <= moment]
        sums.pending = [p for p in sums.pending if p[1] > moment]
        for item in due:
            sums.total += _decayed(item[2], moment - item[1], half_life)
            sums.top = _better(sums.top, item, half_life, moment)
        if sums.top is not None and sums.top[1] < edge:
            return False
    state.ref = moment
    state.indicators = {pk: s for pk, s in state.indicators.items() if s.top is not None or s.pending}
    return True


def assess(
    state: CommunityState,
    extra: Sequence[scoring.ReadingFact],
    triggers: Iterable[scoring.ReadingFact],
    indicators: Mapping[int, scoring.IndicatorSettings],
    *,
    skew_seconds: float,
    previous_level: str | None = None,
    config: scoring.ScoringConfig | None = None,
) -> scoring.Assessment:
    """The assessment at the state's moment: its sums, pending readings within the clock
    skew, and ``extra`` readings not in the state (reports received but not yet scored);
    ``triggers`` are the recent readings of trigger indicators, of any report."""
    at = datetime.fromtimestamp(state.ref, tz=UTC)
    by_indicator: dict[int, tuple[float, Entry | None]] = {}
    for pk, sums in state.indicators.items():
        half_life = indicators[pk].half_life_days
        total, top = sums.total, sums.top
        for item in sums.pending:
            if item[1] <= state.ref + skew_seconds:
                total += _decayed(item[2], 0.0, half_life)
                top = _better(top, item, half_life, state.ref)
        by_indicator[pk] = (total, top)
    for reading in extra:
        indicator = indicators.get(reading.indicator_id)
        if indicator is None:
            continue
        total, top = by_indicator.get(indicator.id, (0.0, None))
        total += scoring.reading_contribution(reading, indicator, at)
        by_indicator[indicator.id] = (
            total,
            _better(top, entry(reading, indicator), indicator.half_life_days, state.ref),
        )
    found = [
        (r.indicator_id, r.report_id)
        for r in triggers
        if r.indicator_id in indicators and scoring.is_trigger(r, indicators[r.indicator_id], at)
    ]
    kept = {pk: (total, top[0]) for pk, (total, top) in by_indicator.items() if top is not None}
    return scoring.assessment_of(kept, indicators, found, previous_level=previous_level, config=config)
