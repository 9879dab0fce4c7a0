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
    previous_level: str | None,
    triggered: bool,
    alert_from: str,
    open_level: str | None,
    cooldown_level: str | None,
) -> AlertDecision:
    """Decide for one new assessment at ``level`` (the community stood at ``previous_level``).

    - Below the alerting level (``alert_from``) nothing happens, unless a trigger fired.
    - With an open alert, only a rise above its level escalates it; a fall leaves it
      open at its peak (coordinators close alerts, not the score).
    - Otherwise a new alert opens when the level *rises* into an alerting level (or a
      trigger fires): a community that simply stays high after its alert was closed does
      not raise again and again on the same evidence.
    - A closed alert's cooldown holds back a new one at its level or lower.
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
    rose = previous_level not in RiskLevel.values or rank > RiskLevel.rank(str(previous_level))
    if not (rose or triggered):
        return AlertDecision(AlertAction.NONE, level)
    if cooldown_level is not None and rank <= RiskLevel.rank(cooldown_level):
        return AlertDecision(AlertAction.SUPPRESSED, level)
    return AlertDecision(AlertAction.OPEN, level)
