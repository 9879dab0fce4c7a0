"""Which organisations an alert goes to, their deadlines, and the assignment workflow. Pure.

Routing is least coercive first (PRODUCT.md, "How a report becomes a response"):

- a theme routes only when it carries a real share of the alert's positive contribution
  (``route_min_share``) or a trigger reading at its critical threshold;
- each routed theme goes to the lowest response tier (by sector: community/CSO, then
  agencies, then police — ``ewers.choices.DEFAULT_TIERS``, overridden per theme) that has
  a fitting organisation: coverage holds the community, mandate meets the theme, the alert
  reaches its lowest level, it has responders;
- police-sector organisations are assigned at once only for a theme of imminent violence
  (``Theme.police_at_once``, or a trigger in that theme) or a critical alert; otherwise
  they are the reserve that a decline or a missed deadline brings in (``tier_raise``),
  once per tier.

The services (``alerts.services``) gather the facts from the database and apply what these
functions decide; the rules here are tested without a database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from alerts.choices import AssignmentState
from ewers.choices import DEFAULT_TIERS, RiskLevel, Sector


@dataclass(frozen=True)
class OrganisationFact:
    """What routing needs to know of one organisation."""

    id: int
    covers: frozenset[int]  # ids of the regions it covers (each covers everything below it)
    themes: frozenset[str]  # theme codes of its mandate
    min_level: str  # the lowest alert level it receives
    responds: bool  # active, with at least one active responder to act on an assignment
    sector: str = Sector.OTHER


@dataclass(frozen=True)
class AlertFact:
    """What routing needs to know of one alert."""

    community_id: int
    places: frozenset[int]  # the community and all its ancestors
    level: str
    themes: frozenset[str]  # the themes that route (``themes_routed``)
    # Themes whose police-sector organisations are assigned at once (imminent violence).
    police_at_once: frozenset[str] = field(default_factory=frozenset)


# theme code → sector → tier; sectors a theme does not name keep DEFAULT_TIERS.
TierTable = Mapping[str, Mapping[str, int]]


@dataclass(frozen=True)
class Routing:
    """What routing decided: the organisations the alert is assigned to (sorted), each with
    the tier it was routed at, and the tier each routed theme has reached."""

    organisations: tuple[int, ...]
    tiers: Mapping[int, int]
    reached: Mapping[str, int]


def theme_shares(amounts: Iterable[tuple[str, float]]) -> dict[str, float]:
    """Each theme's share (0–1) of the positive contribution: ``amounts`` are (theme, amount)
    of every contribution; resilience (negative) amounts do not count."""
    totals: dict[str, float] = {}
    for theme, amount in amounts:
        if amount > 0:
            totals[theme] = totals.get(theme, 0.0) + amount
    whole = sum(totals.values())
    if whole <= 0:
        return {}
    return {theme: total / whole for theme, total in sorted(totals.items())}


def themes_routed(shares: Mapping[str, float], trigger_themes: Iterable[str], min_share: float) -> frozenset[str]:
    """The themes that route: a share of at least ``min_share``, or a trigger at its
    critical threshold (a trigger routes whatever its share)."""
    return frozenset(t for t, share in shares.items() if share >= min_share) | frozenset(trigger_themes)


def sector_tier(tiers: TierTable, theme: str, sector: str) -> int:
    return tiers.get(theme, {}).get(sector, DEFAULT_TIERS.get(sector, DEFAULT_TIERS[Sector.OTHER]))


def fits(alert: AlertFact, organisation: OrganisationFact, theme: str) -> bool:
    """Coverage holds the community, the mandate meets ``theme``, the level is reached, and
    someone will act on it."""
    return (
        organisation.responds
        and theme in organisation.themes
        and bool(organisation.covers & alert.places)
        and RiskLevel.rank(alert.level) >= RiskLevel.rank(organisation.min_level)
    )


def _police_at_once(alert: AlertFact, theme: str) -> bool:
    return alert.level == RiskLevel.CRITICAL or theme in alert.police_at_once


def route(
    alert: AlertFact,
    organisations: Iterable[OrganisationFact],
    tiers: TierTable,
    reached: Mapping[str, int] | None = None,
) -> Routing:
    """The organisations the alert goes to now.

    For each routed theme: every fitting organisation of its lowest tier with one — or up
    to the tier the theme has already reached (``reached``, raised by ``tier_raise``) — and,
    for imminent violence or a critical alert, the fitting police at once.
    """
    reached = reached or {}
    candidates = list(organisations)
    chosen: dict[int, int] = {}
    new_reached: dict[str, int] = {}
    for theme in sorted(alert.themes):
        fitting = [(sector_tier(tiers, theme, o.sector), o) for o in candidates if fits(alert, o, theme)]
        if not fitting:
            continue
        lowest = min(tier for tier, _o in fitting)
        up_to = max(lowest, reached.get(theme, lowest))
        new_reached[theme] = up_to
        for tier, organisation in fitting:
            at_once = organisation.sector == Sector.POLICE and _police_at_once(alert, theme)
            if tier <= up_to or at_once:
                chosen[organisation.id] = min(tier, chosen.get(organisation.id, tier))
    return Routing(organisations=tuple(sorted(chosen)), tiers=chosen, reached=new_reached)


def tier_raise(
    alert: AlertFact,
    organisations: Iterable[OrganisationFact],
    tiers: TierTable,
    reached: Mapping[str, int],
    failed: OrganisationFact,
) -> dict[str, int]:
    """The tiers reached after ``failed`` declined or missed its deadline.

    For each routed theme that ``failed`` answered at the theme's current tier, the next
    tier up with a fitting organisation is brought in — once: the theme's tier has moved,
    so another organisation of the old tier failing changes nothing more. Themes with no
    higher fitting tier stay where they are (the coordinators' queue takes it from there).
    """
    candidates = list(organisations)
    raised = dict(reached)
    for theme in sorted(alert.themes):
        current = reached.get(theme)
        if current is None or theme not in failed.themes or sector_tier(tiers, theme, failed.sector) != current:
            continue
        higher = [
            sector_tier(tiers, theme, o.sector)
            for o in candidates
            if fits(alert, o, theme) and sector_tier(tiers, theme, o.sector) > current
        ]
        if higher:
            raised[theme] = min(higher)
    return raised


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
