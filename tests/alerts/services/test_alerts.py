"""Alerts on the database (alerts/services/alerts.py): one alert raised from the scores and
escalated, held back while it cools down; verified, resolved or dismissed by the
coordinators who cover it.

Tasks run in-process (eager); the callbacks queued "on commit" are run with
``django_capture_on_commit_callbacks(execute=True)``."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from alerts.choices import AlertEventKind, AlertState, AssignmentState, IncidentOutcome, NotificationKind
from alerts.models import Alert, Notification
from alerts.permissions import alert_may_manage
from alerts.services import (
    alert_assign,
    alert_dismiss,
    alert_resolve,
    alert_verify,
    assignment_acknowledge,
    assignment_complete,
    assignment_start,
)
from ewers.choices import RiskLevel, Role
from ewers.exceptions import StateConflict
from indicators.choices import Category
from indicators.models import RiskAssessment
from tests import factories
from tests.alerts.services.conftest import audit_details
from tests.indicators.services.conftest import report


def test_it_raises_one_alert_with_its_explanation_and_then_escalates(cast, strong, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = report(cast, strong)
    alert = Alert.objects.get(community=cast.places["c1"])
    assert (alert.state, alert.level) == (AlertState.OPEN, RiskLevel.HIGH)
    assert [row["report"] for row in alert.explanation] == [first.pk] * 3
    assert {row["indicator"] for row in alert.explanation} == {"P01", "P02", "P03"}
    # The tension alert is routed to the CSO (coverage and mandate fit) in the same transaction.
    events = [(e.kind, e.organisation_id) for e in alert.events.all()]
    assert events == [(AlertEventKind.OPENED, None), (AlertEventKind.ASSIGNED, cast.cso.pk)]

    with django_capture_on_commit_callbacks(execute=True):
        report(cast, strong)
        report(cast, strong)
    alert.refresh_from_db()
    assert Alert.objects.filter(community=cast.places["c1"]).count() == 1
    assert alert.level == RiskLevel.CRITICAL
    assert alert.escalated_at is not None
    # Escalation: one alert-wide event, and one for the CSO's assignment (a tighter deadline).
    assert [(e.kind, e.organisation_id) for e in alert.events.all()][2:] == [
        (AlertEventKind.ESCALATED, None),
        (AlertEventKind.ESCALATED, cast.cso.pk),
    ]


def test_a_trigger_at_its_critical_threshold_raises_a_critical_alert_at_once(cast, django_capture_on_commit_callbacks):
    trigger = factories.make_indicator(
        "T01",
        category=Category.TRIGGER,
        scale_max=3,
        threshold_moderate=1,
        threshold_high=2,
        threshold_critical=3,
        half_life_days=4,
    )
    with django_capture_on_commit_callbacks(execute=True):
        factories.make_report(cast.analyst, cast.places["c2"], trigger, value=3, source_reliability="C")
    assessment = RiskAssessment.objects.get()
    assert assessment.score < 50 and assessment.triggered
    alert = Alert.objects.get()
    assert (alert.community, alert.level) == (cast.places["c2"], RiskLevel.CRITICAL)
    assert "trigger" in alert.events.get().note


def test_a_closed_alert_cools_down_at_its_level_but_not_above(cast, strong, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        report(cast, strong)
    alert = Alert.objects.get()
    alert_resolve(alert=alert, user=cast.coordinator, note="Calm again", outcome="no")
    alert.refresh_from_db()
    assert alert.cooldown_until == alert.closed_at + timedelta(days=7)
    assert [e.kind for e in alert.events.all()][-1] == AlertEventKind.RESOLVED
    with django_capture_on_commit_callbacks(execute=True):
        report(cast, strong, value=1)  # still high: held back by the cooldown
    assert Alert.objects.count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        report(cast, strong)
        report(cast, strong)  # critical: above the closed alert's level
    assert Alert.objects.filter(state=AlertState.OPEN, level=RiskLevel.CRITICAL).count() == 1


def test_closing_an_alert_needs_a_note_and_an_outcome(cast, strong, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        report(cast, strong)
    alert = Alert.objects.get()
    with pytest.raises(ValidationError):
        alert_resolve(alert=alert, user=cast.coordinator, note="", outcome="no")
    with pytest.raises(ValidationError):
        alert_resolve(alert=alert, user=cast.coordinator, note="x", outcome="maybe")
    alert_dismiss(alert=alert, user=cast.coordinator, note="False alarm")
    with pytest.raises(StateConflict):
        alert_resolve(alert=alert, user=cast.coordinator, note="x", outcome=IncidentOutcome.NO)
    alert.refresh_from_db()
    assert (alert.state, alert.outcome) == (AlertState.DISMISSED, None)


def test_the_highest_level_still_cooling_down_holds_back_new_alerts(cast, strong, django_capture_on_commit_callbacks):
    community, now = cast.places["c1"], timezone.now()
    for level, days_ago in ((RiskLevel.CRITICAL, 3), (RiskLevel.HIGH, 1)):
        Alert.objects.create(
            community=community,
            level=level,
            state=AlertState.DISMISSED,
            opened_at=now - timedelta(days=days_ago + 1),
            closed_at=now - timedelta(days=days_ago),
            close_note="False alarm",
            cooldown_until=now + timedelta(days=7 - days_ago),
        )
    with django_capture_on_commit_callbacks(execute=True):
        report(cast, strong)
        report(cast, strong)
    assert RiskAssessment.objects.latest().level == RiskLevel.CRITICAL
    assert not Alert.objects.filter(state=AlertState.OPEN).exists()


def test_only_covering_coordinators_may_manage_the_alert(cast, raised):
    alert, _ = raised
    assert alert_may_manage(cast.coordinator, alert)
    outsider_desk = factories.make_organisation(code="far-desk", coverage=[cast.other_places["country"]])
    outsider = factories.make_user("far", outsider_desk, Role.COORDINATOR)
    for user in (cast.cso_user, cast.analyst, cast.admin, outsider):
        assert not alert_may_manage(user, alert)
        with pytest.raises(PermissionDenied):
            alert_verify(alert=alert, user=user)
        with pytest.raises(PermissionDenied):
            alert_resolve(alert=alert, user=user, note="x", outcome=IncidentOutcome.NO)
    assert not Alert.objects.get(pk=alert.pk).verified


def test_a_coordinator_verifies_an_alert_once(cast, raised):
    alert, _ = raised
    verified = alert_verify(alert=alert, user=cast.coordinator)
    assert (verified.verified, verified.verified_by) == (True, cast.coordinator)
    with pytest.raises(StateConflict):
        alert_verify(alert=alert, user=cast.coordinator)
    assert alert.events.filter(kind=AlertEventKind.VERIFIED).count() == 1
    assert audit_details("alert", alert.pk) == ["opened (high)", "unverified → verified"]


def test_resolving_ends_every_live_assignment_and_tells_every_holder(cast, raised, mailoutbox):
    alert, assignment = raised
    police = alert_assign(alert=alert, user=cast.coordinator, organisation=cast.police, note="Weapons seen too.")
    assignment_acknowledge(assignment=assignment, user=cast.cso_user)
    assignment_start(assignment=assignment, user=cast.cso_user)
    for bad in ({"note": "", "outcome": IncidentOutcome.NO}, {"note": "Calm", "outcome": "maybe"}):
        with pytest.raises(ValidationError):
            alert_resolve(alert=alert, user=cast.coordinator, **bad)
    resolved = alert_resolve(alert=alert, user=cast.coordinator, note="Calm again", outcome=IncidentOutcome.NO)
    assert (resolved.state, resolved.outcome) == (AlertState.RESOLVED, IncidentOutcome.NO)
    # Pending and in progress alike end as "closed", with who and when.
    for held in (police, assignment):
        held.refresh_from_db()
        assert (held.state, held.finished_at) == (AssignmentState.CLOSED, resolved.closed_at)
    assert alert.events.last().kind == AlertEventKind.RESOLVED
    closing = alert.events.filter(kind=AlertEventKind.CLOSED).values_list("organisation__code", "actor__username")
    assert sorted(closing) == [("cso", "coord"), ("police", "coord")]
    # Every organisation that held it is told, with the outcome.
    told = Notification.objects.filter(kind=NotificationKind.CLOSED).values_list("user__username", flat=True)
    assert sorted(told) == ["cso", "pol"]
    subject = Notification.objects.filter(kind=NotificationKind.CLOSED).first().subject
    assert "resolved" in subject and "no incident followed" in subject
    # Any later action is refused, saying when and by whom the alert was closed.
    for act in (
        lambda: assignment_complete(assignment=assignment, user=cast.cso_user, outcome="Dialogue held"),
        lambda: alert_resolve(alert=alert, user=cast.coordinator, note="x", outcome=IncidentOutcome.NO),
        lambda: alert_dismiss(alert=alert, user=cast.coordinator, note="x"),
        lambda: alert_verify(alert=alert, user=cast.coordinator),
        lambda: alert_assign(alert=alert, user=cast.coordinator, organisation=cast.police),
    ):
        with pytest.raises(StateConflict) as refused:
            act()
        assert "was resolved on" in str(refused.value)
        assert str(refused.value).endswith("by coord: it can no longer be changed.")
    assert audit_details("alert", alert.pk) == ["opened (high)", "open → resolved"]
    assert audit_details("assignment", police.pk)[-1] == "pending → closed (alert resolved)"
    assert audit_details("assignment", assignment.pk)[-1] == "in_progress → closed (alert resolved)"


def test_dismissing_ends_live_assignments_as_closed(cast, raised):
    alert, assignment = raised
    dismissed = alert_dismiss(alert=alert, user=cast.coordinator, note="False alarm: a film shoot")
    assignment.refresh_from_db()
    assert (dismissed.state, dismissed.outcome) == (AlertState.DISMISSED, None)
    assert assignment.state == AssignmentState.CLOSED
    assert list(alert.events.values_list("kind", flat=True))[-2:] == [
        AlertEventKind.CLOSED,
        AlertEventKind.DISMISSED,
    ]
