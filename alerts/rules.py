"""When a community's assessment raises, escalates or leaves alone an alert. Pure.

The service (``alerts.services.alert_consider``) gathers the facts — the open alert's
level, a recent closure's cooldown — and applies what this decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ewers.choices import RiskLevel


class AlertAction(StrEnum):
    NONE = "none"
    OPEN = "open"
    ESCALATE = "escalate"
    # The level alerts, but a closed alert's cooldown holds it back (alert fatigue).
    SUPPRESSED = "suppressed"


@dataclass(frozen=True)
class AlertDecision:
    action: AlertAction
    level: str


def alert_decide(
    *,
    level: str,
    triggered: bool,
    alert_from: str,
    open_level: str | None,
    cooldown_level: str | None,
) -> AlertDecision:
    """Decide for one new assessment at ``level``.

    - Below the alerting level (``alert_from``) nothing happens, unless a trigger fired.
    - With an open alert, only a rise above its level escalates it; a fall leaves it
      open at its peak (coordinators close alerts, not the score).
    - Otherwise a new alert opens, unless a closed alert's cooldown covers this level.
    """
    rank = RiskLevel.rank(level)
    if not triggered and rank < RiskLevel.rank(alert_from):
        return AlertDecision(AlertAction.NONE, level)
    if rank == RiskLevel.rank(RiskLevel.LOW):
        return AlertDecision(AlertAction.NONE, level)
    if open_level is not None:
        if rank > RiskLevel.rank(open_level):
            return AlertDecision(AlertAction.ESCALATE, level)
        return AlertDecision(AlertAction.NONE, open_level)
    if cooldown_level is not None and rank <= RiskLevel.rank(cooldown_level):
        return AlertDecision(AlertAction.SUPPRESSED, level)
    return AlertDecision(AlertAction.OPEN, level)
