"""The demo's 90 days of synthetic field reports, and their scoring in the order they arrived."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from demo.catalogue import INDICATOR_SPECS, indicator_scale
from demo.places import SEED, PlaceSpec
from ewers.choices import RegionLevel
from ewers.models import Region, User
from indicators.choices import AssessmentCause, Category, Polarity, ReportStatus
from indicators.models import FieldReport, Indicator
from indicators.services import ReadingInput, community_assess, field_report_create, report_score

DAYS = 90

# --- Field reports ------------------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    """How a community's signals move over the 90 days: a theme mix and an intensity curve."""

    indicators: tuple[str, ...]
    intensity: Callable[[float], float]  # days ago → 0..1
    visits_per_week: float


def _calm(days_ago: float) -> float:
    return 0.15


def _rising(days_ago: float) -> float:
    # Quiet until five weeks ago, then a steady build-up to today.
    return 0.15 if days_ago > 35 else 0.15 + 0.8 * (35 - days_ago) / 35


def _simmering(days_ago: float) -> float:
    # Tension building slowly over the last four weeks, not yet enough for an alert.
    return 0.15 if days_ago > 28 else 0.15 + 0.3 * (28 - days_ago) / 28


def _flare(days_ago: float) -> float:
    # A flare-up six to three weeks ago that has since calmed.
    return 0.85 if 21 <= days_ago <= 42 else 0.2


PROFILES = {
    "calm": Profile(("S01", "S02", "S05", "R01", "R03", "P01"), _calm, 0.6),
    "tension": Profile(("S05", "P01", "P04", "T03", "R01"), _rising, 2.5),
    "recruitment": Profile(("S03", "P02", "P05", "P06", "P03", "T04", "R02"), _rising, 2.0),
    "flare": Profile(("S02", "P01", "P04", "T01", "R01"), _flare, 1.5),
    "simmering": Profile(("S02", "S05", "P01", "P04"), _simmering, 1.5),
    "online": Profile(("S01", "S03", "P06", "P01", "R03"), _rising, 1.2),
}
# Which communities carry which story; every other community is calm.
HOTSPOTS = {
    # Batu Melati: README's walk-through tips it into an alert with one report.
    "HM-01-01-02": "simmering",
    "HM-01-02-03": "tension",
    "HM-01-03-01": "recruitment",
    "HM-02-01-04": "flare",
    "HM-02-03-02": "tension",
    "HM-03-01-05": "online",
    "HM-03-02-02": "recruitment",
    "HM-04-01-03": "flare",
    "HM-04-03-04": "online",
}

NARRATIVES = [
    "Field visit to {place}. Observed: {signals}. Discussed with the village committee.",
    "Follow-up visit in {place} after earlier reports. Observed: {signals}.",
    "Routine monitoring round in {place}. Observed: {signals}. No individuals are named in this report.",
    "Community meeting in {place}. Participants described: {signals}.",
]
GRADES = [("A", 2), ("B", 2), ("B", 3), ("C", 3), ("C", 2), ("D", 4), ("F", 6)]
GRADE_WEIGHTS = [1, 5, 4, 5, 2, 1, 1]


def _label(code: str, value: float) -> str | None:
    """What a reading's value means on its indicator's scale ("recurring", "credible")."""
    return indicator_scale(INDICATOR_SPECS[code])[2].get(str(int(value)))


def _reporter_for(community_code: str) -> str:
    """Who logs a community's reports: each reporter's organisation covers its communities."""
    if community_code.startswith("HM-04-"):
        return "monitor.wanita"
    if community_code.startswith("HM-03-") and community_code.endswith(("-04", "-05")):
        return "monitor.belia"
    return "analyst"


def _readings_for(profile: Profile, intensity: float, rng: random.Random) -> list[tuple[str, float]]:
    count = rng.randint(1, min(4, len(profile.indicators)))
    readings = []
    for code in sorted(rng.sample(profile.indicators, count)):
        spec = INDICATOR_SPECS[code]
        low, high, _labels = indicator_scale(spec)
        if spec.polarity == Polarity.RESILIENCE:
            level = 1 - intensity  # resilience thins out as tension builds
        elif spec.category == Category.TRIGGER:
            level = intensity - 0.35 if intensity > 0.6 else 0  # triggers only near the peak
        else:
            level = intensity
        value = round(max(0.0, min(1.0, level + rng.uniform(-0.2, 0.2))) * (high - low) + low)
        if spec.category == Category.TRIGGER and value == 0:
            continue  # "no trigger seen" is not worth a reading
        readings.append((code, float(value)))
    if not readings:
        readings.append((profile.indicators[0], 1.0))
    return readings


