"""Routing and the assignment workflow as pure functions: no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alerts.choices import ALERT_LEVELS, AssignmentState
from alerts.routing import (
    AlertFact,
    AssignmentAction,
    OrganisationFact,
    TransitionNotAllowed,
    acknowledge_due,
    assignment_allowed_actions,
    assignment_next_state,
    route,
    tightened_due,
)
from ewers.choices import RiskLevel

HOURS = {"critical": 1.0, "high": 6.0, "moderate": 24.0}
AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
THEMES = ["tension", "weapons", "recruitment", "hate-speech"]

regions = st.integers(min_value=1, max_value=12)
themes = st.frozensets(st.sampled_from(THEMES), max_size=4)
levels = st.sampled_from(ALERT_LEVELS)


@st.composite
def organisations(draw: st.DrawFn) -> list[OrganisationFact]:
    ids = draw(st.lists(st.integers(min_value=1, max_value=1000), unique=True, max_size=8))
    return [
        OrganisationFact(
            id=organisation_id,
            covers=draw(st.frozensets(regions, max_size=4)),
            themes=draw(themes),
            min_level=draw(levels),
            responds=draw(st.booleans()),
        )
        for organisation_id in ids
    ]


alerts = st.builds(
    AlertFact,
    community_id=st.just(4),
    places=st.frozensets(regions, min_size=1, max_size=4),
    level=levels,
    themes=themes,
)


def fact(**overrides: object) -> OrganisationFact:
    values: dict[str, object] = {
        "id": 1,
        "covers": frozenset({2}),
        "themes": frozenset({"tension"}),
        "min_level": RiskLevel.HIGH,
        "responds": True,
    }
    values.update(overrides)
    return OrganisationFact(**values)  # type: ignore[arg-type]


ALERT = AlertFact(community_id=4, places=frozenset({1, 2, 3, 4}), level=RiskLevel.HIGH, themes=frozenset({"tension"}))


def test_it_routes_an_organisation_whose_coverage_mandate_and_level_fit():
    assert route(ALERT, [fact()]) == [1]


@pytest.mark.parametrize(
    "overrides",
    [
        {"covers": frozenset({9})},  # coverage elsewhere
        {"themes": frozenset({"weapons"})},  # mandate does not meet the themes
        {"themes": frozenset()},  # no mandate at all
        {"min_level": RiskLevel.CRITICAL},  # the alert does not reach its lowest level
        {"responds": False},  # nobody there to act on it
    ],
)
def test_it_does_not_route_an_organisation_that_misses_one_condition(overrides):
    assert route(ALERT, [fact(**overrides)]) == []


def test_it_routes_to_a_coverage_of_any_ancestor_and_sorts_the_ids():
    orgs = [fact(id=7, covers=frozenset({1})), fact(id=3, covers=frozenset({4})), fact(id=5, covers=frozenset({3}))]
    assert route(ALERT, orgs) == [3, 5, 7]


def test_an_alert_without_themes_reaches_nobody():
    assert route(AlertFact(4, frozenset({4}), RiskLevel.CRITICAL, frozenset()), [fact()]) == []


@given(alerts, organisations())
def test_it_never_routes_outside_coverage_mandate_or_level(alert, orgs):
    by_id = {o.id: o for o in orgs}
    for organisation_id in route(alert, orgs):
        o = by_id[organisation_id]
        assert o.responds
        assert o.covers & alert.places
        assert o.themes & alert.themes
        assert RiskLevel.rank(alert.level) >= RiskLevel.rank(o.min_level)


LEVEL_ORDER = ["low", "moderate", "high", "critical"]


@given(alerts, organisations())
def test_it_routes_every_organisation_that_qualifies(alert, orgs):
    """Checked against the rule written out independently (PRODUCT.md, step 4)."""
    expected = {
        o.id
        for o in orgs
        if o.responds
        and any(place in o.covers for place in alert.places)
        and any(theme in o.themes for theme in alert.themes)
        and LEVEL_ORDER.index(alert.level) >= LEVEL_ORDER.index(o.min_level)
    }
    assert set(route(alert, orgs)) == expected


@given(alerts, organisations(), levels)
def test_raising_the_level_never_removes_an_organisation(alert, orgs, level):
    if RiskLevel.rank(level) < RiskLevel.rank(alert.level):
        return
    raised = AlertFact(alert.community_id, alert.places, level, alert.themes)
    assert set(route(alert, orgs)) <= set(route(raised, orgs))


@given(alerts, organisations(), st.randoms())
def test_routing_is_deterministic_whatever_the_order(alert, orgs, rng):
    shuffled = list(orgs)
    rng.shuffle(shuffled)
    first = route(alert, orgs)
    assert first == route(alert, shuffled) == sorted(set(first))


@pytest.mark.parametrize(("level", "hours"), [("critical", 1), ("high", 6), ("moderate", 24)])
def test_the_deadline_follows_the_level(level, hours):
    assert acknowledge_due(level, AT, HOURS) == AT + timedelta(hours=hours)


@given(st.integers(min_value=-48 * 60, max_value=48 * 60), levels, st.integers(min_value=0, max_value=72 * 60))
def test_an_escalation_never_moves_a_deadline_later(current_minutes, level, later_minutes):
    current = AT + timedelta(minutes=current_minutes)
    at = AT + timedelta(minutes=later_minutes)
    due = tightened_due(current, level, at, HOURS)
    assert due <= current
    assert due <= acknowledge_due(level, at, HOURS)
    assert due in (current, acknowledge_due(level, at, HOURS))


ALLOWED = {
    (AssignmentState.PENDING, AssignmentAction.ACKNOWLEDGE): AssignmentState.ACKNOWLEDGED,
    (AssignmentState.ACKNOWLEDGED, AssignmentAction.START): AssignmentState.IN_PROGRESS,
    (AssignmentState.IN_PROGRESS, AssignmentAction.COMPLETE): AssignmentState.COMPLETED,
    (AssignmentState.PENDING, AssignmentAction.DECLINE): AssignmentState.DECLINED,
    (AssignmentState.ACKNOWLEDGED, AssignmentAction.DECLINE): AssignmentState.DECLINED,
    (AssignmentState.IN_PROGRESS, AssignmentAction.DECLINE): AssignmentState.DECLINED,
}


@pytest.mark.parametrize("state", AssignmentState.values)
@pytest.mark.parametrize("action", [a.value for a in AssignmentAction])
def test_the_workflow_allows_exactly_its_transitions(state, action):
    expected = ALLOWED.get((state, action))
    if expected is None:
        with pytest.raises(TransitionNotAllowed):
            assignment_next_state(state, action)
        assert action not in assignment_allowed_actions(state)
    else:
        assert assignment_next_state(state, action) == expected
        assert action in assignment_allowed_actions(state)


def test_finished_assignments_allow_no_action():
    for state in (AssignmentState.COMPLETED, AssignmentState.DECLINED, AssignmentState.WITHDRAWN):
        assert assignment_allowed_actions(state) == []
    assert assignment_allowed_actions(AssignmentState.PENDING) == ["acknowledge", "decline"]


@given(st.text(max_size=12), st.text(max_size=12))
def test_unknown_states_and_actions_are_refused(state, action):
    if (state, action) in ALLOWED:
        return
    with pytest.raises(TransitionNotAllowed):
        assignment_next_state(state, action)
