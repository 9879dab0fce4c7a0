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
    TierTable,
    TransitionNotAllowed,
    acknowledge_due,
    assignment_allowed_actions,
    assignment_next_state,
    route,
    theme_shares,
    themes_routed,
    tier_raise,
    tightened_due,
)
from ewers.choices import RiskLevel, Sector

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


def routed(
    alert: AlertFact,
    orgs: list[OrganisationFact],
    tiers: TierTable | None = None,
    reached: dict[str, int] | None = None,
) -> list[int]:
    """The organisation ids the rule routes to (every test organisation here is of one
    sector, so one tier, unless it says otherwise)."""
    return list(route(alert, orgs, tiers or {}, reached).organisations)


def test_it_routes_an_organisation_whose_coverage_mandate_and_level_fit():
    assert routed(ALERT, [fact()]) == [1]


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
    assert routed(ALERT, [fact(**overrides)]) == []


def test_it_routes_to_a_coverage_of_any_ancestor_and_sorts_the_ids():
    orgs = [fact(id=7, covers=frozenset({1})), fact(id=3, covers=frozenset({4})), fact(id=5, covers=frozenset({3}))]
    assert routed(ALERT, orgs) == [3, 5, 7]


def test_an_alert_without_themes_reaches_nobody():
    assert routed(AlertFact(4, frozenset({4}), RiskLevel.CRITICAL, frozenset()), [fact()]) == []


@given(alerts, organisations())
def test_it_never_routes_outside_coverage_mandate_or_level(alert, orgs):
    by_id = {o.id: o for o in orgs}
    for organisation_id in routed(alert, orgs):
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
    assert set(routed(alert, orgs)) == expected


@given(alerts, organisations(), levels)
def test_raising_the_level_never_removes_an_organisation(alert, orgs, level):
    if RiskLevel.rank(level) < RiskLevel.rank(alert.level):
        return
    raised = AlertFact(alert.community_id, alert.places, level, alert.themes)
    assert set(routed(alert, orgs)) <= set(routed(raised, orgs))


@given(alerts, organisations(), st.randoms())
def test_routing_is_deterministic_whatever_the_order(alert, orgs, rng):
    shuffled = list(orgs)
    rng.shuffle(shuffled)
    first = routed(alert, orgs)
    assert first == routed(alert, shuffled) == sorted(set(first))


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


# --- Least coercive first: theme shares, tiers, the police in reserve --------------------

SECTORS = [Sector.CSO, Sector.ACADEMIA, Sector.GOVERNMENT, Sector.POLICE, Sector.OTHER]


def org(id: int, sector: str, themes: set[str], **overrides: object) -> OrganisationFact:
    return fact(id=id, sector=sector, themes=frozenset(themes), covers=frozenset({1}), **overrides)


HATE_CSO = org(1, Sector.CSO, {"tension", "hate-speech"})
UNITY_AGENCY = org(2, Sector.GOVERNMENT, {"tension", "hate-speech", "social-exclusion"})
POLICE = org(3, Sector.POLICE, {"weapons", "threats", "tension", "hate-speech"})
PARTNERS = [HATE_CSO, UNITY_AGENCY, POLICE]


def alert_of(themes: set[str], level: str = RiskLevel.HIGH, at_once: set[str] = frozenset()) -> AlertFact:  # type: ignore[assignment]
    return AlertFact(
        community_id=4,
        places=frozenset({1, 4}),
        level=level,
        themes=frozenset(themes),
        police_at_once=frozenset(at_once),
    )


@given(
    st.dictionaries(st.sampled_from(THEMES), st.floats(min_value=-5, max_value=5, allow_nan=False), max_size=4),
    st.floats(min_value=0, max_value=1),
    st.frozensets(st.sampled_from(THEMES), max_size=2),
)
def test_a_theme_below_its_share_never_routes_unless_a_trigger_carries_it(amounts, min_share, triggers):
    shares = theme_shares(amounts.items())
    chosen = themes_routed(shares, triggers, min_share)
    for theme in chosen - triggers:
        assert shares[theme] >= min_share
    assert triggers <= chosen
    positive = {t for t, a in amounts.items() if a > 0}
    assert set(shares) == positive
    if positive:
        assert abs(sum(shares.values()) - 1) < 1e-9


def test_a_small_share_of_an_old_theme_does_not_bring_its_organisations_in():
    # A threat alert to which old hate-speech readings add 4.6%: hate speech does not route.
    shares = theme_shares([("threats", 9.54), ("hate-speech", 0.46)])
    assert themes_routed(shares, [], 0.2) == {"threats"}
    assert themes_routed(shares, ["hate-speech"], 0.2) == {"threats", "hate-speech"}


def test_a_tension_alert_with_a_fitting_cso_leaves_the_police_out():
    decided = route(alert_of({"tension", "hate-speech"}), PARTNERS, {})
    assert decided.organisations == (1,)
    assert decided.reached == {"tension": 1, "hate-speech": 1}


def test_a_weapons_theme_reaches_the_police_at_once():
    decided = route(alert_of({"weapons"}, at_once={"weapons"}), PARTNERS, {})
    assert decided.organisations == (3,)
    # Beside the first tier of the other themes.
    decided = route(alert_of({"weapons", "tension"}, at_once={"weapons"}), PARTNERS, {})
    assert decided.organisations == (1, 3)


def test_a_critical_alert_reaches_the_police_at_once():
    assert route(alert_of({"tension"}, level=RiskLevel.CRITICAL), PARTNERS, {}).organisations == (1, 3)