@dataclass(frozen=True)
class ReportSpec:
    """One demo field report, before it is written."""

    key: str
    community_code: str
    reporter: str
    observed_at: datetime
    received_at: datetime
    readings: list[tuple[str, float]]
    source_reliability: str
    information_credibility: int
    narrative: str
    source_reference: str | None


def plan_reports(places: list[PlaceSpec], *, now: datetime) -> list[ReportSpec]:
    """About 90 days of visits before ``now``, each keyed ``demo-N``. Pure: same input, same list."""
    rng = random.Random(SEED + 1)
    plan: list[ReportSpec] = []
    for place in sorted((p for p in places if p.level == RegionLevel.COMMUNITY), key=lambda p: p.code):
        profile = PROFILES[HOTSPOTS.get(place.code, "calm")]
        for day in range(DAYS, 0, -1):
            if rng.random() >= profile.visits_per_week / 7:
                continue
            observed_at = now - timedelta(days=day - 1, hours=rng.randint(1, 10), minutes=rng.randint(0, 59))
            readings = _readings_for(profile, profile.intensity(day), rng)
            reliability, credibility = rng.choices(GRADES, weights=GRADE_WEIGHTS)[0]
            signals = "; ".join(
                f"{INDICATOR_SPECS[code].name.lower()} ({_label(code, value)})" for code, value in readings
            )
            plan.append(
                ReportSpec(
                    key=f"demo-{len(plan) + 1}",
                    community_code=place.code,
                    reporter=_reporter_for(place.code),
                    observed_at=observed_at,
                    received_at=observed_at + timedelta(minutes=rng.randint(5, 240)),
                    readings=readings,
                    source_reliability=reliability,
                    information_credibility=credibility,
                    narrative=rng.choice(NARRATIVES).format(place=place.name, signals=signals),
                    source_reference=f"SRC-{rng.randint(1000, 9999)}" if rng.random() < 0.4 else None,
                )
            )
    return plan


def seed_reports(
    plan: list[ReportSpec], places: dict[str, Region], indicators: dict[str, Indicator], users: dict[str, User]
) -> int:
    """Write the planned reports that are not there yet; returns how many were new."""
    existing = set(
        FieldReport.objects.filter(idempotency_key__startswith="demo-").values_list("idempotency_key", flat=True)
    )
    created = 0
    for spec in plan:
        if spec.key in existing:
            continue
        field_report_create(
            user=users[spec.reporter],
            community=places[spec.community_code],
            observed_at=spec.observed_at,
            readings=[ReadingInput(indicator=indicators[code], value=value) for code, value in spec.readings],
            source_reliability=spec.source_reliability,
            information_credibility=spec.information_credibility,
            narrative=spec.narrative,
            source_reference=spec.source_reference,
            idempotency_key=spec.key,
            received_at=spec.received_at,
            # Scored below, in the order the reports arrived, so the history reads true.
            enqueue_scoring=False,
        )
        created += 1
    return created


def seed_scores(places: dict[str, Region], *, now: datetime) -> int:
    """Score the demo reports as they arrived, then assess every community at ``now``.

    The result is 90 days of assessment history with the alerts it raised on the way;
    each assessment is keyed, so running the seed again adds nothing.
    """
    unscored = FieldReport.objects.filter(idempotency_key__startswith="demo-", status=ReportStatus.RECEIVED).order_by(
        "received_at", "pk"
    )
    scored = 0
    for report_id, received_at in unscored.values_list("pk", "received_at"):
        if report_score(report_id=report_id, at=received_at) is not None:
            scored += 1
    for code, place in sorted(places.items()):
        if place.level == RegionLevel.COMMUNITY:
            community_assess(
                community_id=place.pk, key=f"seed:{code}:{now.isoformat()}", cause=AssessmentCause.SEED, at=now
            )
    return scored
