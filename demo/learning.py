"""What the demo shows of learning (docs/learning.md): three older alerts and their ends,
an incident register with hits and misses, one surge and one stale community.

The extra reports are planned by a pure function with its own random seed, keyed
``demo-learn-N``, so the 90 days of ``plan_reports`` stay exactly as they were; the
stale community's last two weeks of those reports are left out (``plan_silence``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from alerts.choices import AlertState, IncidentOutcome
from alerts.models import Alert
from alerts.services import alert_dismiss, alert_resolve
from demo.places import SEED
from demo.reports import ReportSpec
from ewers.models import Region, User
from learning.models import CheckInExpectation, Incident
from learning.services import incident_record

# Calm communities whose tension flared once, long enough ago for the alert's window to close.
HISTORY = (("HM-01-02-01", 70), ("HM-02-02-01", 55), ("HM-03-03-01", 40))
# Tension readings piling up over the last days, low each, not enough for an alert.
SURGE_COMMUNITY = "HM-02-01-01"
# A community a monitor visited twice a week until two weeks and a half ago, then nothing.
STALE_COMMUNITY = "HM-03-01-01"
STALE_QUIET_DAYS = 17


def plan_learning_reports(*, now: datetime) -> list[ReportSpec]:
    """The demo's extra reports, keyed ``demo-learn-N``. Pure: same ``now``, same list."""
    rng = random.Random(SEED + 16)
    plan: list[ReportSpec] = []

    def add(code: str, observed_at: datetime, readings: list[tuple[str, float]], grade: tuple[str, int]) -> None:
        plan.append(
            ReportSpec(
                key=f"demo-learn-{len(plan) + 1}",
                community_code=code,
                reporter="analyst",
                observed_at=observed_at,
                received_at=observed_at + timedelta(minutes=rng.randint(5, 90)),
                readings=readings,
                source_reliability=grade[0],
                information_credibility=grade[1],
                narrative="Community meeting: residents described growing hostility between neighbourhoods.",
                source_reference=None,
            )
        )

    for code, days_ago in HISTORY:
        start = now - timedelta(days=days_ago, hours=rng.randint(1, 6))
        add(code, start, [("P01", 4.0), ("P04", 4.0), ("S05", 3.0)], ("A", 2))
        add(code, start + timedelta(hours=20), [("P01", 3.0), ("P04", 4.0)], ("B", 2))
        add(code, start + timedelta(hours=30), [("P01", 4.0), ("P04", 4.0), ("S05", 4.0)], ("A", 1))
    for day in (5, 3, 1):
        at = now - timedelta(days=day, hours=rng.randint(1, 8))
        add(SURGE_COMMUNITY, at, [("P04", 1.0), ("S05", 1.0)], ("C", 3))
    day = 72
    while day > STALE_QUIET_DAYS:
        at = now - timedelta(days=day, hours=rng.randint(1, 8))
        add(STALE_COMMUNITY, at, [("S01", 1.0), ("R01", 3.0)], ("B", 2))
        day -= rng.choice((3, 4))
    return plan


def plan_silence(plan: list[ReportSpec], *, now: datetime) -> list[ReportSpec]:
    """The plan without the stale community's reports of its quiet weeks."""
    quiet = now - timedelta(days=STALE_QUIET_DAYS)
    return [s for s in plan if not (s.community_code == STALE_COMMUNITY and s.observed_at > quiet)]


@dataclass(frozen=True)
class IncidentSpec:
    community_code: str
    kind: str
    severity: str
    description: str
    # Either days after the community's first alert opened, or days before now.
    after_alert_days: float | None = None
    days_ago: float | None = None
    linked: bool = False


INCIDENTS = [
    # Hits: each followed an alert of its community within EWERS_OUTCOME_DAYS.
    IncidentSpec("HM-01-02-01", "clash", "moderate", "Scuffles between youths of two neighbourhoods.", 4),
    IncidentSpec("HM-02-02-01", "property", "high", "A community hall was set on fire at night.", 6, linked=True),
    IncidentSpec(
        "HM-03-02-02", "recruitment", "high", "Two young men left for a conflict zone, families say.", 3, linked=True
    ),
    # Misses: no alert came before them.
    IncidentSpec("HM-02-01-04", "clash", "high", "Brawl after a contested football match.", days_ago=25),
    IncidentSpec("HM-04-01-03", "violence", "moderate", "A stall holder was beaten at the night market.", days_ago=30),
    IncidentSpec("HM-01-01-04", "threat", "low", "Threatening letters left at a prayer hall.", days_ago=12),
]


# The field monitor expected to report weekly (docs/learning.md, "Missed check-ins").
CHECK_IN_MONITOR = "monitor.wanita"


def seed_check_ins(users: dict[str, User], *, now: datetime) -> None:
    """One monitor with an expected weekly check-in; the daily sweep tells her organisation
    if she misses it. Written once (an administrator's later change is kept)."""
    CheckInExpectation.objects.get_or_create(
        monitor=users[CHECK_IN_MONITOR],
        defaults={"every_days": 7, "escalate_after_days": 3, "starts_at": now - timedelta(days=30)},
    )


def seed_learning(places: dict[str, Region], users: dict[str, User], *, now: datetime) -> int:
    """Close the older alerts (two followed by an incident, one a false alarm) and fill the
    register. Safe to run again: closed alerts stay closed; the register is written once."""
    seed_check_ins(users, now=now)
    coordinator = users["coordinator"]
    ends = [("resolve", IncidentOutcome.YES), ("resolve", IncidentOutcome.YES), ("dismiss", None)]
    for (code, _days), (end, outcome) in zip(HISTORY, ends, strict=True):
        alert = Alert.objects.filter(community__code=code).order_by("opened_at").first()
        if alert is None or alert.state != AlertState.OPEN:
            continue
        at = alert.opened_at + timedelta(days=10)
        if end == "resolve" and outcome is not None:
            alert_resolve(
                alert=alert,
                user=coordinator,
                note="Mediation held; the incident is in the register.",
                outcome=outcome,
                at=at,
            )
        else:
            alert_dismiss(alert=alert, user=coordinator, note="Rumours at one meeting; nothing followed.", at=at)
    if Incident.objects.exists():
        return 0
    recorded = 0
    for spec in INCIDENTS:
        community = places[spec.community_code]
        first = Alert.objects.filter(community=community).order_by("opened_at").first()
        if spec.after_alert_days is not None:
            if first is None:
                continue
            occurred_at = min(first.opened_at + timedelta(days=spec.after_alert_days), now)
        else:
            occurred_at = now - timedelta(days=spec.days_ago or 0)
        incident_record(
            user=coordinator,
            community=community,
            occurred_at=occurred_at,
            kind=spec.kind,
            severity=spec.severity,
            description=spec.description,
            alert_ids=[first.pk] if spec.linked and first is not None else [],
            now=now,
        )
        recorded += 1
    return recorded
