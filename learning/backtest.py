"""Backtests, pure: replay the stored readings with other settings and count the alerts
that would have opened. No ORM, no clock, no settings module (docs/learning.md).

The replay walks each community's stored assessment moments in time order, as scoring
did live (``indicators.services.scoring.community_assess``): at each moment the readings
the scorer saw then go through the pure scorer ``indicators.scoring.assess`` with the
trial settings, and the pure rule ``alerts.rules.alert_decide`` opens, escalates or holds
back an alert (``alerts.services.alert_consider``). Coordinators close alerts, not the
score: a replayed alert closes when the community's live alert closed, and its cooldown
runs as long as the live one did.

With the live settings, the replay opens the live alerts, at the same moments and levels.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from alerts.rules import AlertAction, alert_decide
from ewers.choices import RiskLevel
from indicators.scoring import IndicatorSettings, ReadingFact, ScoringConfig, assess
from learning.quality import AlertFact, IncidentFact, Quality, quality_measure


@dataclass(frozen=True)
class StoredReading:
    """A stored reading with when its report reached the system."""

    community: int
    fact: ReadingFact
    received_at: datetime
    # When its report was scored (its own assessment's moment); None while unscored.
    scored_at: datetime | None = None


@dataclass(frozen=True)
class Moment:
    """A stored assessment's moment: the community was assessed at ``at``."""

    community: int
    at: datetime


@dataclass(frozen=True)
class Closure:
    """A live alert's close: the replay's open alert of the community closes too."""

    community: int
    closed_at: datetime
    cooldown_until: datetime


@dataclass(frozen=True)
class Start:
    """A community's live state when the backtest begins."""

    level: str | None = None  # the level of its last assessment before
    open_level: str | None = None  # the level of its alert open then, if any
    # (until, level) of its alerts closed before and still cooling down.
    cooldowns: tuple[tuple[datetime, str], ...] = ()


@dataclass(frozen=True)
class Settings:
    """What a backtest varies: the formula and bands, the alerting level, the indicators."""

    scoring: ScoringConfig
    alert_from: str
    indicators: Mapping[int, IndicatorSettings]
    window: timedelta  # EWERS_SCORING_WINDOW_DAYS
    skew: timedelta = timedelta(minutes=5)  # CLOCK_SKEW_TOLERANCE


@dataclass(frozen=True)
class ReplayedAlert:
    community: int
    opened_at: datetime
    level: str  # the level it opened at
    escalations: tuple[tuple[datetime, str], ...] = ()


@dataclass(frozen=True)
class Replay:
    alerts: tuple[ReplayedAlert, ...]
    moments: int
    # Alerts the trial would have opened but a cooldown held back.
    suppressed: int = 0


@dataclass
class _State:
    level: str | None
    open_alert: ReplayedAlert | None = None
    open_level: str | None = None  # the open alert's level now (its peak)
    cooldowns: list[tuple[datetime, str]] = field(default_factory=list)


def seen_at(reading: StoredReading, at: datetime, settings: Settings) -> bool:
    """Whether the scorer at ``at`` saw ``reading``: in the scoring window, and its report
    had arrived (received by then, or scored at or before this moment)."""
    observed = reading.fact.observed_at
    if not (at - settings.window <= observed <= at + settings.skew):
        return False
    return reading.received_at <= at or (reading.scored_at is not None and reading.scored_at <= at)


def weights_apply(
    indicators: Mapping[int, IndicatorSettings], weights: Mapping[str, float]
) -> dict[int, IndicatorSettings]:
    """The indicators with the weights given by code replaced; unknown codes raise KeyError."""
    known = {i.code for i in indicators.values()}
    unknown = sorted(set(weights) - known)
    if unknown:
        raise KeyError(", ".join(unknown))
    return {pk: replace(i, weight=weights[i.code]) if i.code in weights else i for pk, i in indicators.items()}


