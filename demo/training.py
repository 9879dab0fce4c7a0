"""What the demo shows of training and calibration (docs/learning.md): two vignettes the
coordinator wrote, and three months of attempts at them by the demo analyst and two
trainees of the coordination desk, so that both calibration pages show figures.

The trainees read the market and the campus alike on hate speech and sectarian rhetoric,
but "unresolved intercommunal disputes" (S05) all over the scale: the coordinator's page
flags it "consider rewording". Everything is planned by a pure function with its own
random seed; seeding again adds nothing once the vignettes are there.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from demo.places import SEED
from ewers.choices import Role
from ewers.models import Theme, User
from ewers.services.accounts import user_upsert
from indicators.models import Indicator
from training.models import TrainingAttempt, Vignette
from training.services import TrainingValue, training_attempt_submit, vignette_save

TRAINEES = (("trainee.amir", "Amir", "Yusof"), ("trainee.sofia", "Sofia", "Chong"))
# The indicator the trainees read inconsistently (flagged for rewording on the demo).
UNCLEAR = "S05"


@dataclass(frozen=True)
class VignetteSpec:
    title: str
    situation: str
    community_type: str
    theme: str
    readings: dict[str, float]


VIGNETTES = (
    VignetteSpec(
        title="Posters at the Friday market",
        situation=(
            "At the Friday market of a small town, a monitor sees printed posters calling the other "
            "congregation 'traitors' pasted on three stalls. Two speakers at the mosque courtyard repeat the "
            "slogan to a crowd of about forty. Stall-holders say the quarrel over the market's new stalls, "
            "unsettled for a year, is 'the real reason'. Nobody mentions weapons. The interfaith committee "
            "has not met since the spring."
        ),
        community_type="Market town",
        theme="intercommunal-tension",
        readings={"P01": 3, "P04": 3, "S05": 3, "T03": 1, "R01": 1},
    ),
    VignetteSpec(
        title="A quiet study circle on campus",
        situation=(
            "On a university campus, students tell a monitor about a closed study circle that meets at night "
            "and asks new members to leave their phones at the door. Its leader shares videos that praise "
            "fighters abroad in a private group. Two members have stopped attending lectures. Relations "
            "between the campus's communities are calm; a dispute over the prayer room was settled last "
            "month. No hateful posters or speeches are reported."
        ),
        community_type="University campus",
        theme="recruitment",
        readings={"P01": 1, "P04": 0, "S05": 1, "P02": 3, "P06": 2, "S03": 2},
    ),
)


@dataclass(frozen=True)
class AttemptSpec:
    analyst: str
    vignette: int  # index in VIGNETTES
    at: datetime
    readings: dict[str, float]
    grade: tuple[str, int]


def _answer(rng: random.Random, code: str, expert: float, *, trainee: bool) -> float:
    """A close reading (mostly the expert's, sometimes a step off), or for the unclear
    indicator a trainee's guess anywhere on the scale."""
    top = 3 if code.startswith("T") else 4
    if trainee and code == UNCLEAR:
        return float(rng.randint(0, top))
    return float(max(0, min(top, expert + rng.choice((0, 0, 0, 0, 1, -1)))))


def plan_attempts(*, now: datetime) -> list[AttemptSpec]:
    """The attempts of the three past calendar months (local time): in each, every analyst
    reads each vignette twice. Pure: same ``now``, same list."""
    rng = random.Random(SEED + 17)
    month = timezone.localtime(now).replace(day=1, hour=10, minute=0, second=0, microsecond=0)
    starts = []
    for _ in range(3):
        month = (month - timedelta(days=1)).replace(day=1)
        starts.append(month)
    plan = []
    for start in reversed(starts):
        for analyst in ("analyst", *(name for name, _first, _last in TRAINEES)):
            for day in (4, 12):
                for index, spec in enumerate(VIGNETTES):
                    readings = {
                        code: _answer(rng, code, value, trainee=analyst != "analyst")
                        for code, value in spec.readings.items()
                    }
                    at = start + timedelta(days=day, hours=index * 2 + rng.randint(0, 60) / 60)
                    plan.append(AttemptSpec(analyst, index, at, readings, ("B", 2)))
    return plan


def seed_training(users: dict[str, User], *, now: datetime) -> int:
    """Write the vignettes and the attempts through the services the pages use; returns
    the attempts created (none when the vignettes are already there)."""
    coordinator = users["coordinator"]
    if Vignette.objects.filter(title=VIGNETTES[0].title, organisation=coordinator.organisation_id).exists():
        return 0
    analysts = {"analyst": users["analyst"]}
    for username, first, last in TRAINEES:
        analysts[username], _created = user_upsert(
            username=username,
            organisation=coordinator.organisation,
            role=Role.ANALYST,
            email=f"{username}@example.org",
            first_name=first,
            last_name=last,
        )
    indicators = {i.code: i for i in Indicator.objects.all()}
    vignettes = [
        vignette_save(
            user=coordinator,
            title=spec.title,
            situation=spec.situation,
            community_type=spec.community_type,
            theme=Theme.objects.get(code=spec.theme),
            readings=[TrainingValue(indicators[code], value) for code, value in spec.readings.items()],
            now=now - timedelta(days=120),
        )
        for spec in VIGNETTES
    ]
    for attempt in plan_attempts(now=now):
        training_attempt_submit(
            user=analysts[attempt.analyst],
            vignette=vignettes[attempt.vignette],
            readings=[TrainingValue(indicators[code], value) for code, value in attempt.readings.items()],
            source_reliability=attempt.grade[0],
            information_credibility=attempt.grade[1],
            now=attempt.at,
        )
    return TrainingAttempt.objects.filter(vignette__in=vignettes).count()
