"""Scoring by state (indicators/scoring_state.py): carried sums give the score a full
recompute gives, for any sequence of readings, moments, settings changes and verifications."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from indicators import scoring, scoring_state
from indicators.choices import Category, Polarity, Verification

START = datetime(2026, 1, 1, tzinfo=UTC)
WINDOW_DAYS = 30.0
SKEW = timedelta(minutes=5)
CONFIG = scoring.ScoringConfig()


def indicator(pk: int, category: str, polarity: str, half_life: float, version: int = 1) -> scoring.IndicatorSettings:
    return scoring.IndicatorSettings(
        id=pk,
        code=f"i{pk}",
        category=category,
        polarity=polarity,
        weight=1.0 + pk / 2,
        scale_min=0,
        scale_max=5,
        threshold_critical=4,
        half_life_days=half_life,
        version=version,
    )


INDICATORS = {
    1: indicator(1, Category.STRUCTURAL, Polarity.RISK, 20.0),
    2: indicator(2, Category.PROXIMATE, Polarity.RISK, 3.0),
    3: indicator(3, Category.TRIGGER, Polarity.RISK, 1.5),
    4: indicator(4, Category.STRUCTURAL, Polarity.RESILIENCE, 10.0),
}

reading_step = st.tuples(
    st.just("report"),
    st.lists(
        st.tuples(
            st.sampled_from(sorted(INDICATORS)),
            st.integers(0, 5),
            st.integers(-40 * 86_400, 240),  # observed up to 40 days back, or a little ahead
            st.sampled_from("ABCDEF"),
            st.integers(1, 6),
            st.sampled_from(list(Verification.values)),
        ),
        min_size=1,
        max_size=4,
    ),
    st.booleans(),  # scored now (folded) or left received
)
wait_step = st.tuples(st.just("wait"), st.integers(0, 20 * 86_400))
setting_step = st.tuples(st.just("setting"), st.sampled_from(sorted(INDICATORS)), st.floats(0.5, 40.0))
verify_step = st.tuples(st.just("verify"), st.integers(0, 50), st.sampled_from(list(Verification.values)))
steps = st.lists(st.one_of(reading_step, wait_step, setting_step, verify_step), min_size=1, max_size=25)


class Community:
    """The services' part, in memory: which readings are folded, when the state is rebuilt."""

    def __init__(self) -> None:
        self.indicators = dict(INDICATORS)
        self.readings: list[scoring.ReadingFact] = []
        self.folded: set[int] = set()  # report ids
        self.state: scoring_state.CommunityState | None = None
        self.now = START
        self.next_report = 1

    def window(self, at: datetime) -> list[scoring.ReadingFact]:
        since = at - timedelta(days=WINDOW_DAYS)
        return [r for r in self.readings if since <= r.observed_at <= at + SKEW]

    def score(self, batch: list[scoring.ReadingFact]) -> scoring.Assessment:
        at, window = self.now, timedelta(days=WINDOW_DAYS)
        state = self.state
        if state is not None:
            ref = datetime.fromtimestamp(state.ref, tz=UTC)
            expired = [
                r for r in self.readings if r.report_id in self.folded and ref - window <= r.observed_at < at - window
            ]
            if not scoring_state.carry(state, at, expired, self.indicators):
                state = None
        if state is None:
            state = scoring_state.CommunityState(ref=at.timestamp(), window_days=WINDOW_DAYS)
            folded = [r for r in self.readings if r.report_id in self.folded and r.observed_at >= at - window]
            scoring_state.fold(state, folded, self.indicators)
        self.readings += batch
        scoring_state.fold(state, batch, self.indicators)
        self.folded |= {r.report_id for r in batch}
        self.state = state
        extra = [r for r in self.window(at) if r.report_id not in self.folded]
        return scoring_state.assess(
            state, extra, self.window(at), self.indicators, skew_seconds=SKEW.total_seconds(), config=CONFIG
        )

    def full(self) -> scoring.Assessment:
        return scoring.assess(self.window(self.now), self.indicators, at=self.now, config=CONFIG)


def same(incremental: scoring.Assessment, full: scoring.Assessment) -> None:
    assert math.isclose(incremental.raw_score, full.raw_score, rel_tol=1e-9, abs_tol=1e-9)
    assert incremental.triggers == full.triggers
    near_band = any(abs(full.score - band) < 1e-6 for band in CONFIG.bands)
    if not near_band:
        assert incremental.level == full.level

    def rows(a: scoring.Assessment) -> dict[int, tuple[int, float]]:
        # Rows near the storing threshold may fall either side of it by rounding.
        return {c.indicator_id: (c.report_id, c.amount) for c in a.contributions if abs(c.amount) > 2e-3}

    got, want = rows(incremental), rows(full)
    assert got.keys() == want.keys()
    for pk, (report, amount) in want.items():
        assert got[pk][0] == report
        assert math.isclose(got[pk][1], amount, rel_tol=1e-9, abs_tol=1e-9)


@settings(max_examples=300, deadline=None)
@given(steps)
def test_the_carried_state_scores_as_a_full_recompute(script: list[Any]) -> None:
    community = Community()
    for step in script:
        kind = step[0]
        if kind == "wait":
            community.now += timedelta(seconds=step[1])
            same(community.score([]), community.full())
        elif kind == "setting":
            old = community.indicators[step[1]]
            community.indicators[step[1]] = replace(old, half_life_days=step[2], version=old.version + 1)
        elif kind == "verify":
            if community.readings:
                target = community.readings[step[1] % len(community.readings)].report_id
                community.readings = [
                    replace(r, verification=step[2]) if r.report_id == target else r for r in community.readings
                ]
                community.state = None  # the services forget the state on a verification
        else:
            report_id, community.next_report = community.next_report, community.next_report + 1
            facts = [
                scoring.ReadingFact(
                    report_id=report_id,
                    indicator_id=pk,
                    value=value,
                    observed_at=community.now + timedelta(seconds=offset),
                    source_reliability=reliability,
                    information_credibility=credibility,
                    verification=verification,
                )
                for pk, value, offset, reliability, credibility, verification in {r[0]: r for r in step[1]}.values()
            ]
            if step[2]:
                same(community.score(facts), community.full())
            else:
                community.readings += facts  # received, not yet scored
                same(community.score([]), community.full())


def test_carrying_a_sum_multiplies_it_by_the_decay() -> None:
    fact = scoring.ReadingFact(1, 1, 5, START, "A", 1, Verification.VERIFIED)
    state = scoring_state.CommunityState(ref=START.timestamp(), window_days=WINDOW_DAYS)
    scoring_state.fold(state, [fact], INDICATORS)
    assert state.indicators[1].total == INDICATORS[1].weight
    assert scoring_state.carry(state, START + timedelta(days=20), [], INDICATORS)
    assert state.indicators[1].total == INDICATORS[1].weight / 2  # one half-life later
    # The only reading leaves the window: the state says it must be rebuilt.
    assert not scoring_state.carry(state, START + timedelta(days=31), [], INDICATORS)


def test_a_changed_indicator_version_asks_for_a_rebuild() -> None:
    state = scoring_state.CommunityState(ref=START.timestamp(), window_days=WINDOW_DAYS)
    scoring_state.fold(state, [scoring.ReadingFact(1, 2, 3, START, "B", 2, Verification.UNVERIFIED)], INDICATORS)
    changed = {**INDICATORS, 2: replace(INDICATORS[2], version=2)}
    assert scoring_state.carry(state, START + timedelta(hours=1), [], INDICATORS)
    assert not scoring_state.carry(state, START + timedelta(hours=2), [], changed)
