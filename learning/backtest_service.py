"""Backtests on the database: the stored readings, assessments, alerts and incidents read
(never written) and handed to the pure replay (``learning.backtest``); docs/learning.md.

Operators' tool (``manage.py backtest``): it reads every community, with no user's share.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import OuterRef, Q, Subquery

from alerts.choices import AlertEventKind, AlertState
from alerts.models import Alert, AlertEvent
from ewers.models import Region
from indicators.models import Indicator, Reading, RiskAssessment
from indicators.scoring import IndicatorSettings, ReadingFact, ScoringConfig
from indicators.services.reports import CLOCK_SKEW_TOLERANCE
from indicators.services.scoring import scoring_config
from indicators.services.scoring_state import FACT_FIELDS
from learning.backtest import (
    Closure,
    Moment,
    Replay,
    Settings,
    Start,
    StoredReading,
    backtest_quality,
    replay,
    weights_apply,
)
from learning.models import Incident
from learning.quality import AlertFact, IncidentFact, Quality


@dataclass(frozen=True)
class Trial:
    """The settings a backtest tries instead of the live ones (None: as live)."""

    bands: tuple[float, float, float] | None = None
    alert_level: str | None = None
    weights: Mapping[str, float] | None = None
    # Whole indicators' settings instead of theirs (the admin's change before it is saved).
    indicators: Mapping[int, IndicatorSettings] | None = None


@dataclass(frozen=True)
class Outcome:
    settings: Settings
    replay: Replay
    quality: Quality


@dataclass(frozen=True)
class Backtest:
    since: datetime
    until: datetime
    live_alerts: int  # alerts that really opened in the period
    incidents: int
    live: Outcome
    trial: Outcome


def indicator_settings() -> dict[int, IndicatorSettings]:
    """Every indicator's current settings, as the scorer reads them."""
    return {i.pk: i.scoring_settings() for i in Indicator.objects.all()}


def live_settings() -> Settings:
    return Settings(
        scoring=scoring_config(),
        alert_from=settings.EWERS_ALERT_LEVEL,
        indicators=indicator_settings(),
        window=timedelta(days=settings.EWERS_SCORING_WINDOW_DAYS),
        skew=CLOCK_SKEW_TOLERANCE,
    )


def trial_settings(live: Settings, trial: Trial) -> Settings:
    """The live settings with the trial's changes; raises ValueError (bands) or KeyError
    (an unknown indicator code)."""
    scoring = live.scoring
    if trial.bands is not None:
        scoring = ScoringConfig(saturation=scoring.saturation, bands=trial.bands, hysteresis=scoring.hysteresis)
    indicators = live.indicators if trial.weights is None else weights_apply(live.indicators, trial.weights)
    if trial.indicators:
        indicators = {**indicators, **trial.indicators}
    return Settings(
        scoring=scoring,
        alert_from=trial.alert_level or live.alert_from,
        indicators=indicators,
        window=live.window,
        skew=live.skew,
    )


def _moments(since: datetime, until: datetime) -> list[Moment]:
    rows = (
        RiskAssessment.objects.filter(assessed_at__gte=since, assessed_at__lte=until)
        .order_by("assessed_at", "id")
        .values_list("community_id", "assessed_at")
    )
    return [Moment(community, at) for community, at in rows]


def _readings(since: datetime, until: datetime, window: timedelta) -> list[StoredReading]:
    rows = Reading.objects.filter(
        report__observed_at__gte=since - window, report__observed_at__lte=until + CLOCK_SKEW_TOLERANCE
    ).values_list("report__community_id", *FACT_FIELDS, "report__received_at", "report__scored_at")
    return [
        StoredReading(community=row[0], fact=ReadingFact(*row[1:8]), received_at=row[8], scored_at=row[9])
        for row in rows
    ]


def _start(since: datetime) -> dict[int, Start]:
    """Each community's live state when the backtest begins."""
    # Each community's latest level before ``since`` (a subquery per community: DISTINCT ON
    # is PostgreSQL's, and the demo runs on SQLite).
    latest = (
        RiskAssessment.objects.filter(community=OuterRef("pk"), assessed_at__lt=since)
        .order_by("-assessed_at", "-id")
        .values("level")[:1]
    )
    levels: dict[int, str] = dict(
        Region.objects.annotate(latest_level=Subquery(latest))
        .filter(latest_level__isnull=False)
        .values_list("pk", "latest_level")
    )
    open_levels: dict[int, str] = {}
    open_then = Alert.objects.filter(opened_at__lt=since).filter(Q(closed_at__isnull=True) | Q(closed_at__gte=since))
    events = (
        AlertEvent.objects.filter(
            alert__in=open_then.values("pk"),
            organisation__isnull=True,
            kind__in=(AlertEventKind.OPENED, AlertEventKind.ESCALATED),
            at__lt=since,
        )
        .order_by("at", "id")
        .values_list("alert__community_id", "level")
    )
    for community, level in events:
        open_levels[community] = level
    cooldowns: dict[int, list[tuple[datetime, str]]] = defaultdict(list)
    cooling = Alert.objects.filter(closed_at__lt=since, cooldown_until__gt=since)
    for community, until, level in cooling.values_list("community_id", "cooldown_until", "level"):
        if until is not None:
            cooldowns[community].append((until, level))
    return {
        c: Start(level=levels.get(c), open_level=open_levels.get(c), cooldowns=tuple(cooldowns.get(c, ())))
        for c in set(levels) | set(open_levels) | set(cooldowns)
    }


