"""The dashboard bench's world: two countries of places, 84 days of reports and readings,
daily assessments and the open alerts, written in bulk (COPY on PostgreSQL).

The history is the past, already scored: the pages read only the assessments; the
readings are there because a production database has them."""

from __future__ import annotations

import csv
import io
import math
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # Django loads only once the bench has set the environment
    from django.db.models import Model

    from ewers.models import Region, User
    from indicators.models import Indicator


LARGE, SMALL = "BX", "BY"  # the two countries' codes
DAYS = 84  # history: 12 weeks
WEEKS = 12  # the matrix the pages draw
READINGS_PER_REPORT = 4
COMMUNITIES_PER_DISTRICT = 20
DISTRICTS_PER_REGION = 10
DISTRICT_COLS = 5  # a district is a block of 5 × 4 community cells; a region a row of blocks
DISTRICT_ROWS = 4
CELL_DEG = 0.02  # a community's square, in degrees
CHUNK_REPORTS = 25_000  # reports (and their readings) per COPY
NARRATIVES = (
    "Routine monitoring round; {n} signals noted.",
    "Follow-up visit after the market-day meeting; {n} signals noted.",
    "Community dialogue session; {n} signals noted.",
)
# A community's risk over the 84 days: (share of communities, base score, rise over the last 5 weeks).
PROFILES = ((0.70, 12.0, 0.0), (0.18, 35.0, 5.0), (0.08, 45.0, 30.0), (0.04, 70.0, 10.0))


class DashboardError(Exception):
    """A dashboard figure could not be taken, or the page disagrees with the raw SQL."""


# --- The places (pure) ----------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    code: str
    name: str
    level: str
    parent: str | None
    boundary: dict[str, Any]


def square(lon: float, lat: float, width: float, height: float) -> dict[str, Any]:
    """A rectangle as a GeoJSON Polygon, counter-clockwise, 5 decimals."""
    x0, y0, x1, y1 = (round(v, 5) for v in (lon, lat, lon + width, lat + height))
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


def places_plan(code: str, communities: int, *, lon: float, lat: float) -> list[Place]:
    """A country of ``communities`` communities, 20 per district and 10 districts per
    region, tiled on a grid; parents before children. Pure."""
    districts = math.ceil(communities / COMMUNITIES_PER_DISTRICT)
    regions = math.ceil(districts / DISTRICTS_PER_REGION)
    block_w, block_h = DISTRICT_COLS * CELL_DEG, DISTRICT_ROWS * CELL_DEG
    width = min(districts, DISTRICTS_PER_REGION) * block_w
    plan = [Place(code, f"Bench country {code}", "country", None, square(lon, lat, width, regions * block_h))]
    for r in range(regions):
        r_code = f"{code}-{r + 1:02d}"
        in_region = range(r * DISTRICTS_PER_REGION, min(districts, (r + 1) * DISTRICTS_PER_REGION))
        y0 = lat + r * block_h
        plan.append(
            Place(
                r_code,
                f"Bench region {code} {r + 1}",
                "region",
                code,
                square(lon, y0, len(in_region) * block_w, block_h),
            )
        )
        for d in in_region:
            d_code = f"{r_code}-{d % DISTRICTS_PER_REGION + 1:02d}"
            x0 = lon + (d % DISTRICTS_PER_REGION) * block_w
            plan.append(
                Place(d_code, f"Bench district {code} {d + 1}", "district", r_code, square(x0, y0, block_w, block_h))
            )
            first = d * COMMUNITIES_PER_DISTRICT
            for k in range(first, min(communities, first + COMMUNITIES_PER_DISTRICT)):
                i = k - first
                cell = square(
                    x0 + (i % DISTRICT_COLS) * CELL_DEG, y0 + (i // DISTRICT_COLS) * CELL_DEG, CELL_DEG, CELL_DEG
                )
                plan.append(
                    Place(f"{d_code}-{i + 1:02d}", f"Bench community {code} {k + 1}", "community", d_code, cell)
                )
    return plan


def matrix_since(now: datetime, zone: tzinfo) -> datetime:
    """Monday 00:00 in ``zone`` (the deployment's ``TIME_ZONE``) of the first of the last
    WEEKS weeks (the current week last), as the heatmap's weeks."""
    today = now.astimezone(zone).date()
    first = today - timedelta(days=today.weekday(), weeks=WEEKS - 1)
    return datetime(first.year, first.month, first.day, tzinfo=zone)


def score_series(rng: random.Random, days: int) -> list[float]:
    """A community's daily scores, today first: a base by profile, a rise over the last
    five weeks for some, and day-to-day noise; within 0–99.5."""
    _share, base, rise = rng.choices(PROFILES, weights=[p[0] for p in PROFILES])[0]
    base += rng.gauss(0, 5)
    scores = []
    for k in range(days):
        trend = rise * max(0.0, (35 - k) / 35)
        scores.append(round(min(99.5, max(0.0, base + trend + rng.gauss(0, 6))), 2))
    return scores


# --- Writing in bulk ------------------------------------------------------------------


class Writer:
    """Appends rows with explicit ids: COPY on PostgreSQL (the volume needs it),
    bulk_create elsewhere (the test suite's SQLite). Sequences are reset at the end."""

    def __init__(self) -> None:
        from django.db import connection

        self.copy = connection.vendor == "postgresql"
        self.written: set[type[Model]] = set()

    @staticmethod
    def next_id(model: type[Model]) -> int:
        from django.db.models import Max

        return int(model._default_manager.aggregate(m=Max("pk"))["m"] or 0) + 1

    def write(self, model: type[Model], columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        from django.db import connection

        if not rows:
            return
        self.written.add(model)
        if not self.copy:
            model._default_manager.bulk_create(
                [model(**dict(zip(columns, row, strict=True))) for row in rows], batch_size=2_000
            )
            return
        buffer = io.StringIO()
        # None → an empty unquoted field, which COPY's csv format reads as NULL.
        csv.writer(buffer).writerows(rows)
        buffer.seek(0)
        names = ", ".join(connection.ops.quote_name(c) for c in columns)
        with connection.cursor() as cursor:
            cursor.cursor.copy_expert(
                f"COPY {connection.ops.quote_name(model._meta.db_table)} ({names}) FROM STDIN WITH (FORMAT csv)",
                buffer,
            )

    def sequences_reset(self) -> None:
        from django.core.management.color import no_style
        from django.db import connection

        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), list(self.written)):
                cursor.execute(statement)


