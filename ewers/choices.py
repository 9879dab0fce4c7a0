"""Choices shared across the domain: roles, sectors, region levels and risk levels."""

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