def test_a_theme_with_no_lower_tier_goes_to_the_police():
    # Nobody else covers weapons: the police are the lowest tier that fits.
    assert route(alert_of({"weapons"}), [HATE_CSO, POLICE], {}).organisations == (3,)


def test_a_themes_own_tiers_override_the_defaults():
    tiers = {"social-exclusion": {Sector.GOVERNMENT: 1}}
    cso = org(4, Sector.CSO, {"social-exclusion"})
    assert route(alert_of({"social-exclusion"}), [cso, UNITY_AGENCY], {}).organisations == (4,)
    assert route(alert_of({"social-exclusion"}), [cso, UNITY_AGENCY], tiers).organisations == (2, 4)


def test_a_decline_at_the_current_tier_brings_the_next_tier_in_exactly_once():
    alert = alert_of({"tension"})
    first = route(alert, PARTNERS, {})
    assert first.organisations == (1,)
    raised = tier_raise(alert, PARTNERS, {}, first.reached, HATE_CSO)
    assert raised == {"tension": 2}
    assert route(alert, PARTNERS, {}, raised).organisations == (1, 2)
    # The same tier failing again (a second organisation of it, or the same one) brings no one more.
    assert tier_raise(alert, PARTNERS, {}, raised, HATE_CSO) == raised
    # The agency failing in turn brings the police, the last tier, in; after it nothing more.
    last = tier_raise(alert, PARTNERS, {}, raised, UNITY_AGENCY)
    assert last == {"tension": 3}
    assert route(alert, PARTNERS, {}, last).organisations == (1, 2, 3)
    assert tier_raise(alert, PARTNERS, {}, last, POLICE) == last


def test_a_failure_outside_the_themes_tier_raises_nothing():
    alert = alert_of({"tension"}, at_once=set())
    reached = route(alert, PARTNERS, {}).reached
    # The police were not at the current tier (nor on the alert): their failing changes nothing.
    assert tier_raise(alert, PARTNERS, {}, reached, POLICE) == reached


@st.composite
def tiered_organisations(draw: st.DrawFn) -> list[OrganisationFact]:
    ids = draw(st.lists(st.integers(min_value=1, max_value=1000), unique=True, max_size=8))
    return [
        OrganisationFact(
            id=organisation_id,
            covers=draw(st.frozensets(regions, max_size=4)),
            themes=draw(themes),
            min_level=draw(levels),
            responds=draw(st.booleans()),
            sector=draw(st.sampled_from(SECTORS)),
        )
        for organisation_id in ids
    ]


tiered_alerts = st.builds(
    AlertFact,
    community_id=st.just(4),
    places=st.frozensets(regions, min_size=1, max_size=4),
    level=levels,
    themes=themes,
    police_at_once=st.frozensets(st.sampled_from(THEMES), max_size=2),
)


def _fits(alert: AlertFact, o: OrganisationFact, theme: str) -> bool:
    return (
        o.responds
        and theme in o.themes
        and bool(o.covers & alert.places)
        and LEVEL_ORDER.index(alert.level) >= LEVEL_ORDER.index(o.min_level)
    )


TIER_OF = {Sector.CSO: 1, Sector.ACADEMIA: 1, Sector.OTHER: 1, Sector.GOVERNMENT: 2, Sector.POLICE: 3}


@given(tiered_alerts, tiered_organisations())
def test_it_routes_each_theme_to_its_lowest_fitting_tier_and_the_police_only_when_due(alert, orgs):
    """Checked against the rule written out independently (PRODUCT.md, step 4)."""
    expected: set[int] = set()
    for theme in alert.themes:
        fitting = [o for o in orgs if _fits(alert, o, theme)]
        if not fitting:
            continue
        lowest = min(TIER_OF[o.sector] for o in fitting)
        expected |= {o.id for o in fitting if TIER_OF[o.sector] == lowest}
        if alert.level == "critical" or theme in alert.police_at_once:
            expected |= {o.id for o in fitting if o.sector == Sector.POLICE}
    assert set(route(alert, orgs, {}).organisations) == expected


@given(tiered_alerts, tiered_organisations())
def test_the_police_are_assigned_only_at_once_or_as_the_lowest_fitting_tier(alert, orgs):
    by_id = {o.id: o for o in orgs}
    decided = route(alert, orgs, {})
    for organisation_id in decided.organisations:
        if by_id[organisation_id].sector != Sector.POLICE:
            continue
        reasons = [
            theme
            for theme in alert.themes
            if _fits(alert, by_id[organisation_id], theme)
            and (
                alert.level == "critical"
                or theme in alert.police_at_once
                or all(o.sector == Sector.POLICE for o in orgs if _fits(alert, o, theme))
            )
        ]
        assert reasons


@given(tiered_alerts, tiered_organisations(), st.data())
def test_a_raised_tier_only_ever_adds_organisations_and_raises_once_per_failure(alert, orgs, data):
    decided = route(alert, orgs, {})
    if not orgs:
        return
    failed = data.draw(st.sampled_from(orgs))
    raised = tier_raise(alert, orgs, {}, decided.reached, failed)
    for theme, tier in raised.items():
        assert tier >= decided.reached[theme]
    assert set(decided.organisations) <= set(route(alert, orgs, {}, raised).organisations)
    # The same organisation failing again changes nothing more: exactly once.
    assert tier_raise(alert, orgs, {}, raised, failed) == raised
