"""The dashboard benchmark: the coordinator's heatmap page and the heatmap API at scale,
beside one hand-written SQL statement that computes the same numbers.

Two countries of the bench's own, built the same way: a large one (``BX``, 2,000
communities and 1,000,000 readings over 84 days by default) for the timings and a small
one (``BY``, 200 communities) for the query counts, which must not grow with the number
of communities. Each has one coordination desk covering it and one coordinator, so a
coordinator sees exactly that country. The history is the past, already scored: reports,
readings, one assessment per community per day, the contributions of each community's
latest assessment and the open alerts of the high ones, written in bulk (COPY on
PostgreSQL). The pages read only the assessments; the readings are there because a
production database has them.
"""

from __future__ import annotations

import csv
import io
import json
import math
import random
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from bench.pipeline import timed
from bench.stats import Row, percentile

if TYPE_CHECKING:  # Django loads only once the bench has set the environment
    from django.db.models import Model

    from bench.config import Sizes
    from ewers.models import Region, User
    from indicators.models import Indicator

SEED = 20240612
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
WARM_UPS = 2  # untimed requests before the clock starts
CHECKED_AREAS = 5  # areas whose numbers are compared with the raw SQL's
# The API may round what it returns; a difference beyond half a point of the last decimal
# it could round to (one decimal) is a real disagreement.
TOLERANCE = 0.051
LEVELS = ("community", "district")
PAGE_URL = "/heatmap/?level={level}"
API_URL = "/api/v1/heatmap/?level={level}&weeks=" + str(WEEKS)
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


def matrix_since(now: datetime) -> datetime:
    """Monday 00:00 UTC of the first of the last WEEKS weeks (the current week last)."""
    today = now.astimezone(UTC).date()
    first = today - timedelta(days=today.weekday(), weeks=WEEKS - 1)
    return datetime(first.year, first.month, first.day, tzinfo=UTC)


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
    """A coordination desk covering the country, and its coordinator with an API token."""
    from rest_framework.authtoken.models import Token

    from ewers.choices import RiskLevel, Role, Sector
    from ewers.models import Theme
    from ewers.services import organisation_upsert, user_upsert

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
    token, _created = Token.objects.get_or_create(user=user)
    return user, token.key


REPORT_COLUMNS = (
    "id",
    "community_id",
    "observed_at",
    "received_at",
    "source_reliability",
    "information_credibility",
    "narrative",
    "verification",
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
    from ewers.demo import GRADE_WEIGHTS, GRADES
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
                    ReportStatus.SCORED.value,
                    received_at,
                    1,
                    user.pk,
                    user.organisation_id,
                )
            )
            seen = []
            for indicator in rng.sample(indicators, READINGS_PER_REPORT):
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

    from ewers.demo import seed_catalogue
    from indicators.models import Indicator

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
        seconds["reports"] = time.monotonic() - started - sum(seconds.values())
        result.assessments, result.contributions, current = assessments_write(
            writer, community_ids=community_ids, latest=latest, indicators=indicators, now=now, rng=rng
        )
        result.alerts = alerts_write(current)
        writer.sequences_reset()
        seconds["assessments"] = time.monotonic() - started - sum(seconds.values())
    result.seconds = seconds
    return result


# --- The same numbers, by hand -----------------------------------------------------