# --- Seeding ------------------------------------------------------------------------


@dataclass
class Country:
    """One seeded country and what it holds."""

    code: str
    country: Region
    coordinator: User
    token: str
    communities: int = 0
    districts: int = 0
    reports: int = 0
    readings: int = 0
    assessments: int = 0
    contributions: int = 0
    alerts: int = 0
    seconds: dict[str, float] = field(default_factory=dict)

    def describe(self) -> str:
        return (
            f"{self.code}: {self.communities:,} communities in {self.districts:,} districts, {self.reports:,} reports, "
            f"{self.readings:,} readings, {self.assessments:,} assessments, {self.contributions:,} contributions, "
            f"{self.alerts:,} open alerts"
        )


def places_write(plan: Sequence[Place]) -> dict[str, Region]:
    """The places, level by level in bulk, with the denormalised ancestor columns the
    hierarchy's constraint wants (what ``region_upsert`` would write, row by row)."""
    from ewers.models import Region

    written: dict[str, Region] = {}
    for level in ("country", "region", "district", "community"):
        rows = []
        for place in plan:
            if place.level != level:
                continue
            parent = written[place.parent] if place.parent else None
            row = Region(code=place.code, name=place.name, level=level, boundary=place.boundary)
            if parent is not None:
                row.parent_id = parent.pk
                row.country_id = parent.country_id or parent.pk
                if level == "district":
                    row.region_id = parent.pk
                if level == "community":
                    row.region_id = parent.region_id
                    row.district_id = parent.pk
            row.outline = place.boundary  # what the maps draw
            rows.append(row)
        for row in Region.objects.bulk_create(rows, batch_size=1_000):
            written[row.code] = row
    return written


def desk_add(code: str, country: Region) -> tuple[User, str]:
    """A coordination desk covering the country, and its coordinator (with the second
    factor the role requires, so the pages open) and an API token."""
    from allauth.mfa.totp.internal.auth import generate_totp_secret

    from ewers.accounts import second_factor_enrol
    from ewers.choices import RiskLevel, Role, Sector
    from ewers.models import Theme
    from ewers.services import api_token_issue, organisation_upsert, user_upsert

    organisation = organisation_upsert(
        code=f"bench-desk-{code.lower()}",
        name=f"Bench coordination desk {code}",
        sector=Sector.GOVERNMENT,
        coverage=[country],
        mandate=Theme.objects.all(),
        min_alert_level=RiskLevel.MODERATE,
    )
    user, _created = user_upsert(
        username=f"bench.coordinator.{code.lower()}",
        organisation=organisation,
        role=Role.COORDINATOR,
        first_name="Bench",
        last_name=f"Coordinator {code}",
    )
    second_factor_enrol(user=user, secret=generate_totp_secret())
    _token, key = api_token_issue(user=user)
    return user, key


