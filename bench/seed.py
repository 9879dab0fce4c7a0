"""The bench's volume: the demo deployment, extra communities and months of history.

The history is written in bulk (it is the past, already scored): what the benchmark
needs is that each scoring run reads a real window of readings, as in production.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from bench.config import Sizes
from demo.reports import GRADE_WEIGHTS, GRADES
from demo.seed import seed_demo
from ewers.choices import RegionLevel
from ewers.models import Region, User
from ewers.services import api_token_issue, region_upsert
from indicators.choices import Category, ReportStatus, Verification
from indicators.models import FieldReport, Indicator, Reading
from indicators.services.reports_write import readings_digest
from indicators.services.rollups import rollups_rebuild

SEED = 20240611
# The demo user who covers the whole country and may log reports: the bench's reporter.
REPORTER = "coordinator"
BENCH_CODE = "B"  # bench communities are <district>-B0001, ...
CHUNK = 2_000
VALUES = (0, 1, 2, 3, 4)
VALUE_WEIGHTS = (30, 35, 20, 10, 5)  # mostly quiet, now and then a strong signal
VERIFICATIONS = (Verification.UNVERIFIED, Verification.VERIFIED, Verification.DISPUTED)
VERIFICATION_WEIGHTS = (90, 8, 2)


@dataclass(frozen=True)
class Seeded:
    reporter: User
    token: str
    # Bench communities for ingest and scoring, and the ones kept fresh for alerts.
    work_communities: list[Region]
    alert_communities: list[Region]
    indicators: list[Indicator]
    history_reports: int
    history_readings: int


def grade(rng: random.Random) -> tuple[str, int]:
    """An Admiralty grade, distributed as in the demo's reports."""
    reliability, credibility = rng.choices(GRADES, weights=GRADE_WEIGHTS)[0]
    return reliability, credibility


def reading_value(indicator: Indicator, rng: random.Random) -> float:
    # A trigger seen in the past is "rumoured": below its critical threshold, so history
    # alone raises no trigger alert.
    if indicator.category == Category.TRIGGER:
        return indicator.scale_min + 1
    return float(min(indicator.scale_max, rng.choices(VALUES, weights=VALUE_WEIGHTS)[0]))


@transaction.atomic
def communities_add(count: int) -> list[Region]:
    """``count`` communities spread over the demo's districts, written by the service."""
    districts = list(Region.objects.filter(level=RegionLevel.DISTRICT).order_by("code"))
    communities = []
    for n in range(count):
        district = districts[n % len(districts)]
        community, _created = region_upsert(
            code=f"{district.code}-{BENCH_CODE}{n + 1:04d}",
            name=f"Bench community {n + 1}",
            level=RegionLevel.COMMUNITY,
            parent=district,
        )
        communities.append(community)
    return communities


def history_add(
    *,
    communities: list[Region],
    indicators: list[Indicator],
    reporter: User,
    readings: int,
    window_days: int,
    now: datetime,
    rng: random.Random,
) -> tuple[int, int]:
    """About ``readings`` readings in reports spread over the scoring window; returns
    (reports, readings) written. Bulk inserts, already ``scored``."""
    reports_written = readings_written = 0
    while readings_written < readings:
        batch: list[tuple[FieldReport, list[tuple[Indicator, float]]]] = []
        planned = 0
        while planned < min(CHUNK, readings - readings_written):
            community = rng.choice(communities)
            observed_at = now - timedelta(days=rng.uniform(0.2, window_days))
            received_at = observed_at + timedelta(minutes=rng.uniform(5, 240))
            reliability, credibility = grade(rng)
            chosen = rng.sample(indicators, rng.randint(1, 5))
            values = [(i, reading_value(i, rng)) for i in chosen]
            report = FieldReport(
                community=community,
                observed_at=observed_at,
                received_at=received_at,
                source_reliability=reliability,
                information_credibility=credibility,
                narrative=f"Routine monitoring round in {community.name}; {len(chosen)} signals noted.",
                verification=rng.choices(VERIFICATIONS, weights=VERIFICATION_WEIGHTS)[0],
                status=ReportStatus.SCORED,
                scored_at=received_at,
                created_by=reporter,
                organisation=reporter.organisation,
                # As the product's writers keep it (the possible duplicates are found by it).
                readings_digest=readings_digest([(i.pk, value) for i, value in values]),
            )
            batch.append((report, values))
            planned += len(chosen)
        with transaction.atomic():
            FieldReport.objects.bulk_create([report for report, _ in batch])
            Reading.objects.bulk_create(
                Reading(report=report, indicator=indicator, value=value)
                for report, values in batch
                for indicator, value in values
            )
        reports_written += len(batch)
        readings_written += planned
    return reports_written, readings_written


def seed(sizes: Sizes, *, window_days: int) -> Seeded:
    """The demo, ``sizes.communities`` more communities and ``sizes.readings`` of history."""
    rng = random.Random(SEED)  # noqa: S311 - synthetic history, not cryptography
    now = timezone.now()
    seed_demo()
    reporter = User.objects.select_related("organisation").get(username=REPORTER)
    _token, key = api_token_issue(user=reporter)
    communities = communities_add(sizes.communities)
    indicators = list(Indicator.objects.filter(is_active=True).order_by("code"))
    reports, readings = history_add(
        communities=communities,
        indicators=indicators,
        reporter=reporter,
        readings=sizes.readings,
        window_days=window_days,
        now=now,
        rng=rng,
    )
    rollups_rebuild([c.pk for c in communities])  # the bulk inserts bypassed the writers' rollups
    return Seeded(
        reporter=reporter,
        token=key,
        work_communities=communities[2 * sizes.alerts :],
        alert_communities=communities[: 2 * sizes.alerts],
        indicators=indicators,
        history_reports=reports,
        history_readings=readings,
    )
