"""Alert quality, pure: how often alerts were followed by an incident (precision), how
many incidents an alert preceded (recall), how long before (lead time), and how many
alerts were dismissed. No ORM: plain facts in, figures out (docs/learning.md).

An alert *warned of* an incident when the incident happened at or after the alert opened
and either the register links them, or it happened in the alert's community within the
window (``EWERS_OUTCOME_DAYS``). An alert is *followed by an incident* when it warned of
one, or when its coordinator resolved it saying one followed (the resolution's outcome).
An alert whose window is still running and that nothing followed yet is *pending*: it
is left out of precision until its window closes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass(frozen=True)
class AlertFact:
    id: int
    community: int
    opened_at: datetime
    level: str
    # The indicators the alert's explanation names (why it was raised).
    indicators: tuple[str, ...] = ()
    dismissed: bool = False
    # The resolution's answer to "did an incident follow?": "yes", "no", "unknown" or None.
    outcome: str | None = None


@dataclass(frozen=True)
class IncidentFact:
    id: int
    community: int
    occurred_at: datetime
    # The alerts the register links it to.
    alerts: frozenset[int] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Quality:
    """The figures of one group of alerts and incidents."""

    alerts: int  # alerts judged: followed, or their window closed
    followed: int
    pending: int  # window still running, nothing yet
    dismissed: int  # of all the group's alerts (judged or pending)
    incidents: int
    preceded: int
    lead_times: tuple[timedelta, ...]  # one per preceded incident, from its first warning

    @property
    def precision(self) -> float | None:
        return None if self.alerts == 0 else self.followed / self.alerts

    @property
    def recall(self) -> float | None:
        return None if self.incidents == 0 else self.preceded / self.incidents

    @property
    def dismissed_share(self) -> float | None:
        total = self.alerts + self.pending
        return None if total == 0 else self.dismissed / total

    @property
    def median_lead(self) -> timedelta | None:
        leads = sorted(self.lead_times)
        if not leads:
            return None
        middle = len(leads) // 2
        return leads[middle] if len(leads) % 2 else (leads[middle - 1] + leads[middle]) / 2

    @property
    def median_lead_days(self) -> float | None:
        lead = self.median_lead
        return None if lead is None else round(lead.total_seconds() / 86400, 1)


def warned(alert: AlertFact, incident: IncidentFact, window: timedelta) -> bool:
    """Whether ``alert`` warned of ``incident`` (the rule in the module's docstring)."""
    lead = incident.occurred_at - alert.opened_at
    if lead < timedelta(0):
        return False
    return alert.id in incident.alerts or (alert.community == incident.community and lead <= window)


class _Index:
    """Alerts and incidents by community, so that matching is not every pair."""

    def __init__(self, alerts: Iterable[AlertFact], incidents: Iterable[IncidentFact]) -> None:
        self.alerts_by_id = {a.id: a for a in alerts}
        self.alerts_by_community: dict[int, list[AlertFact]] = defaultdict(list)
        for a in self.alerts_by_id.values():
            self.alerts_by_community[a.community].append(a)
        self.incidents_by_community: dict[int, list[IncidentFact]] = defaultdict(list)
        self.incidents_by_alert: dict[int, list[IncidentFact]] = defaultdict(list)
        for i in incidents:
            self.incidents_by_community[i.community].append(i)
            for alert_id in i.alerts:
                self.incidents_by_alert[alert_id].append(i)

    def candidates_for(self, incident: IncidentFact) -> list[AlertFact]:
        linked = [self.alerts_by_id[a] for a in incident.alerts if a in self.alerts_by_id]
        return self.alerts_by_community.get(incident.community, []) + linked

    def incidents_for(self, alert: AlertFact) -> list[IncidentFact]:
        return self.incidents_by_community.get(alert.community, []) + self.incidents_by_alert.get(alert.id, [])


def quality_measure(
    alerts: Sequence[AlertFact],
    incidents: Sequence[IncidentFact],
    *,
    window: timedelta,
    now: datetime,
    alerts_pool: Sequence[AlertFact] | None = None,
    incidents_pool: Sequence[IncidentFact] | None = None,
) -> Quality:
    """The quality of ``alerts`` (precision, dismissed) and of the warning of ``incidents``
    (recall, lead time). An alert is followed by any incident of ``incidents_pool`` (by
    default ``incidents``); an incident is preceded by any alert of ``alerts_pool`` (by
    default ``alerts``): a month's alerts may be followed by the next month's incidents."""
    follow = _Index((), incidents if incidents_pool is None else incidents_pool)
    warn = _Index(alerts if alerts_pool is None else alerts_pool, ())
    judged = followed = pending = dismissed = 0
    for alert in alerts:
        dismissed += alert.dismissed
        hit = alert.outcome == "yes" or any(warned(alert, i, window) for i in follow.incidents_for(alert))
        if hit:
            judged += 1
            followed += 1
        elif alert.opened_at + window <= now:
            judged += 1
        else:
            pending += 1
    preceded = 0
    leads: list[timedelta] = []
    for incident in incidents:
        warnings = [a for a in warn.candidates_for(incident) if warned(a, incident, window)]
        if warnings:
            preceded += 1
            leads.append(incident.occurred_at - min(a.opened_at for a in warnings))
    return Quality(
        alerts=judged,
        followed=followed,
        pending=pending,
        dismissed=dismissed,
        incidents=len(incidents),
        preceded=preceded,
        lead_times=tuple(sorted(leads)),
    )


def month_of(moment: datetime) -> str:
    """The period a time falls in: its calendar month, "2026-03"."""
    return f"{moment.year:04d}-{moment.month:02d}"


def quality_by(
    alerts: Sequence[AlertFact],
    incidents: Sequence[IncidentFact],
    *,
    by: str,
    window: timedelta,
    now: datetime,
) -> list[tuple[str, Quality]]:
    """The quality per group, sorted by group: ``by`` is "level" (alerts of that level,
    against every incident: recall is "incidents an alert of this level preceded"),
    "indicator" (alerts whose explanation names it, likewise) or "period" (alerts opened
    and incidents that occurred in it, matched against all)."""
    if by == "period":
        periods = sorted({month_of(a.opened_at) for a in alerts} | {month_of(i.occurred_at) for i in incidents})
        return [
            (
                p,
                quality_measure(
                    [a for a in alerts if month_of(a.opened_at) == p],
                    [i for i in incidents if month_of(i.occurred_at) == p],
                    window=window,
                    now=now,
                    alerts_pool=alerts,
                    incidents_pool=incidents,
                ),
            )
            for p in periods
        ]
    if by not in ("level", "indicator"):
        raise ValueError(f"unknown grouping {by!r}")
    groups: dict[str, list[AlertFact]] = defaultdict(list)
    for alert in alerts:
        for key in (alert.level,) if by == "level" else alert.indicators:
            groups[key].append(alert)
    return [(key, quality_measure(groups[key], incidents, window=window, now=now)) for key in sorted(groups)]