REPORT_COLUMNS = (
    "id",
    "community_id",
    "observed_at",
    "received_at",
    "source_reliability",
    "information_credibility",
    "narrative",
    "verification",
    "handling_level",
    "status",
    "scored_at",
    "scoring_attempts",
    "created_by_id",
    "organisation_id",
)
READING_COLUMNS = ("id", "report_id", "indicator_id", "value")
ASSESSMENT_COLUMNS = (
    "id",
    "community_id",
    "assessed_at",
    "score",
    "raw_score",
    "level",
    "report_id",
    "cause",
    "triggered",
)
CONTRIBUTION_COLUMNS = ("id", "assessment_id", "indicator_id", "indicator_version", "report_id", "amount")

# What a community's latest assessment is explained by: its latest reports' readings.
Latest = dict[int, list[tuple[datetime, int, list[tuple[int, float]]]]]


def reports_write(
    writer: Writer,
    *,
    community_ids: Sequence[int],
    indicators: Sequence[Indicator],
    user: User,
    readings: int,
    now: datetime,
    rng: random.Random,
) -> tuple[int, int, Latest]:
    """``readings`` readings, 4 per report, spread over the communities and DAYS days;
    returns (reports, readings, each community's two latest reports)."""
    from bench.seed import VALUE_WEIGHTS, VALUES
    from demo.reports import GRADE_WEIGHTS, GRADES
    from ewers.choices import HandlingLevel
    from indicators.choices import Category, ReportStatus, Verification
    from indicators.models import FieldReport, Reading

    verifications = (Verification.UNVERIFIED.value, Verification.VERIFIED.value, Verification.DISPUTED.value)
    total = math.ceil(readings / READINGS_PER_REPORT)
    report_id, reading_id = Writer.next_id(FieldReport), Writer.next_id(Reading)
    latest: Latest = {}
    written = 0
    while written < total:
        reports: list[tuple[Any, ...]] = []
        values: list[tuple[Any, ...]] = []
        for _ in range(min(CHUNK_REPORTS, total - written)):
            community = rng.choice(community_ids)
            observed_at = now - timedelta(days=rng.uniform(0.05, DAYS))
            received_at = min(now, observed_at + timedelta(minutes=rng.uniform(5, 240)))
            reliability, credibility = rng.choices(GRADES, weights=GRADE_WEIGHTS)[0]
            sampled = rng.sample(indicators, READINGS_PER_REPORT)
            # As a report filed through the service: its indicators' highest handling level.
            handling = HandlingLevel.highest([i.handling_level for i in sampled])
            reports.append(
                (
                    report_id,
                    community,
                    observed_at,
                    received_at,
                    reliability,
                    credibility,
                    rng.choice(NARRATIVES).format(n=READINGS_PER_REPORT),
                    rng.choices(verifications, weights=(90, 8, 2))[0],
                    handling,
                    ReportStatus.SCORED.value,
                    received_at,
                    1,
                    user.pk,
                    user.organisation_id,
                )
            )
            seen = []
            for indicator in sampled:
                # A trigger seen in the past is "rumoured": below its critical threshold.
                if indicator.category == Category.TRIGGER:
                    value = indicator.scale_min + 1
                else:
                    value = float(min(indicator.scale_max, rng.choices(VALUES, weights=VALUE_WEIGHTS)[0]))
                values.append((reading_id, report_id, indicator.pk, value))
                seen.append((indicator.pk, value))
                reading_id += 1
            kept = latest.setdefault(community, [])
            if len(kept) < 2 or observed_at > kept[-1][0]:
                kept.append((observed_at, report_id, seen))
                kept.sort(reverse=True)
                del kept[2:]
            report_id += 1
        writer.write(FieldReport, REPORT_COLUMNS, reports)
        writer.write(Reading, READING_COLUMNS, values)
        written += len(reports)
    return written, total * READINGS_PER_REPORT, latest


