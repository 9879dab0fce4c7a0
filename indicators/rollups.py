"""Daily rollups of the reports and readings, kept by every writer in its transaction
(``indicators.services.rollups``), so that surges and silence (docs/learning.md) read a
few rows per community and theme instead of every reading of nine weeks.

A day is a UTC date. A row holds the counts of ``PERIOD_DAYS`` consecutive days (``d0``
the day ``start``, ``d1`` the next, …), the periods tiling the calendar from 1970-01-01:
nine weeks of surges touch three or four rows per community and theme. What a day's
count counts is what ``learning.selectors`` counts:

- ``ReadingRollup``: the readings of *risk* indicators above their scale's minimum, from
  reports not disputed, per community, theme and day of observation;
- ``ReportRollup``: the reports (all of them), per community and day of observation.

A count that fell back to 0 (a report disputed) stays in its row: it counts nothing.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db import models

from ewers.models import Region, Theme

PERIOD_DAYS = 28
EPOCH = date(1970, 1, 1)
DAY_COLUMNS = tuple(f"d{k}" for k in range(PERIOD_DAYS))


def period_of(day: date) -> tuple[date, str]:
    """The start of the row holding ``day``, and the column of ``day`` in it."""
    offset = (day - EPOCH).days % PERIOD_DAYS
    return day - timedelta(days=offset), DAY_COLUMNS[offset]


def _day_fields() -> dict[str, models.IntegerField[int, int]]:
    return {column: models.IntegerField(default=0) for column in DAY_COLUMNS}


class ReadingRollup(models.Model):
    # The unique key's index starts with the community: no index of its own.
    community = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="+", db_index=False)
    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="+")
    start = models.DateField()
    locals().update(_day_fields())

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["community", "theme", "start"], name="reading_rollup_unique"),
        ]
        indexes = [models.Index(fields=["start", "community"], name="reading_rollup_start_idx")]

    def __str__(self) -> str:
        return f"{self.community_id}/{self.theme_id} from {self.start}"


class ReportRollup(models.Model):
    community = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="+", db_index=False)
    start = models.DateField()
    locals().update(_day_fields())

    class Meta:
        constraints = [models.UniqueConstraint(fields=["community", "start"], name="report_rollup_unique")]
        indexes = [models.Index(fields=["start", "community"], name="report_rollup_start_idx")]

    def __str__(self) -> str:
        return f"{self.community_id} from {self.start}"
