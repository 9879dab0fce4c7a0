"""The demo deployment: a fictional country with partners, indicators and 90 days of reports.

Everything here is synthetic. No real place, boundary, organisation or person is
described: the country "Negara Harmoni" and its communities are invented, and the
boundaries are a jittered grid that tiles the map. The generator is deterministic
(a fixed random seed), and every object is keyed by a stable code, so seeding twice
gives the same data.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from alerts.choices import AlertState, AssignmentState
from alerts.models import Assignment
from alerts.services import assignment_acknowledge, assignment_start, assignments_mark_overdue
from ewers.choices import RegionLevel, RiskLevel, Role, Sector
from ewers.models import Organisation, Region, Theme, User
from ewers.services import organisation_upsert, region_upsert, theme_upsert, user_upsert
from indicators.choices import AssessmentCause, Category, Polarity, ReportStatus
from indicators.models import FieldReport, Indicator
from indicators.services import ReadingInput, community_assess, field_report_create, indicator_upsert, report_score

DEMO_PASSWORD = "ewers-demo"  # noqa: S105 - the published demo password (API.md); DEBUG only
SEED = 20231129
DAYS = 90

# --- Places -------------------------------------------------------------------------

COUNTRY = ("HM", "Negara Harmoni")
REGIONS = ["Tanjung Seri", "Bukit Damai", "Lembah Hijau", "Pesisir Biru"]
DISTRICTS = [
    "Kuala Meranti",
    "Sungai Kecil",
    "Batu Lintang",
    "Padang Tengah",
    "Bandar Sentosa",
    "Ayer Jernih",
    "Simpang Tiga",
    "Bukit Kijang",
    "Telok Mas",
    "Pantai Indah",
    "Kota Lama",
    "Sri Layang",
]
COMMUNITY_PREFIXES = ["Kampung", "Taman", "Pekan", "Kuala", "Sungai", "Bukit", "Padang", "Batu", "Ayer", "Tanjung"]
COMMUNITY_NAMES = [
    "Cempaka",
    "Melati",
    "Kenanga",
    "Seroja",
    "Dahlia",
    "Teratai",
    "Angsana",
    "Merbau",
    "Jati",
    "Cengal",
    "Rambai",
    "Durian",
    "Manggis",
    "Pulasan",
    "Langsat",
    "Rambutan",
    "Nangka",
    "Kelapa",
    "Pinang",
    "Nipah",
    "Bakau",
    "Ru",
    "Keruing",
    "Meranti",
    "Tembusu",
    "Kasturi",
    "Delima",
    "Belimbing",
    "Kemuning",
    "Tualang",
    "Gaharu",
    "Sena",
    "Ara",
    "Beringin",
    "Buluh",
    "Rotan",
    "Pandan",
    "Serai",
    "Kunyit",
    "Lada",
    "Cendana",
    "Mawar",
    "Anggerik",
    "Raya",
    "Baru",
    "Lama",
    "Jaya",
    "Indah",
    "Permai",
    "Setia",
    "Aman",
    "Makmur",
    "Bahagia",
    "Sejahtera",
    "Harapan",
    "Murni",
    "Budiman",
    "Mutiara",
    "Intan",
    "Zamrud",
]

# The map: a grid of GRID_COLS × GRID_ROWS community cells over this box; the four
# regions are its quadrants and each district a column of five cells in one quadrant.
GRID_COLS, GRID_ROWS = 6, 10
LON_WEST, LAT_SOUTH, CELL_DEG = 101.0, 1.5, 0.5
JITTER_DEG = 0.14


def _vertex_grid(rng: random.Random) -> list[list[tuple[float, float]]]:
    """Shared corner points of the cells; inner points jittered so the map looks organic.

    Neighbouring cells use the same corners, so the polygons tile without gaps.
    """
    grid = []
    for col in range(GRID_COLS + 1):
        column = []
        for row in range(GRID_ROWS + 1):
            lon = LON_WEST + col * CELL_DEG
            lat = LAT_SOUTH + row * CELL_DEG
            if 0 < col < GRID_COLS and 0 < row < GRID_ROWS:
                lon += rng.uniform(-JITTER_DEG, JITTER_DEG)
                lat += rng.uniform(-JITTER_DEG, JITTER_DEG)
            column.append((round(lon, 5), round(lat, 5)))
        grid.append(column)
    return grid


def _block_polygon(grid: list[list[tuple[float, float]]], cols: range, rows: range) -> dict[str, Any]:
    """The outline of a rectangular block of cells, counter-clockwise, as a GeoJSON Polygon."""
    c0, c1, r0, r1 = cols.start, cols.stop, rows.start, rows.stop
    ring = [grid[c][r0] for c in range(c0, c1 + 1)]  # south edge, west to east
    ring += [grid[c1][r] for r in range(r0 + 1, r1 + 1)]  # east edge, south to north
    ring += [grid[c][r1] for c in range(c1 - 1, c0 - 1, -1)]  # north edge, east to west
    ring += [grid[c0][r] for r in range(r1 - 1, r0 - 1, -1)]  # west edge, north to south
    return {"type": "Polygon", "coordinates": [[list(p) for p in ring]]}


@dataclass(frozen=True)
class PlaceSpec:
    """One place of the demo map, before it is written."""

    code: str
    name: str
    level: str
    parent_code: str | None
    boundary: dict[str, Any]


def plan_places() -> list[PlaceSpec]:
    """Country, 4 regions, 12 districts and 60 communities with tiling boundaries, parents first.

    Pure: the same list on every call.
    """
    grid = _vertex_grid(random.Random(SEED))
    code = COUNTRY[0]
    plan = [
        PlaceSpec(code, COUNTRY[1], RegionLevel.COUNTRY, None, _block_polygon(grid, range(GRID_COLS), range(GRID_ROWS)))
    ]
    half_cols, half_rows = GRID_COLS // 2, GRID_ROWS // 2
    community_index = 0
    for r_index, r_name in enumerate(REGIONS):
        col0 = (r_index % 2) * half_cols
        row0 = (1 - r_index // 2) * half_rows  # regions 1-2 in the north, 3-4 in the south
        r_code = f"{code}-{r_index + 1:02d}"
        plan.append(
            PlaceSpec(
                r_code,
                r_name,
                RegionLevel.REGION,
                code,
                _block_polygon(grid, range(col0, col0 + half_cols), range(row0, row0 + half_rows)),
            )
        )
        for d_index in range(half_cols):
            col = col0 + d_index
            d_code = f"{r_code}-{d_index + 1:02d}"
            plan.append(
                PlaceSpec(
                    d_code,
                    DISTRICTS[r_index * half_cols + d_index],
                    RegionLevel.DISTRICT,
                    r_code,
                    _block_polygon(grid, range(col, col + 1), range(row0, row0 + half_rows)),
                )
            )
            for c_index in range(half_rows):
                row = row0 + c_index
                prefix = COMMUNITY_PREFIXES[(community_index * 7) % len(COMMUNITY_PREFIXES)]
                plan.append(
                    PlaceSpec(
                        f"{d_code}-{c_index + 1:02d}",
                        f"{prefix} {COMMUNITY_NAMES[community_index]}",
                        RegionLevel.COMMUNITY,
                        d_code,
                        _block_polygon(grid, range(col, col + 1), range(row, row + 1)),
                    )
                )
                community_index += 1
    return plan


def seed_places(plan: list[PlaceSpec]) -> dict[str, Region]:
    places: dict[str, Region] = {}
    for spec in plan:
        places[spec.code], _ = region_upsert(
            code=spec.code,
            name=spec.name,
            level=spec.level,
            parent=places[spec.parent_code] if spec.parent_code else None,
            boundary=spec.boundary,
        )
    return places


# --- Themes and indicators ----------------------------------------------------------

THEMES = {
    "online-radicalisation": ("Online radicalisation", "Exposure to and spread of extremist content online."),
    "recruitment": ("Recruitment", "Efforts to draw people into violent extremist groups."),
    "hate-speech": ("Hate speech", "Speech that dehumanises or incites against a group."),
    "intercommunal-tension": ("Intercommunal tension", "Friction between religious or ethnic communities."),
    "travel-conflict-zones": ("Travel to conflict zones", "Intent or movement to join fighting abroad."),
    "weapons-explosives": ("Weapons and explosives", "Acquisition or handling of weapons or precursors."),
    "threats-target": ("Threats against a target", "Threats against people, places of worship or officials."),
    "social-exclusion": ("Social exclusion and grievance", "Marginalisation, discrimination and unmet needs."),
}

ORDINAL_LABELS = {"0": "not observed", "1": "isolated", "2": "recurring", "3": "widespread", "4": "severe"}


@dataclass(frozen=True)
class IndicatorSpec:
    code: str
    name: str
    category: str
    theme: str
    weight: float
    half_life_days: float
    polarity: str = Polarity.RISK
    thresholds: tuple[float, float, float] = (2, 3, 4)
    description: str = ""


INDICATORS = [
    # Structural: slow background conditions, fading over months.
    IndicatorSpec(
        "S01",
        "Youth unemployment and idleness",
        Category.STRUCTURAL,
        "social-exclusion",
        0.6,
        120,
        description="Young people without work, study or structured activity.",
    ),
    IndicatorSpec(
        "S02",
        "Perceived discrimination and grievance",
        Category.STRUCTURAL,
        "social-exclusion",
        0.8,
        120,
        description="Widely shared sense of unfair treatment by authorities or other groups.",
    ),
    IndicatorSpec(
        "S03",
        "Extremist content circulating locally",
        Category.STRUCTURAL,
        "online-radicalisation",
        0.9,
        90,
        description="Extremist material shared in local chat groups or pages.",
    ),
    IndicatorSpec(
        "S04",
        "Returnees without reintegration support",
        Category.STRUCTURAL,
        "travel-conflict-zones",
        1.0,
        180,
        description="People back from conflict zones with no rehabilitation follow-up.",
    ),
    IndicatorSpec(
        "S05",
        "Unresolved intercommunal disputes",
        Category.STRUCTURAL,
        "intercommunal-tension",
        0.7,
        150,
        description="Long-running disputes over land, places of worship or resources.",
    ),
    # Proximate: visible escalation, fading over weeks.
    IndicatorSpec(
        "P01",
        "Hate speech in local forums",
        Category.PROXIMATE,
        "hate-speech",
        1.2,
        21,
        description="Dehumanising speech against a group in local online or offline forums.",
    ),
    IndicatorSpec(
        "P02",
        "Recruiters or closed study circles active",
        Category.PROXIMATE,
        "recruitment",
        1.6,
        30,
        description="Outsiders or closed circles drawing young people towards extremist groups.",
    ),
    IndicatorSpec(
        "P03",
        "Expressed intent to travel to a conflict zone",
        Category.PROXIMATE,
        "travel-conflict-zones",
        1.5,
        30,
        description="Talk of joining fighting abroad.",
    ),
    IndicatorSpec(
        "P04",
        "Sectarian rhetoric at gatherings",
        Category.PROXIMATE,
        "intercommunal-tension",
        1.3,
        21,
        description="Rising sectarian or ethnic rhetoric at public or religious gatherings.",
    ),
    IndicatorSpec(
        "P05",
        "Fundraising for extremist causes",
        Category.PROXIMATE,
        "recruitment",
        1.4,
        30,
        description="Collections or online donations for groups linked to violence.",
    ),
    IndicatorSpec(
        "P06",
        "Online radicalisation signs among youth",
        Category.PROXIMATE,
        "online-radicalisation",
        1.2,
        21,
        description="Young people adopting extremist symbols, slogans or contacts online.",
    ),
    # Triggers: imminent events, fading within days.
    IndicatorSpec(
        "T01",
        "Specific threat against a target",
        Category.TRIGGER,
        "threats-target",
        3.0,
        4,
        thresholds=(1, 2, 3),
        description="A threat naming a person, place of worship or event.",
    ),
    IndicatorSpec(
        "T02",
        "Acquisition of weapons or explosive precursors",
        Category.TRIGGER,
        "weapons-explosives",
        3.5,
        5,
        thresholds=(1, 2, 3),
        description="Purchase or theft of weapons, precursors or parts.",
    ),
    IndicatorSpec(
        "T03",
        "Mobilisation call after a provocative incident",
        Category.TRIGGER,
        "intercommunal-tension",
        2.5,
        3,
        thresholds=(1, 2, 3),
        description="Calls to gather or retaliate after an incident.",
    ),
    IndicatorSpec(
        "T04",
        "Imminent departure to a conflict zone",
        Category.TRIGGER,
        "travel-conflict-zones",
        3.0,
        5,
        thresholds=(1, 2, 3),
        description="Tickets bought or farewells made for travel to fight.",
    ),
    # Resilience: lower the score while they hold.
    IndicatorSpec(
        "R01",
        "Active interfaith or intercommunal dialogue",
        Category.STRUCTURAL,
        "intercommunal-tension",
        0.8,
        60,
        polarity=Polarity.RESILIENCE,
        description="Regular meetings of leaders and residents across communities.",
    ),
    IndicatorSpec(
        "R02",
        "Trusted community leaders engaged in prevention",
        Category.PROXIMATE,
        "recruitment",
        0.9,
        45,
        polarity=Polarity.RESILIENCE,
        description="Respected leaders working with families and youth on prevention.",
    ),
    IndicatorSpec(
        "R03",
        "Youth programmes running",
        Category.STRUCTURAL,
        "social-exclusion",
        0.6,
        60,
        polarity=Polarity.RESILIENCE,
        description="Sport, skills or mentoring programmes reaching youth.",
    ),
]

TRIGGER_LABELS = {"0": "none", "1": "rumoured", "2": "credible", "3": "confirmed"}


def seed_catalogue() -> tuple[dict[str, Theme], dict[str, Indicator]]:
    themes = {code: theme_upsert(code=code, name=name, description=desc) for code, (name, desc) in THEMES.items()}
    indicators = {}
    for spec in INDICATORS:
        trigger = spec.category == Category.TRIGGER
        indicator, _ = indicator_upsert(
            code=spec.code,
            name=spec.name,
            description=spec.description,
            category=spec.category,
            theme=themes[spec.theme],
            polarity=spec.polarity,
            weight=spec.weight,
            scale_min=0,
            scale_max=3 if trigger else 4,
            scale_labels=TRIGGER_LABELS if trigger else ORDINAL_LABELS,
            threshold_moderate=spec.thresholds[0],
            threshold_high=spec.thresholds[1],
            threshold_critical=spec.thresholds[2],
            half_life_days=spec.half_life_days,
            reason="demo catalogue",
        )
        indicators[spec.code] = indicator
    return themes, indicators


# --- Organisations and people -------------------------------------------------------


@dataclass(frozen=True)
class OrganisationSpec:
    code: str
    name: str
    sector: str
    coverage: tuple[str, ...]
    mandate: tuple[str, ...]
    min_alert_level: str


ORGANISATIONS = [
    OrganisationSpec(
        "coordination-desk",
        "National PCVE Coordination Desk",
        Sector.GOVERNMENT,
        ("HM",),
        tuple(THEMES),
        RiskLevel.MODERATE,
    ),
    OrganisationSpec(
        "police-ctu",
        "Harmoni Police Counter-Terrorism Unit",
        Sector.POLICE,
        ("HM",),
        ("weapons-explosives", "threats-target", "recruitment", "travel-conflict-zones", "online-radicalisation"),
        RiskLevel.HIGH,
    ),
    OrganisationSpec(
        "national-unity",
        "Department of National Unity",
        Sector.GOVERNMENT,
        ("HM",),
        ("intercommunal-tension", "hate-speech", "social-exclusion"),
        RiskLevel.MODERATE,
    ),
    OrganisationSpec(
        "youth-office",
        "Youth Resilience Office, Ministry of Youth",
        Sector.GOVERNMENT,
        ("HM-03", "HM-04"),
        ("social-exclusion", "online-radicalisation"),
        RiskLevel.HIGH,
    ),
    OrganisationSpec(
        "jaringan-damai",
        "Jaringan Damai Community Peace Network",
        Sector.CSO,
        ("HM-01", "HM-02"),
        ("intercommunal-tension", "hate-speech"),
        RiskLevel.MODERATE,
    ),
    OrganisationSpec(
        "suara-belia",
        "Suara Belia Digital Youth Initiative",
        Sector.CSO,
        ("HM-03",),
        ("online-radicalisation", "hate-speech", "recruitment"),
        RiskLevel.MODERATE,
    ),
    OrganisationSpec(
        "wanita-aman",
        "Women for Safe Communities",
        Sector.CSO,
        ("HM-04", "HM-02-01"),
        ("intercommunal-tension", "travel-conflict-zones", "social-exclusion"),
        RiskLevel.HIGH,
    ),
    OrganisationSpec(
        "cohesion-institute",
        "Institute for Social Cohesion Studies",
        Sector.ACADEMIA,
        ("HM-01", "HM-02", "HM-03"),
        (),
        RiskLevel.CRITICAL,
    ),
]


@dataclass(frozen=True)
class UserSpec:
    username: str
    organisation: str
    role: str
    first_name: str
    last_name: str
    login: bool = True  # False: a background user with no usable password
    staff: bool = False


USERS = [
    UserSpec("analyst", "cohesion-institute", Role.ANALYST, "Aina", "Rahman"),
    UserSpec("police", "police-ctu", Role.RESPONDER, "Hafiz", "Osman"),
    UserSpec("agency", "national-unity", Role.RESPONDER, "Mei Ling", "Tan"),
    UserSpec("cso", "jaringan-damai", Role.RESPONDER, "Priya", "Nair"),
    UserSpec("coordinator", "coordination-desk", Role.COORDINATOR, "Farid", "Hassan"),
    UserSpec("admin", "coordination-desk", Role.ADMIN, "Siti", "Aziz", staff=True),
    # Field monitors who log the southern reports; not demo logins.
    UserSpec("monitor.wanita", "wanita-aman", Role.ANALYST, "Nurul", "Huda", login=False),
    UserSpec("monitor.belia", "suara-belia", Role.ANALYST, "Daniel", "Lim", login=False),
]


def seed_organisations(places: dict[str, Region], themes: dict[str, Theme]) -> dict[str, Organisation]:
    return {
        spec.code: organisation_upsert(
            code=spec.code,
            name=spec.name,
            sector=spec.sector,
            coverage=[places[c] for c in spec.coverage],
            mandate=[themes[t] for t in spec.mandate],
            min_alert_level=spec.min_alert_level,
            contact_email=f"{spec.code}@example.org",
        )
        for spec in ORGANISATIONS
    }


def seed_users(organisations: dict[str, Organisation]) -> dict[str, User]:
    users = {}
    for spec in USERS:
        user = User.objects.filter(username=spec.username).first()
        # Keep a password a demo user already has (the hash differs on every run).
        password = DEMO_PASSWORD if spec.login and (user is None or not user.check_password(DEMO_PASSWORD)) else None
        users[spec.username], _ = user_upsert(
            username=spec.username,
            organisation=organisations[spec.organisation],
            role=spec.role,
            password=password,
            email=f"{spec.username}@example.org",
            first_name=spec.first_name,
            last_name=spec.last_name,
            is_staff=spec.staff,
        )
    return users


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


def _flare(days_ago: float) -> float:
    # A flare-up six to three weeks ago that has since calmed.
    return 0.85 if 21 <= days_ago <= 42 else 0.2


PROFILES = {
    "calm": Profile(("S01", "S02", "S05", "R01", "R03", "P01"), _calm, 0.6),
    "tension": Profile(("S05", "P01", "P04", "T03", "R01"), _rising, 2.5),
    "recruitment": Profile(("S03", "P02", "P05", "P06", "P03", "T04", "R02"), _rising, 2.0),
    "flare": Profile(("S02", "P01", "P04", "T01", "R01"), _flare, 1.5),
    "online": Profile(("S01", "S03", "P06", "P01", "R03"), _rising, 1.2),
}
# Which communities carry which story; every other community is calm.
HOTSPOTS = {
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


INDICATOR_SPECS = {spec.code: spec for spec in INDICATORS}


def _scale(spec: IndicatorSpec) -> tuple[int, int, dict[str, str]]:
    """The value scale of a demo indicator: triggers 0-3, the others 0-4."""
    if spec.category == Category.TRIGGER:
        return 0, 3, TRIGGER_LABELS
    return 0, 4, ORDINAL_LABELS


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
        low, high, _labels = _scale(spec)
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
                f"{INDICATOR_SPECS[code].name.lower()} ({_scale(INDICATOR_SPECS[code])[2].get(str(int(value)))})"
                for code, value in readings
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


# Alerts raised longer ago than this have been taken up by their organisations in the demo;
# newer ones are left as they came (and may be overdue, as the sweep then marks them).
DEMO_WORKED_AFTER = timedelta(days=3)


def seed_response(*, now: datetime) -> int:
    """Play the partners' part in the demo's older alerts, so the desks show work under way.

    Each pending assignment of an alert opened before ``now - DEMO_WORKED_AFTER`` is
    acknowledged 40 minutes after it was made and started 4 hours after, by its
    organisation's first responder, through the same services the pages use. Then the
    overdue sweep runs once at ``now``, as beat would have. Safe to run again: worked
    assignments are no longer pending, and the sweep marks an assignment once.
    """
    worked = 0
    pending = (
        Assignment.objects.filter(
            state=AssignmentState.PENDING,
            alert__state=AlertState.OPEN,
            alert__opened_at__lt=now - DEMO_WORKED_AFTER,
        )
        .select_related("alert", "organisation")
        .order_by("created_at", "pk")
    )
    for assignment in pending:
        responder = (
            User.objects.filter(organisation=assignment.organisation, role=Role.RESPONDER, is_active=True)
            .order_by("pk")
            .first()
        )
        if responder is None:
            continue
        made = assignment.created_at
        assignment = assignment_acknowledge(assignment=assignment, user=responder, at=made + timedelta(minutes=40))
        assignment_start(assignment=assignment, user=responder, at=made + timedelta(hours=4))
        worked += 1
    assignments_mark_overdue(at=now)
    return worked


@dataclass
class SeedResult:
    regions: int
    indicators: int
    organisations: int
    users: int
    reports_created: int
    reports_total: int


@transaction.atomic
def seed_demo(*, now: datetime | None = None) -> SeedResult:
    """Create or bring up to date the whole demo deployment. Safe to run again.

    The places and reports are planned by pure functions (plan_places, plan_reports)
    and then written; a report already there (same ``demo-N`` key) is left as it is.
    """
    # The anchor is an hour back, rounded, so a report time is never "in the future".
    now = (now or timezone.now()).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    place_plan = plan_places()
    places = seed_places(place_plan)
    themes, indicators = seed_catalogue()
    organisations = seed_organisations(places, themes)
    users = seed_users(organisations)
    created = seed_reports(plan_reports(place_plan, now=now), places, indicators, users)
    seed_scores(places, now=now)
    seed_response(now=now)
    return SeedResult(
        regions=len(places),
        indicators=len(indicators),
        organisations=len(organisations),
        users=len(users),
        reports_created=created,
        reports_total=FieldReport.objects.filter(idempotency_key__startswith="demo-").count(),
    )
