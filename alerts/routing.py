"""Which organisations an alert goes to, their deadlines, and the assignment workflow. Pure.

The services (``alerts.services``) gather the facts from the database and apply what
these functions decide; the rules here are tested without a database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from alerts.choices import AssignmentState
from ewers.choices import RiskLevel


@dataclass(frozen=True)
class OrganisationFact:
    """What routing needs to know of one organisation."""

    id: int
    covers: frozenset[int]  # ids of the regions it covers (each covers everything below it)
    themes: frozenset[str]  # theme codes of its mandate
    min_level: str  # the lowest alert level it receives
    responds: bool  # active, with at least one active responder to act on an assignment


@dataclass(frozen=True)
class AlertFact:
    """What routing needs to know of one alert."""

    community_id: int
    places: frozenset[int]  # the community and all its ancestors
    level: str
    themes: frozenset[str]  # the themes of the indicators that drove the alert


def qualifies(alert: AlertFact, organisation: OrganisationFact) -> bool:
    """Coverage contains the community, the mandate meets a theme, the level is reached."""
    return (
        organisation.responds
        and bool(organisation.covers & alert.places)
        and bool(organisation.themes & alert.themes)
        and RiskLevel.rank(alert.level) >= RiskLevel.rank(organisation.min_level)
    )


def route(alert: AlertFact, organisations: Iterable[OrganisationFact]) -> list[int]:
    """The ids, sorted, of the organisations the alert is assigned to."""
    return sorted({o.id for o in organisations if qualifies(alert, o)})


def acknowledge_due(level: str, at: datetime, hours: Mapping[str, float]) -> datetime:
    """The deadline to acknowledge an assignment made at ``at`` for an alert at ``level``."""
    return at + timedelta(hours=hours[level])


def tightened_due(current: datetime, level: str, at: datetime, hours: Mapping[str, float]) -> datetime:
    """On escalation a deadline only moves earlier: the sooner of the old one and the new level's."""
    return min(current, acknowledge_due(level, at, hours))


class TransitionNotAllowed(Exception):
    """The action is not allowed from the assignment's (or alert's) current state."""


class AssignmentAction(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    START = "start"
    COMPLETE = "complete"
    DECLINE = "decline"


# state → action → next state; the workflow of PRODUCT.md.
_TRANSITIONS: dict[str, dict[str, str]] = {
    AssignmentState.PENDING: {
        AssignmentAction.ACKNOWLEDGE: AssignmentState.ACKNOWLEDGED,
        AssignmentAction.DECLINE: AssignmentState.DECLINED,
    },
    AssignmentState.ACKNOWLEDGED: {
        AssignmentAction.START: AssignmentState.IN_PROGRESS,
        AssignmentAction.DECLINE: AssignmentState.DECLINED,
    },
    AssignmentState.IN_PROGRESS: {
        AssignmentAction.COMPLETE: AssignmentState.COMPLETED,
        AssignmentAction.DECLINE: AssignmentState.DECLINED,
    },
}


def assignment_allowed_actions(state: str) -> list[str]:
    """The actions allowed from ``state``, in workflow order."""
    allowed = _TRANSITIONS.get(state, {})
    return [a.value for a in AssignmentAction if a.value in allowed]


def assignment_next_state(state: str, action: str) -> str:
    """The state after ``action``; raises ``TransitionNotAllowed`` when it is not allowed."""
    try:
        return str(_TRANSITIONS[state][action])
    except KeyError:
        raise TransitionNotAllowed(f"{action} is not allowed from {state}") from None
