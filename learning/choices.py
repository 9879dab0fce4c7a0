"""Choices of the learning app: what kind of incident, and how serious."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class IncidentKind(models.TextChoices):
    """What happened: the events an early warning exists to prevent."""

    ATTACK = "attack", _("Attack or bombing")
    VIOLENCE = "violence", _("Violence against people")
    CLASH = "clash", _("Clash between groups")
    PROPERTY = "property", _("Damage to property or places of worship")
    THREAT = "threat", _("Credible threat or plot disrupted")
    RECRUITMENT = "recruitment", _("Recruitment or travel to a conflict zone")
    OTHER = "other", _("Other serious incident")


class IncidentSeverity(models.TextChoices):
    LOW = "low", _("Low")
    MODERATE = "moderate", _("Moderate")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


# The longest description an incident takes (page and API alike).
DESCRIPTION_MAX_LENGTH = 2000

# The longest a monitor's check-in period, or the further wait before escalation, may be.
CHECK_IN_MAX_DAYS = 90
