"""Small builders of domain objects for tests; they go through the services where one exists."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

from django.utils import timezone

from alerts.models import Alert, Assignment
from ewers.accounts import second_factor_enrol
from ewers.choices import RegionLevel, RiskLevel, Role, Sector
from ewers.models import Organisation, Region, Theme, User
from ewers.services import organisation_upsert, region_upsert, theme_upsert, user_upsert
from indicators.choices import Category, Polarity
from indicators.models import FieldReport, Indicator
from indicators.services import ReadingInput, field_report_create, indicator_upsert

_serial = itertools.count(1)

PASSWORD = "correct-horse-battery"
# The second factor of the cast's coordinators and administrators (the demo's secret).
TOTP_SECRET = "JBSWY3DPEHPK3PXP"


def totp_code(secret: str = TOTP_SECRET, step: int = 0) -> str:
    """The authenticator app's code now (``step`` periods later: a second, unused code)."""
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time

    counters = list(yield_hotp_counters_from_time())
    return format_hotp_value(hotp_value(secret, counters[len(counters) // 2] + step))


def square(lon: float, lat: float, size: float = 0.5) -> dict[str, Any]:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def make_tree(prefix: str = "T") -> dict[str, Region]:
    """A country with one region, one district and two communities."""
    country, _ = region_upsert(code=prefix, name=f"{prefix} land", level=RegionLevel.COUNTRY)
    region, _ = region_upsert(code=f"{prefix}-1", name=f"{prefix} region", level=RegionLevel.REGION, parent=country)
    district, _ = region_upsert(
        code=f"{prefix}-1-1", name=f"{prefix} district", level=RegionLevel.DISTRICT, parent=region
    )
    c1, _ = region_upsert(
        code=f"{prefix}-1-1-1",
        name=f"{prefix} village one",
        level=RegionLevel.COMMUNITY,
        parent=district,
        boundary=square(100, 1),
    )
    c2, _ = region_upsert(
        code=f"{prefix}-1-1-2",
        name=f"{prefix} village two",
        level=RegionLevel.COMMUNITY,
        parent=district,
        boundary=square(100.5, 1),
    )
    return {"country": country, "region": region, "district": district, "c1": c1, "c2": c2}


def make_theme(code: str = "tension") -> Theme:
    return theme_upsert(code=code, name=code.replace("-", " ").title())


def make_indicator(code: str | None = None, **overrides: Any) -> Indicator:
    values: dict[str, Any] = {
        "code": code or f"I{next(_serial):03d}",
        "name": "Hate speech in local forums",
        "category": Category.PROXIMATE,
        "theme": overrides.pop("theme", None) or make_theme(),
        "polarity": Polarity.RISK,
        "weight": 1.0,
        "scale_min": 0,
        "scale_max": 4,
        "threshold_moderate": 2,
        "threshold_high": 3,
        "threshold_critical": 4,
        "half_life_days": 21,
    }
    values.update(overrides)
    indicator, _ = indicator_upsert(**values)
    return indicator


def make_organisation(
    *,
    code: str | None = None,
    sector: str = Sector.CSO,
    coverage: list[Region] | None = None,
    mandate: list[Theme] | None = None,
    min_alert_level: str = RiskLevel.MODERATE,
) -> Organisation:
    code = code or f"org-{next(_serial)}"
    return organisation_upsert(
        code=code,
        name=f"Organisation {code}",
        sector=sector,
        coverage=coverage or [],
        mandate=mandate or [],
        min_alert_level=min_alert_level,
    )


def make_user(username: str, organisation: Organisation, role: str = Role.ANALYST) -> User:
    """A user with PASSWORD; coordinators and administrators enrolled with TOTP_SECRET, as
    their role requires before they may work."""
    user, _ = user_upsert(username=username, organisation=organisation, role=role, password=PASSWORD)
    if role in (Role.COORDINATOR, Role.ADMIN):
        second_factor_enrol(user=user, secret=TOTP_SECRET)
    return user


def make_report(user: User, community: Region, indicator: Indicator, value: float = 3, **overrides: Any) -> FieldReport:
    values: dict[str, Any] = {
        "user": user,
        "community": community,
        "observed_at": timezone.now() - timedelta(hours=2),
        "readings": [ReadingInput(indicator=indicator, value=value)],
        "source_reliability": "B",
        "information_credibility": 2,
        "narrative": "Rising sectarian rhetoric at the Friday market.",
    }
    values.update(overrides)
    report, _ = field_report_create(**values)
    return report


def make_assignment(*, alert: Alert, organisation: Organisation, **values: Any) -> Assignment:
    """An assignment as routing makes it: due at the alert's level unless told otherwise."""
    values.setdefault("level", alert.level)
    values.setdefault("due_at", timezone.now() + timedelta(hours=6))
    return Assignment.objects.create(alert=alert, organisation=organisation, **values)
