"""Daily rollups of the reports and readings, kept by every writer in its transaction
(``indicators.services.rollups``), so that surges and silence (docs/learning.md) read one
row per community, theme and day instead of every reading of nine weeks.

A day is a UTC date. What a row counts is what ``learning.selectors`` counts:

- ``ReadingDay``: the readings of *risk* indicators above their scale's minimum, from
  reports not disputed, per community, theme and day of observation;
- ``ReportDay``: the reports (all of them), per community and day of observation.

A row whose count fell to 0 (a report disputed) may stay: it counts nothing.
"""

from __future__ import annotations

from django.db import models

from ewers.models import Region, Theme


class ReadingDay(models.Model):
    # The unique key's index starts with the community: no index of its own.
    community = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="+", db_index=False)
    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    readings = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["community", "theme", "day"], name="reading_day_unique"),
        ]
        indexes = [models.Index(fields=["day", "community"], name="reading_day_day_idx")]

    def __str__(self) -> str:
        return f"{self.community_id}/{self.theme_id} {self.day}: {self.readings}"


class ReportDay(models.Model):
    community = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="+", db_index=False)
    day = models.DateField()
    reports = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["community", "day"], name="report_day_unique")]
        indexes = [models.Index(fields=["day", "community"], name="report_day_day_idx")]

    def __str__(self) -> str:
        return f"{self.community_id} {self.day}: {self.reports}"
