"""The demo's partner organisations and their people."""

from __future__ import annotations

from dataclasses import dataclass

from demo.catalogue import THEMES
from ewers.accounts import second_factor_enrol
from ewers.choices import RiskLevel, Role, Sector
from ewers.models import Organisation, Region, Theme, User
from ewers.services import organisation_upsert, user_upsert

DEMO_PASSWORD = "ewers-demo"  # noqa: S105 - the published demo password (API.md); DEBUG only
# The second factor of the demo's coordinator and admin (base32, 30 s, 6 digits; API.md): published
# like the password, so the demo is only for DEBUG.
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXP"  # noqa: S105

# --- Organisations and people -------------------------------------------------------


@dataclass(frozen=True)
class OrganisationSpec:
    code: str
    name: str
    sector: str
    coverage: tuple[str, ...]
    mandate: tuple[str, ...]
    min_alert_level: str
    shown_to_co_responders: bool = True


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
        # It works with women in communities under pressure: it asks not to be named to
        # the other organisations on an alert (the coordinators still see it).
        shown_to_co_responders=False,
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
    # Signs in with a second factor: the demo's published TOTP secret (API.md).
    two_factor: bool = False


USERS = [
    UserSpec("analyst", "cohesion-institute", Role.ANALYST, "Aina", "Rahman"),
    UserSpec("police", "police-ctu", Role.RESPONDER, "Hafiz", "Osman"),
    UserSpec("agency", "national-unity", Role.RESPONDER, "Mei Ling", "Tan"),
    UserSpec("cso", "jaringan-damai", Role.RESPONDER, "Priya", "Nair"),
    UserSpec("coordinator", "coordination-desk", Role.COORDINATOR, "Farid", "Hassan", two_factor=True),
    UserSpec("admin", "coordination-desk", Role.ADMIN, "Siti", "Aziz", two_factor=True),
    # Field monitors who log the southern reports; not demo logins.
    UserSpec("monitor.wanita", "wanita-aman", Role.ANALYST, "Nurul", "Huda", login=False),
    UserSpec("monitor.belia", "suara-belia", Role.ANALYST, "Daniel", "Lim", login=False),
    # Responders of the other partners: alerts reach them too (tiers), not demo logins.
    UserSpec("desk.belia", "suara-belia", Role.RESPONDER, "Arif", "Zain", login=False),
    UserSpec("desk.wanita", "wanita-aman", Role.RESPONDER, "Lee", "Hui Min", login=False),
    UserSpec("desk.youth", "youth-office", Role.RESPONDER, "Kavitha", "Raj", login=False),
    # The account the demo SMS gateway's token acts for (demo/sms.py); not a demo login.
    UserSpec("sms.gateway", "coordination-desk", Role.ANALYST, "SMS", "Gateway", login=False),
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
            shown_to_co_responders=spec.shown_to_co_responders,
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
        )
        if spec.two_factor:
            second_factor_enrol(user=users[spec.username], secret=DEMO_TOTP_SECRET)
    return users