def assessments_write(
    writer: Writer,
    *,
    community_ids: Sequence[int],
    latest: Latest,
    indicators: Sequence[Indicator],
    now: datetime,
    rng: random.Random,
) -> tuple[int, int, list[tuple[int, int, str, datetime]]]:
    """One assessment per community per day, today's explained by contributions; returns
    (assessments, contributions, each community's latest as (community, id, level, at))."""
    from django.conf import settings

    from indicators.choices import AssessmentCause
    from indicators.models import Contribution, RiskAssessment
    from indicators.scoring import band_level

    saturation = float(settings.EWERS_SCORE_SATURATION)
    bands = tuple(settings.EWERS_LEVEL_BANDS)
    weights = {i.pk: i.weight for i in indicators}
    versions = {i.pk: i.version for i in indicators}
    assessment_id, contribution_id = Writer.next_id(RiskAssessment), Writer.next_id(Contribution)
    rows: list[tuple[Any, ...]] = []
    contributions: list[tuple[Any, ...]] = []
    current: list[tuple[int, int, str, datetime]] = []
    for community in community_ids:
        reports = latest.get(community, [])
        for k, score in enumerate(score_series(rng, DAYS)):
            assessed_at = now - timedelta(days=k, minutes=rng.uniform(1, 600))
            raw = -saturation * math.log(1 - score / 100)
            level = band_level(score, bands)  # type: ignore[arg-type]
            explained = k == 0 and bool(reports)
            rows.append(
                (
                    assessment_id,
                    community,
                    assessed_at,
                    score,
                    raw,
                    level,
                    reports[0][1] if explained else None,
                    AssessmentCause.REPORT.value if explained else AssessmentCause.DECAY.value,
                    False,
                )
            )
            if k == 0:
                current.append((community, assessment_id, level, assessed_at))
            if explained:
                readings = [(report, indicator, value) for _, report, seen in reports for indicator, value in seen]
                shares = [weights[indicator] * (value + 0.5) for _, indicator, value in readings]
                for (report, indicator, _value), share in zip(readings, shares, strict=True):
                    amount = raw * share / sum(shares)
                    contributions.append(
                        (contribution_id, assessment_id, indicator, versions[indicator], report, amount)
                    )
                    contribution_id += 1
            assessment_id += 1
        if len(rows) >= CHUNK_REPORTS * 2:
            writer.write(RiskAssessment, ASSESSMENT_COLUMNS, rows)
            rows = []
    writer.write(RiskAssessment, ASSESSMENT_COLUMNS, rows)
    writer.write(Contribution, CONTRIBUTION_COLUMNS, contributions)
    return len(community_ids) * DAYS, len(contributions), current


def alerts_write(current: Sequence[tuple[int, int, str, datetime]]) -> int:
    """An open alert for each community whose latest level is high or critical."""
    from alerts.models import Alert
    from ewers.choices import RiskLevel

    raised = [
        Alert(community_id=community, level=level, assessment_id=assessment, opened_at=at)
        for community, assessment, level, at in current
        if level in (RiskLevel.HIGH, RiskLevel.CRITICAL)
    ]
    Alert.objects.bulk_create(raised, batch_size=1_000)
    return len(raised)


def country_seed(code: str, *, communities: int, readings: int, lon: float, now: datetime, seed: int) -> Country:
    """One country with its desk, coordinator and 84 days of scored history."""
    from django.db import transaction

    from demo.catalogue import seed_catalogue
    from indicators.models import Indicator
    from indicators.services import risk_rebuild
    from indicators.services.rollups import rollups_rebuild

    rng = random.Random(seed)  # noqa: S311 - synthetic history, not cryptography
    seconds: dict[str, float] = {}
    started = time.monotonic()
    with transaction.atomic():
        if not Indicator.objects.exists():  # ``--only dashboard``: no demo seeded
            seed_catalogue()
        indicators = list(Indicator.objects.filter(is_active=True).order_by("code"))
        written = places_write(places_plan(code, communities, lon=lon, lat=5.0))
        coordinator, token = desk_add(code, written[code])
        community_ids = [r.pk for r in written.values() if r.level == "community"]
        result = Country(code=code, country=written[code], coordinator=coordinator, token=token)
        result.communities = len(community_ids)
        result.districts = sum(1 for r in written.values() if r.level == "district")
        seconds["places"] = time.monotonic() - started
        writer = Writer()
        result.reports, result.readings, latest = reports_write(
            writer,
            community_ids=community_ids,
            indicators=indicators,
            user=coordinator,
            readings=readings,
            now=now,
            rng=rng,
        )
        # The COPY bypassed the writers, which keep the daily rollups of surges and silence.
        rollups_rebuild(community_ids)
        seconds["reports"] = time.monotonic() - started - sum(seconds.values())
        result.assessments, result.contributions, current = assessments_write(
            writer, community_ids=community_ids, latest=latest, indicators=indicators, now=now, rng=rng
        )
        result.alerts = alerts_write(current)
        writer.sequences_reset()
        seconds["assessments"] = time.monotonic() - started - sum(seconds.values())
        # The COPY bypassed the scorer, which keeps each community's current and weekly
        # risk with every assessment: the same rows, recomputed from the assessments.
        risk_rebuild(community_ids=community_ids)
        seconds["precomputed risk"] = time.monotonic() - started - sum(seconds.values())
    result.seconds = seconds
    return result
