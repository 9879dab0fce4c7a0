"""The retention policy (docs/operations.md, "Retention"): how long each kind of personal
or sensitive data is kept, and when a report's narrative is due (pure: no ORM).

A report's narrative and source reference are counted from the close of the last alert of
its community closed since the report came in, or else from its scoring; a report whose
community has an open alert, or that is not scored yet, is kept whole. Notifications are
counted from when they were made (one of an open alert is kept), refused-access rows of
the audit trail from the refusal. 0 days keeps a kind for ever.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

# The kinds, in the order every listing names them (the counts' keys).
KINDS = ("narratives", "source_references", "notifications", "refused_access")


@dataclass(frozen=True)
class RetentionPolicy:
    """Days each kind is kept (0: for ever), and the most rows of each kind a run removes."""

    narrative_days: int
    source_reference_days: int
    notification_days: int
    refused_access_days: int
    batch: int

    def days(self, kind: str) -> int:
        return {
            "narratives": self.narrative_days,
            "source_references": self.source_reference_days,
            "notifications": self.notification_days,
            "refused_access": self.refused_access_days,
        }[kind]

    def cutoff(self, kind: str, now: datetime) -> datetime | None:
        """What was counted from at or before this moment is due at ``now``; None keeps
        the kind for ever."""
        return retention_cutoff(now, self.days(kind))

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def retention_cutoff(now: datetime, days: int) -> datetime | None:
    """``now`` less ``days`` days, or None for 0 (kept for ever)."""
    return None if days <= 0 else now - timedelta(days=days)


def is_due(counted_from: datetime | None, now: datetime, days: int) -> bool:
    """Whether a thing counted from ``counted_from`` (None: kept whole) is due at ``now``:
    on the day ``days`` days after it, not a moment before."""
    cutoff = retention_cutoff(now, days)
    return counted_from is not None and cutoff is not None and counted_from <= cutoff


def report_counted_from(
    *, received_at: datetime, scored_at: datetime | None, closes: Iterable[datetime], open_alert: bool
) -> datetime | None:
    """When a report's narrative and source reference start to age: the last close
    (``closes``: its community's alerts' closing times) at or after the report came in,
    else its scoring; None (kept whole) while its community has an open alert or before
    it is scored."""
    if open_alert or scored_at is None:
        return None
    since = [closed for closed in closes if closed >= received_at]
    return max(since) if since else scored_at