# One statement per level: the latest assessment per community (the index on
# (community, -assessed_at), one probe per community), per area; and each community's
# highest score per week over the matrix's weeks, per area. Rows: (kind, area id, week, value).
RAW_SQL_COMMUNITY = """
WITH c AS (
    SELECT id FROM ewers_region WHERE level = 'community' AND country_id = %(country)s
), latest AS (
    SELECT c.id AS area, a.score
    FROM c CROSS JOIN LATERAL (
        SELECT score FROM indicators_riskassessment r
        WHERE r.community_id = c.id ORDER BY r.assessed_at DESC, r.id DESC LIMIT 1
    ) a
), weekly AS (
    SELECT r.community_id AS area, date_trunc('week', r.assessed_at AT TIME ZONE 'UTC') AS week, max(r.score) AS value
    FROM indicators_riskassessment r JOIN c ON c.id = r.community_id
    WHERE r.assessed_at >= %(since)s
    GROUP BY 1, 2
)
SELECT 'score', area, NULL::timestamp, score FROM latest
UNION ALL
SELECT 'cell', area, week, value FROM weekly
"""
RAW_SQL_DISTRICT = """
WITH c AS (
    SELECT id, district_id FROM ewers_region WHERE level = 'community' AND country_id = %(country)s
), latest AS (
    SELECT c.district_id AS area, a.score
    FROM c CROSS JOIN LATERAL (
        SELECT score FROM indicators_riskassessment r
        WHERE r.community_id = c.id ORDER BY r.assessed_at DESC, r.id DESC LIMIT 1
    ) a
), weekly AS (
    SELECT c.district_id AS area, r.community_id,
           date_trunc('week', r.assessed_at AT TIME ZONE 'UTC') AS week, max(r.score) AS value
    FROM indicators_riskassessment r JOIN c ON c.id = r.community_id
    WHERE r.assessed_at >= %(since)s
    GROUP BY 1, 2, 3
)
SELECT 'score', area, NULL::timestamp, avg(score) FROM latest GROUP BY area
UNION ALL
SELECT 'cell', area, week, avg(value) FROM weekly GROUP BY area, week
"""
RAW_SQL = {"community": RAW_SQL_COMMUNITY, "district": RAW_SQL_DISTRICT}

# (kind, area id, week start or None) → value
Numbers = dict[tuple[str, int, date | None], float]


def raw_numbers(cursor: Any, level: str, *, country_id: int, since: datetime) -> Numbers:
    """Run the level's statement on a DB-API cursor (PostgreSQL) and key its rows."""
    cursor.execute(RAW_SQL[level], {"country": country_id, "since": since})
    return {
        (kind, int(area), week.date() if week is not None else None): float(value)
        for kind, area, week, value in cursor.fetchall()
    }


def reference_numbers(level: str, *, country_id: int, since: datetime) -> Numbers:
    """The same numbers in Python over the ORM (for databases the raw SQL is not written for)."""
    from indicators.models import RiskAssessment

    rows = RiskAssessment.objects.filter(community__country_id=country_id).values_list(
        "id", "community_id", "community__district_id", "assessed_at", "score"
    )
    latest: dict[int, tuple[datetime, int, float]] = {}
    weekly: dict[tuple[int, date], float] = {}
    area_of: dict[int, int] = {}
    for pk, community, district, assessed_at, score in rows:
        area_of[community] = community if level == "community" or district is None else district
        if community not in latest or (assessed_at, pk) > latest[community][:2]:
            latest[community] = (assessed_at, pk, score)
        if assessed_at >= since:
            day = assessed_at.astimezone(UTC).date()
            week = day - timedelta(days=day.weekday())
            weekly[community, week] = max(score, weekly.get((community, week), score))
    grouped: dict[tuple[str, int, date | None], list[float]] = {}
    for community, (_at, _pk, score) in latest.items():
        grouped.setdefault(("score", area_of[community], None), []).append(score)
    for (community, week), value in weekly.items():
        grouped.setdefault(("cell", area_of[community], week), []).append(value)
    return {key: sum(values) / len(values) for key, values in grouped.items()}


class Agreement:
    """Counts values that equal the expected ones; raises DashboardError on the first that
    does not, so a baseline that computes something else cannot pass for one."""

    def __init__(self, expected: Numbers, what: str) -> None:
        self.expected = expected
        self.what = what
        self.agreed = 0

    def same(self, got: Any, key: tuple[str, int, date | None], where: str) -> None:
        want = self.expected.get(key)
        if (got is None) != (want is None) or (want is not None and abs(float(got) - want) > TOLERANCE):
            raise DashboardError(f"{self.what}: {where} is {got}, the raw SQL says {want}.")
        self.agreed += 1


