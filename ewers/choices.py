"""Choices shared across the domain: roles, sectors, region levels, risk levels, handling levels."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ANALYST = "analyst", _("Analyst")
    RESPONDER = "responder", _("Responder")
    COORDINATOR = "coordinator", _("Coordinator")
    ADMIN = "admin", _("Administrator")


class Sector(models.TextChoices):
    POLICE = "police", _("Police")
    GOVERNMENT = "government", _("Government")
    CSO = "cso", _("Civil-society organisation")
    ACADEMIA = "academia", _("Academia")
    MEDIA = "media", _("Media")
    OTHER = "other", _("Other")


# Response tiers: which sectors answer first. An alert goes to the lowest tier that has a
# fitting organisation (PRODUCT.md: least coercive first); a theme's own tiers
# (ewers.models.ThemeTier) override these defaults sector by sector.
DEFAULT_TIERS: dict[str, int] = {
    Sector.CSO: 1,
    Sector.ACADEMIA: 1,
    Sector.MEDIA: 1,
    Sector.OTHER: 1,
    Sector.GOVERNMENT: 2,
    Sector.POLICE: 3,
}


class RegionLevel(models.TextChoices):
    """The four levels of the region hierarchy, from the top."""

    COUNTRY = "country", _("Country")
    REGION = "region", _("Region")
    DISTRICT = "district", _("District")
    COMMUNITY = "community", _("Community")


# The parent each level must have (None: a root).
PARENT_LEVEL: dict[str, str | None] = {
    RegionLevel.COUNTRY: None,
    RegionLevel.REGION: RegionLevel.COUNTRY,
    RegionLevel.DISTRICT: RegionLevel.REGION,
    RegionLevel.COMMUNITY: RegionLevel.DISTRICT,
}


class RiskLevel(models.TextChoices):
    """Risk levels, in rising order: the order of the members is the order of severity."""

    LOW = "low", _("Low")
    MODERATE = "moderate", _("Moderate")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")

    @classmethod
    def rank(cls, level: str) -> int:
        """0 for low up to 3 for critical; raises ValueError for an unknown level."""
        return list(cls.values).index(level)

    @classmethod
    def at_least(cls, level: str) -> list[str]:
        """The levels as severe as ``level`` or more."""
        return list(cls.values)[cls.rank(level) :]


class HandlingLevel(models.TextChoices):
    """Who may read a report's narrative and readings, from the widest audience up.

    Everyone entitled to the place still sees its score and the explanation by indicator;
    the level decides only the report's own content (PRODUCT.md, "Handling levels").
    """

    PARTNERS = "partners", _("All assigned partners")
    AGENCIES = "agencies", _("Agencies and police")
    POLICE = "police", _("Police only")
    COORDINATORS = "coordinators", _("Coordinators only")

    @classmethod
    def rank(cls, level: str) -> int:
        """0 for partners up to 3 for coordinators; raises ValueError for an unknown level."""
        return list(cls.values).index(level)

    @classmethod
    def highest(cls, levels: list[str]) -> str:
        """The most restrictive of ``levels`` (partners when there are none)."""
        return max(levels, key=cls.rank, default=cls.PARTNERS)


# The highest handling level each sector's members may read (coordinators read all).
SECTOR_CLEARANCE: dict[str, str] = {
    Sector.POLICE: HandlingLevel.POLICE,
    Sector.GOVERNMENT: HandlingLevel.AGENCIES,
    Sector.CSO: HandlingLevel.PARTNERS,
    Sector.ACADEMIA: HandlingLevel.PARTNERS,
    Sector.MEDIA: HandlingLevel.PARTNERS,
    Sector.OTHER: HandlingLevel.PARTNERS,
}


# The languages a user may choose, each named in itself (the header's switcher shows them
# so, whatever language the page is in); settings.LANGUAGES lists the same codes.
LANGUAGES = [("en", "English"), ("ms", "Bahasa Melayu")]
