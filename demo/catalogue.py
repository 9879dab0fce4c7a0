"""The demo's themes and its 18-indicator catalogue."""

from __future__ import annotations

from dataclasses import dataclass

from ewers.choices import HandlingLevel
from ewers.models import Theme
from ewers.services import theme_upsert
from indicators.choices import Category, Polarity
from indicators.models import Indicator
from indicators.services import indicator_upsert

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

# Themes of imminent violence: their alerts go to the police at once, as well as to the
# first tier. For the others the police are the reserve (alerts.routing).
POLICE_AT_ONCE = {"weapons-explosives", "threats-target", "travel-conflict-zones"}
# Response tiers: community organisations first, then agencies, then the police; social
# exclusion is the social agencies' own field, so they answer it first beside the CSOs.
TIERS = {"cso": 1, "academia": 1, "media": 1, "other": 1, "government": 2, "police": 3}
THEME_TIERS = dict.fromkeys(THEMES, TIERS) | {"social-exclusion": TIERS | {"government": 1}}

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
    handling_level: str = HandlingLevel.PARTNERS


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
        handling_level=HandlingLevel.AGENCIES,
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
        handling_level=HandlingLevel.POLICE,
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


INDICATOR_SPECS = {spec.code: spec for spec in INDICATORS}


def indicator_scale(spec: IndicatorSpec) -> tuple[int, int, dict[str, str]]:
    """The value scale of a demo indicator: triggers 0-3, the others 0-4."""
    if spec.category == Category.TRIGGER:
        return 0, 3, TRIGGER_LABELS
    return 0, 4, ORDINAL_LABELS


def seed_catalogue() -> tuple[dict[str, Theme], dict[str, Indicator]]:
    themes = {
        code: theme_upsert(
            code=code,
            name=name,
            description=desc,
            police_at_once=code in POLICE_AT_ONCE,
            tiers=THEME_TIERS[code],
        )
        for code, (name, desc) in THEMES.items()
    }
    indicators = {}
    for spec in INDICATORS:
        low, high, labels = indicator_scale(spec)
        indicator, _ = indicator_upsert(
            code=spec.code,
            name=spec.name,
            description=spec.description,
            category=spec.category,
            theme=themes[spec.theme],
            polarity=spec.polarity,
            weight=spec.weight,
            scale_min=low,
            scale_max=high,
            scale_labels=labels,
            threshold_moderate=spec.thresholds[0],
            threshold_high=spec.thresholds[1],
            threshold_critical=spec.thresholds[2],
            half_life_days=spec.half_life_days,
            handling_level=spec.handling_level,
            reason="demo catalogue",
        )
        indicators[spec.code] = indicator
    return themes, indicators