def spread(items: Sequence[Any]) -> Sequence[Any]:
    """CHECKED_AREAS items spread over the sequence, first included."""
    return items[:: max(1, len(items) // CHECKED_AREAS)][:CHECKED_AREAS]


def api_check(payload: dict[str, Any], agreement: Agreement, codes: dict[str, int]) -> None:
    """The API's scores and matrix cells of a few areas against the expected numbers."""
    areas = payload.get("areas") or []
    matrix = payload.get("matrix") or {}
    if not areas or not matrix.get("areas"):
        raise DashboardError(f"{agreement.what}: no areas in the answer.")
    weeks = [date.fromisoformat(str(w)[:10]) for w in matrix["weeks"]]
    rows = dict(zip(matrix["areas"], matrix["values"], strict=True))
    for area in spread(areas):
        code = area["code"]
        if code not in codes:
            raise DashboardError(f"{agreement.what}: area {code!r} is not in the bench country.")
        agreement.same(area.get("score"), ("score", codes[code], None), f"the score of {code}")
        for week, value in zip(weeks, rows[code], strict=True):
            agreement.same(value, ("cell", codes[code], week), f"the cell {code} × {week}")


def json_script(html: str, element_id: str) -> Any:
    """The data of a ``json_script`` element of the page, or None."""
    match = re.search(rf'<script[^>]*id="{re.escape(element_id)}"[^>]*>(.*?)</script>', html, re.DOTALL)
    return json.loads(match.group(1)) if match else None


def page_check(html: str, agreement: Agreement, codes: dict[str, int], names: dict[str, str], since: datetime) -> None:
    """The page's map (z by location code) and matrix (z by area name, weeks in order)
    of a few areas against the expected numbers."""
    figure = json_script(html, "heatmap-map-figure")
    matrix = json_script(html, "heatmap-matrix-figure")
    if not figure or not matrix:
        raise DashboardError(f"{agreement.what}: the page has no map or matrix figure.")
    scores: dict[str, Any] = {}
    for trace in figure.get("data", []):
        if isinstance(trace.get("z"), list):
            scores.update(zip(trace.get("locations", []), trace["z"], strict=True))
    if not scores:
        raise DashboardError(f"{agreement.what}: the map colours no area.")
    for code in spread(sorted(scores)):
        agreement.same(scores[code], ("score", codes[code], None), f"the map's score of {code}")
    first = since.date()
    weeks = [first + timedelta(weeks=i) for i in range(WEEKS)]
    trace = matrix["data"][0]
    rows = dict(zip(trace["y"], trace["z"], strict=True))
    for name in spread(sorted(rows)):
        for week, value in zip(weeks, rows[name], strict=True):
            agreement.same(value, ("cell", codes[names[name]], week), f"the matrix cell {name} × {week}")


# --- Measuring ------------------------------------------------------------------------


@dataclass
class Series:
    """One URL's timed requests and its query count."""

    ms: list[float]
    queries: int

    def p(self, q: float) -> float:
        return percentile(self.ms, q)


def clients(country: Country) -> dict[str, Any]:
    """The coordinator's browser (session) and API client (token)."""
    from django.test import Client

    # A view's exception answers 500 and fails that figure only, as a server would.
    browser = Client(raise_request_exception=False)
    browser.force_login(country.coordinator)
    api = Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Token {country.token}")
    return {"page": browser, "api": api}


def get_ok(client: Any, url: str) -> Any:
    response = client.get(url)
    if response.status_code != 200:
        body = " ".join(response.content[:2000].decode("utf-8", "replace").split())[:200]
        raise DashboardError(f"GET {url} answered {response.status_code}: {body}")
    return response


def queries_count(client: Any, url: str) -> int:
    """SQL queries of one request (an untimed one: capturing slows the cursor)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        get_ok(client, url)
    return len(captured.captured_queries)


def series_take(client: Any, url: str, requests: int) -> Series:
    """WARM_UPS untimed requests, then ``requests`` timed ones (server time in-process)."""
    for _ in range(WARM_UPS):
        get_ok(client, url)
    ms = []
    for _ in range(requests):
        started = time.perf_counter()
        get_ok(client, url)
        ms.append((time.perf_counter() - started) * 1000)
    return Series(ms=ms, queries=queries_count(client, url))


def raw_series(connect: Callable[[], Any], level: str, *, country_id: int, since: datetime, requests: int) -> Series:
    """The raw statement's time over its own connection (execute and fetch all rows)."""
    conn = connect()
    try:
        with conn.cursor() as cursor:
            for _ in range(WARM_UPS):
                raw_numbers(cursor, level, country_id=country_id, since=since)
            ms = []
            for _ in range(requests):
                started = time.perf_counter()
                raw_numbers(cursor, level, country_id=country_id, since=since)
                ms.append((time.perf_counter() - started) * 1000)
        conn.rollback()
    finally:
        conn.close()
    return Series(ms=ms, queries=1)


def expected_numbers(level: str, *, country_id: int, since: datetime) -> Numbers:
    """What the page must show: the raw SQL's on PostgreSQL, the Python reference elsewhere."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            return raw_numbers(cursor, level, country_id=country_id, since=since)
    return reference_numbers(level, country_id=country_id, since=since)


def area_codes(country: Country, level: str) -> tuple[dict[str, int], dict[str, str]]:
    """The country's areas of a level: code → id, and name → code."""
    from ewers.models import Region

    rows = Region.objects.filter(country=country.country, level=level).values_list("code", "pk", "name")
    return {code: pk for code, pk, _name in rows}, {name: code for code, _pk, name in rows}


@dataclass
class Results:
    """Everything the dashboard part measured; a step that failed leaves its figures None."""

    large: Country | None = None
    small: Country | None = None
    series: dict[tuple[str, str, str], Series] = field(default_factory=dict)  # (size, kind, level)
    raw: dict[str, Series] = field(default_factory=dict)  # level → raw SQL baseline
    checked: int = 0
    failures: list[str] = field(default_factory=list)


def measure(results: Results, *, requests: int, now: datetime, connect: Callable[[], Any] | None) -> None:
    """Page and API at both sizes, the raw SQL baseline (when ``connect`` gives a
    psycopg2 connection) and the numbers check."""
    since = matrix_since(now)
    if results.large is not None and connect is not None:
        for level in LEVELS:
            results.raw[level] = raw_series(
                connect, level, country_id=results.large.country.pk, since=since, requests=requests
            )
    if results.failures:  # the pages are missing
        return
    for size, country in (("large", results.large), ("small", results.small)):
        if country is None:
            continue
        by_kind = clients(country)
        for level in LEVELS:
            for kind, template in (("page", PAGE_URL), ("api", API_URL)):
                url = template.format(level=level)
                try:
                    results.series[size, kind, level] = series_take(by_kind[kind], url, requests)
                    expected = expected_numbers(level, country_id=country.country.pk, since=since)
                    agreement = Agreement(expected, f"GET {url} ({country.code})")
                    response = get_ok(by_kind[kind], url)
                    codes, names = area_codes(country, level)
                    if kind == "api":
                        api_check(response.json(), agreement, codes)
                    else:
                        page_check(response.content.decode(), agreement, codes, names, since)
                    results.checked += agreement.agreed
                except DashboardError as error:
                    results.failures.append(str(error))


def seed(sizes: Sizes, *, now: datetime) -> tuple[Country, Country]:
    """The large and the small country (the small one with readings in proportion)."""
    large = country_seed(
        LARGE, communities=sizes.dashboard_communities, readings=sizes.dashboard_readings, lon=110.0, now=now, seed=SEED
    )
    share = sizes.dashboard_small / sizes.dashboard_communities
    small = country_seed(
        SMALL,
        communities=sizes.dashboard_small,
        readings=round(sizes.dashboard_readings * share),
        lon=120.0,
        now=now,
        seed=SEED + 1,
    )
    statistics_refresh()
    return large, small


def statistics_refresh() -> None:
    """Fresh planner statistics of the tables written, as autovacuum would give tables
    that grew slowly (PostgreSQL, outside a transaction)."""
    from django.db import connection

    from alerts.models import Alert
    from ewers.models import Region
    from indicators.models import Contribution, FieldReport, Reading, RiskAssessment

    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    tables = ", ".join(
        connection.ops.quote_name(m._meta.db_table)
        for m in (Region, FieldReport, Reading, RiskAssessment, Contribution, Alert)
    )
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {tables}")


def rows_make(results: Results, sizes: Sizes) -> list[Row]:
    """The dashboard's lines of the table: each timing beside the raw SQL of the same
    numbers, and each query count at the large size beside the same at the small one."""
    rows: list[Row] = []
    names = {"page": "heatmap page", "api": "heatmap API"}
    for kind in ("page", "api"):
        for level in LEVELS:
            series, raw = results.series.get(("large", kind, level)), results.raw.get(level)
            for q in (50, 95):
                rows.append(
                    Row(
                        f"{names[kind]}, {level} p{q}",
                        series.p(q) if series else None,
                        "ms",
                        f"raw SQL, same numbers p{q}",
                        raw.p(q) if raw else None,
                    )
                )
    for kind in ("page", "api"):
        for level in LEVELS:
            large, small = results.series.get(("large", kind, level)), results.series.get(("small", kind, level))
            rows.append(
                Row(
                    f"{names[kind]}, {level}: SQL queries",
                    large.queries if large else None,
                    "queries",
                    f"same at {sizes.dashboard_small:,} communities",
                    small.queries if small else None,
                )
            )
    return rows


def header_lines(results: Results, sizes: Sizes, seed_seconds: float) -> list[str]:
    lines = [f"EWERS dashboard bench — the coordinator's heatmap at {sizes.dashboard_communities:,} communities"]
    for country in (results.large, results.small):
        if country is not None:
            parts = ", ".join(f"{k} {v:.1f}s" for k, v in country.seconds.items())
            lines.append(f"  {country.describe()} (seeded in {sum(country.seconds.values()):.1f}s: {parts})")
    lines += [
        f"seeding the dashboard data took {seed_seconds:.1f}s (bulk: COPY on PostgreSQL)",
        f"page and API: Django test client in-process (full middleware; session login for the page, token for the "
        f"API), {WARM_UPS} warm-ups then {sizes.dashboard_requests} timed requests each; query counts from one more "
        "request under CaptureQueriesContext",
        "raw baseline: one hand-written SQL statement per level over psycopg2 (latest assessment per community via "
        f"its index, per area; each community's weekly max over {WEEKS} weeks, per area), execute + fetch, "
        "same warm-ups and count",
        f"numbers check: the scores and matrix cells of the API and of the page (its map and matrix figures) equal "
        f"the raw SQL's for {CHECKED_AREAS} areas per level and size ({results.checked:,} values agreed, tolerance "
        f"{TOLERANCE})",
    ]
    return lines


def run(database_url: str, sizes: Sizes) -> tuple[list[str], list[Row], list[str]]:
    """Seed, measure; returns (header lines, table rows, failures)."""
    import psycopg2  # type: ignore[import-untyped]
    from django.core.management import call_command
    from django.urls import Resolver404, resolve
    from django.utils import timezone

    now = timezone.now()
    results = Results()
    started = time.monotonic()
    results.large, results.small = seed(sizes, now=now)
    seed_seconds = time.monotonic() - started  # ANALYZE included
    # As deployed (DEBUG off): the pages' static files come from collectstatic's manifest.
    with timed("collectstatic"):
        call_command("collectstatic", interactive=False, verbosity=0)
    for template in (PAGE_URL, API_URL):
        path = template.split("?")[0]
        try:
            resolve(path)
        except Resolver404:
            results.failures.append(f"The product has no {path} (not written yet?).")
    measure(results, requests=sizes.dashboard_requests, now=now, connect=lambda: psycopg2.connect(database_url))
    return header_lines(results, sizes, seed_seconds), rows_make(results, sizes), results.failures
