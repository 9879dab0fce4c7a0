"""The pure alert rule (alerts/rules.py): hand-computed cases and a hypothesis property."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from alerts.rules import AlertAction, alert_decide
from ewers.choices import RiskLevel


def decide(
    level: str,
    *,
    previous: str | None = RiskLevel.LOW,
    triggered: bool = False,
    open_level: str | None = None,
    cooldown: str | None = None,
):
    return alert_decide(
        level=level,
        previous_level=previous,
        triggered=triggered,
        alert_from=RiskLevel.HIGH,
        open_level=open_level,
        cooldown_level=cooldown,
    )


def test_the_alert_rule():
    assert decide("moderate").action == AlertAction.NONE
    assert decide("high").action == AlertAction.OPEN
    assert decide("critical", triggered=True).action == AlertAction.OPEN
    assert decide("high", open_level="high").action == AlertAction.NONE
    assert decide("critical", open_level="high") == decide("critical", open_level="high")
    assert decide("critical", open_level="high").action == AlertAction.ESCALATE
    assert decide("high", open_level="critical").action == AlertAction.NONE
    assert decide("high", cooldown="high").action == AlertAction.SUPPRESSED
    assert decide("critical", cooldown="high").action == AlertAction.OPEN
    # A level that only stays where it was raises nothing new (its alert was closed).
    assert decide("high", previous="high").action == AlertAction.NONE
    assert decide("high", previous="moderate").action == AlertAction.OPEN
    assert decide("high", previous=None).action == AlertAction.OPEN
    assert decide("critical", previous="critical", triggered=True).action == AlertAction.OPEN


@given(
    st.sampled_from(RiskLevel.values),
    st.one_of(st.none(), st.sampled_from(RiskLevel.values)),
    st.booleans(),
    st.sampled_from(["moderate", "high", "critical"]),
    st.one_of(st.none(), st.sampled_from(["moderate", "high", "critical"])),
    st.one_of(st.none(), st.sampled_from(["moderate", "high", "critical"])),
)
def test_the_alert_rule_never_opens_a_second_alert_or_lowers_one(
    level, previous, triggered, alert_from, open_level, cooldown
):
    decision = alert_decide(
        level=level,
        previous_level=previous,
        triggered=triggered,
        alert_from=alert_from,
        open_level=open_level,
        cooldown_level=cooldown,
    )
    if open_level is not None:
        assert decision.action in (AlertAction.NONE, AlertAction.ESCALATE)
        if decision.action == AlertAction.ESCALATE:
            assert RiskLevel.rank(decision.level) > RiskLevel.rank(open_level)
    if decision.action == AlertAction.OPEN:
        assert level != RiskLevel.LOW
        assert triggered or RiskLevel.rank(level) >= RiskLevel.rank(alert_from)
        assert triggered or previous is None or RiskLevel.rank(level) > RiskLevel.rank(previous)
        assert cooldown is None or RiskLevel.rank(level) > RiskLevel.rank(cooldown)
