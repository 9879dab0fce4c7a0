"""Choices of the analytics pages: the level of the map, the statistic, the period."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from ewers.choices import RegionLevel


class AreaLevel(models.TextChoices):
    """The places a heatmap colours (a subset of the region levels)."""

    COMMUNITY = RegionLevel.COMMUNITY.value, _("Communities")
    DISTRICT = RegionLevel.DISTRICT.value, _("Districts")
    REGION = RegionLevel.REGION.value, _("Regions")


class Stat(models.TextChoices):
    """What a district or region shows of its communities: the highest community (its
    level, a trigger's critical included: hotspots stay visible) or their mean score."""

    MAX = "max", _("Highest community")
    MEAN = "mean", _("Mean of the communities")


class Period(models.IntegerChoices):
    """How far back the overview looks."""

    WEEK = 7, _("Last 7 days")
    MONTH = 30, _("Last 30 days")
    QUARTER = 90, _("Last 90 days")
    YEAR = 365, _("Last 365 days")


# Map drill-down: a click on an area opens the heatmap of the level below it.
LEVEL_BELOW = {AreaLevel.REGION: AreaLevel.DISTRICT, AreaLevel.DISTRICT: AreaLevel.COMMUNITY}