def replay(
    moments: Iterable[Moment],
    readings: Iterable[StoredReading],
    closures: Iterable[Closure],
    settings: Settings,
    *,
    start: Mapping[int, Start] | None = None,
) -> Replay:
    """Replay ``moments`` (in time order per community) with ``settings``."""
    start = start or {}
    by_community: dict[int, list[StoredReading]] = defaultdict(list)
    for reading in readings:
        by_community[reading.community].append(reading)
    closes: dict[int, list[Closure]] = defaultdict(list)
    for closure in closures:
        closes[closure.community].append(closure)
    for rows in closes.values():
        rows.sort(key=lambda c: c.closed_at)
    steps: dict[int, list[Moment]] = defaultdict(list)
    for moment in moments:
        steps[moment.community].append(moment)
    opened: list[ReplayedAlert] = []
    suppressed = count = 0
    for community in sorted(steps):
        begin = start.get(community, Start())
        state = _State(level=begin.level, cooldowns=list(begin.cooldowns))
        if begin.open_level is not None:
            # Open before the backtest began: it holds, escalates and closes, but is not counted.
            state.open_alert = ReplayedAlert(community, datetime.min, begin.open_level)
            state.open_level = begin.open_level
        pending = list(closes.get(community, []))
        for moment in sorted(steps[community], key=lambda m: m.at):
            count += 1
            while pending and pending[0].closed_at <= moment.at:
                _close(state, pending.pop(0), opened)
            facts = [r.fact for r in by_community.get(community, []) if seen_at(r, moment.at, settings)]
            result = assess(
                facts, settings.indicators, at=moment.at, previous_level=state.level, config=settings.scoring
            )
            cooling = sorted((lvl for until, lvl in state.cooldowns if until > moment.at), key=RiskLevel.rank)
            decision = alert_decide(
                level=result.level,
                previous_level=state.level,
                triggered=bool(result.triggers),
                alert_from=settings.alert_from,
                open_level=state.open_level,
                cooldown_level=cooling[-1] if cooling else None,
            )
            if decision.action == AlertAction.OPEN:
                state.open_alert = ReplayedAlert(community, moment.at, decision.level)
                state.open_level = decision.level
            elif decision.action == AlertAction.ESCALATE and state.open_alert is not None:
                alert = state.open_alert
                state.open_alert = replace(alert, escalations=(*alert.escalations, (moment.at, decision.level)))
                state.open_level = decision.level
            elif decision.action == AlertAction.SUPPRESSED:
                suppressed += 1
            state.level = result.level
        if state.open_alert is not None:
            _record(state.open_alert, opened)
    return Replay(alerts=tuple(sorted(opened, key=_order)), moments=count, suppressed=suppressed)


def _order(alert: ReplayedAlert) -> tuple[datetime, int]:
    return (alert.opened_at, alert.community)


def _record(alert: ReplayedAlert, opened: list[ReplayedAlert]) -> None:
    """Keep an alert the replay opened (not one that was already open when it began)."""
    if alert.opened_at != datetime.min:
        opened.append(alert)


def _close(state: _State, closure: Closure, opened: list[ReplayedAlert]) -> None:
    if state.open_alert is None:
        return
    state.cooldowns.append((closure.cooldown_until, str(state.open_level)))
    _record(state.open_alert, opened)
    state.open_alert = state.open_level = None


def quality_facts(replayed: Sequence[ReplayedAlert], live: Sequence[AlertFact]) -> list[AlertFact]:
    """The replayed alerts as ``learning.quality`` facts. A replayed alert that is a live
    one (same community and moment) keeps its id, so the register's links and its
    resolution's outcome count as they do live; any other is matched by community and
    time alone."""
    by_key = {(a.community, a.opened_at): a for a in live}
    facts: list[AlertFact] = []
    for n, alert in enumerate(replayed, start=1):
        same = by_key.get((alert.community, alert.opened_at))
        if same is not None:
            facts.append(replace(same, level=alert.level))
        else:
            facts.append(AlertFact(id=-n, community=alert.community, opened_at=alert.opened_at, level=alert.level))
    return facts


def backtest_quality(
    replayed: Sequence[ReplayedAlert],
    live: Sequence[AlertFact],
    incidents: Sequence[IncidentFact],
    *,
    window: timedelta,
    now: datetime,
) -> Quality:
    """Precision, recall and lead time of the replayed alerts against the register, with
    the arithmetic of the alert-quality report (``learning.quality.quality_measure``)."""
    return quality_measure(quality_facts(replayed, live), incidents, window=window, now=now)
