"""Surges and silence, pure: whether a community's recent readings of a theme stand out
against its own baseline, and whether a community that usually reports has gone quiet.
No ORM (docs/learning.md gives the formulas; ACLED's surge tracker works this way).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# The recent week, against the eight weeks before it.
RECENT_DAYS = 7
BASELINE_WEEKS = 8


@dataclass(frozen=True)
class Surge:
    recent: int  # readings of the last 7 days
    baseline: float  # mean readings a week over the 8 weeks before
    flagged: bool

    @property
    def ratio(self) -> float | None:
        """How many times the baseline the recent week is (None over an empty baseline)."""
        return None if self.baseline == 0 else round(self.recent / self.baseline, 2)


def surge_assess(recent: int, baseline_weeks: Sequence[int], *, multiple: float, floor: int) -> Surge:
    """A surge: the recent week's readings are more than ``multiple`` times the weekly mean
    of ``baseline_weeks`` *and* at least ``floor`` (a community going from 0 to 1 reading
    is no surge). An empty baseline counts as zero readings a week."""
    return surge_of_total(recent, sum(baseline_weeks), len(baseline_weeks), multiple=multiple, floor=floor)


def surge_of_total(recent: int, baseline_total: int, weeks: int, *, multiple: float, floor: int) -> Surge:
    """``surge_assess`` from the baseline's ``weeks`` counted together (``baseline_total``)."""
    baseline = baseline_total / weeks if weeks else 0.0
    return Surge(recent=recent, baseline=round(baseline, 2), flagged=recent >= floor and recent > multiple * baseline)


def is_stale(recent_reports: int, baseline_weeks: Sequence[int], *, min_weekly: float) -> bool:
    """Silence: a community that usually reports (a weekly mean of at least ``min_weekly``
    reports over ``baseline_weeks``) and sent none lately. Its score, which fades with
    the readings' age, would show it as low; it is *stale*: we do not know."""
    return is_stale_total(recent_reports, sum(baseline_weeks), len(baseline_weeks), min_weekly=min_weekly)


def is_stale_total(recent_reports: int, baseline_total: int, weeks: int, *, min_weekly: float) -> bool:
    """``is_stale`` from the baseline's ``weeks`` counted together (``baseline_total``)."""
    if recent_reports > 0 or not weeks:
        return False
    return baseline_total / weeks >= min_weekly