def _closures(since: datetime, until: datetime) -> list[Closure]:
    rows = (
        Alert.objects.exclude(state=AlertState.OPEN)
        .filter(closed_at__gte=since, closed_at__lte=until)
        .values_list("community_id", "closed_at", "cooldown_until")
    )
    # A closed alert always has its closing time (a check constraint); no cooldown: none.
    return [
        Closure(community, closed, cooldown or closed) for community, closed, cooldown in rows if closed is not None
    ]


def _live_alerts(since: datetime, until: datetime) -> list[AlertFact]:
    """The alerts that really opened in the period (any share), at the level they opened at."""
    opening = dict(
        AlertEvent.objects.filter(
            alert__opened_at__gte=since,
            alert__opened_at__lte=until,
            organisation__isnull=True,
            kind=AlertEventKind.OPENED,
        ).values_list("alert_id", "level")
    )
    rows = (
        Alert.objects.filter(opened_at__gte=since, opened_at__lte=until)
        .order_by("opened_at", "id")
        .values_list("pk", "community_id", "opened_at", "level", "state", "outcome")
    )
    return [
        AlertFact(
            id=pk,
            community=community,
            opened_at=opened_at,
            level=opening.get(pk) or level,
            dismissed=state == AlertState.DISMISSED,
            outcome=outcome,
        )
        for pk, community, opened_at, level, state, outcome in rows
    ]


def _incidents(since: datetime, until: datetime) -> list[IncidentFact]:
    incidents = Incident.objects.filter(occurred_at__gte=since, occurred_at__lte=until)
    links: dict[int, set[int]] = defaultdict(set)
    through = Incident.alerts.through.objects.filter(incident__in=incidents.values("pk"))
    for incident_id, alert_id in through.values_list("incident_id", "alert_id"):
        links[incident_id].add(alert_id)
    return [
        IncidentFact(id=pk, community=community, occurred_at=at, alerts=frozenset(links.get(pk, ())))
        for pk, community, at in incidents.order_by().values_list("pk", "community_id", "occurred_at")
    ]


def backtest_run(*, since: datetime, until: datetime, trial: Trial, now: datetime) -> Backtest:
    """Replay ``since``–``until`` with the live settings and with ``trial``; reads only.

    Raises ValueError (bad bands) or KeyError (an unknown indicator code in the weights).
    """
    live = live_settings()
    tried = trial_settings(live, trial)
    moments = _moments(since, until)
    readings = _readings(since, until, live.window)
    closures = _closures(since, until)
    start = _start(since)
    live_alerts = _live_alerts(since, until)
    incidents = _incidents(since, until)
    window = timedelta(days=settings.EWERS_OUTCOME_DAYS)

    def outcome(chosen: Settings) -> Outcome:
        result = replay(moments, readings, closures, chosen, start=start)
        quality = backtest_quality(result.alerts, live_alerts, incidents, window=window, now=now)
        return Outcome(settings=chosen, replay=result, quality=quality)

    return Backtest(
        since=since,
        until=until,
        live_alerts=len(live_alerts),
        incidents=len(incidents),
        live=outcome(live),
        trial=outcome(tried),
    )


# How far back the indicator admin's backtest of an unsaved change looks.
PREVIEW_DAYS = 90


def indicator_change_backtest(*, indicator: Indicator, changed: Mapping[str, Any], now: datetime) -> Backtest:
    """The last ``PREVIEW_DAYS`` replayed with ``indicator``'s settings as ``changed`` (the
    admin form's values; those absent keep the indicator's), beside the live ones. Reads only."""

    def value(name: str) -> Any:
        return changed.get(name, getattr(indicator, name))

    settings_ = IndicatorSettings(
        id=indicator.pk,
        code=indicator.code,
        category=value("category"),
        polarity=value("polarity"),
        weight=float(value("weight")),
        scale_min=float(value("scale_min")),
        scale_max=float(value("scale_max")),
        threshold_critical=float(value("threshold_critical")),
        half_life_days=float(value("half_life_days")),
        version=indicator.version,
    )
    trial = Trial(indicators={indicator.pk: settings_})
    return backtest_run(since=now - timedelta(days=PREVIEW_DAYS), until=now, trial=trial, now=now)
