"""The scoring pipeline on the database: report → assessment → alert, idempotent and incremental.

Without REDIS_URL tasks run in-process (eager); the callbacks queued "on commit" are run
with ``django_capture_on_commit_callbacks(execute=True)``. The same pipeline on
PostgreSQL with a real worker is in test_pipeline_worker.py.
"""

from __future__ import annotations

import math
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from alerts.choices import AlertEventKind, AlertState, IncidentOutcome
from alerts.models import Alert
from alerts.services import alert_dismiss, alert_resolve
from ewers.choices import RiskLevel
from ewers.exceptions import StateConflict
from indicators.choices import AssessmentCause, Category, ReportStatus, Verification
from indicators.models import FieldReport, RiskAssessment
from indicators.services import (
    ReadingInput,
    community_assess,
    field_report_verify,
    indicator_update_settings,
    report_score,
    reports_sweep,
)
from tests import factories


@pytest.fixture
def strong(cast):
    """Three risk indicators, so one report can push a community well over the high band."""
    theme = cast.indicator.theme
    return [cast.indicator] + [factories.make_indicator(f"P0{n}", theme=theme, weight=1.5) for n in (2, 3)]


def report(cast, indicators, value=4, *, community=None, user=None, **kw):
    return factories.make_report(
        user or cast.analyst,
        community or cast.places["c1"],
        indicators[0],
        readings=[ReadingInput(indicator=i, value=value) for i in indicators],
        source_reliability="A",
        information_credibility=1,
        **kw,
    )


def test_it_scores_a_report_after_commit_and_explains_the_score(cast, strong, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        saved = report(cast, strong)
    saved.refresh_from_db()
    assert saved.status == ReportStatus.SCORED
    assert saved.scored_at is not None
    assessment = RiskAssessment.objects.get(key=f"report:{saved.pk}")
    assert assessment.community == cast.places["c1"]
    assert assessment.cause == AssessmentCause.REPORT
    assert assessment.report == saved
    # (1.0 + 1.5 + 1.5) × 0.8 (unverified) = 3.2 raw, less two hours of decay,
    # → 100 × (1 − e^(−3.2/4)) ≈ 55: high.
    assert assessment.raw_score == pytest.approx(3.2, abs=0.01)
    assert assessment.score == pytest.approx(100 * (1 - math.exp(-assessment.raw_score / 4)), abs=1e-3)
    assert assessment.score == pytest.approx(55, abs=0.2)
    assert assessment.level == RiskLevel.HIGH
    amounts = sorted(c.amount for c in assessment.contributions.all())
    assert amounts == pytest.approx([0.8, 1.2, 1.2], abs=0.01)


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


def test_a_weak_report_raises_no_alert(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        report(cast, [cast.indicator], value=2)
    assert RiskAssessment.objects.get().level == RiskLevel.LOW
    assert not Alert.objects.exists()


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


def test_scoring_twice_changes_nothing(cast, strong):
    saved = report(cast, strong)  # on-commit callbacks not run: still received
    assert saved.status == ReportStatus.RECEIVED
    first = report_score(report_id=saved.pk)
    assert report_score(report_id=saved.pk) is None
    assert RiskAssessment.objects.count() == 1
    assert community_assess(community_id=saved.community_id, key=f"report:{saved.pk}", cause="report") == first
    assert RiskAssessment.objects.count() == 1
    assert Alert.objects.count() == 1
    saved.refresh_from_db()
    assert (saved.status, saved.scoring_attempts) == (ReportStatus.SCORED, 1)


def test_a_report_out_of_attempts_is_left_for_an_operator(cast, strong, settings):
    saved = report(cast, strong)
    FieldReport.objects.filter(pk=saved.pk).update(scoring_attempts=settings.EWERS_SCORING_MAX_ATTEMPTS)
    assert report_score(report_id=saved.pk) is None
    assert reports_sweep(now=timezone.now() + timedelta(minutes=5)) == 0
    saved.refresh_from_db()
    assert saved.status == ReportStatus.RECEIVED
    assert report_score(report_id=10**9) is None  # gone: nothing to do


def test_the_sweep_queues_reports_left_unscored(cast, strong, django_capture_on_commit_callbacks):
    old = report(cast, strong)
    fresh = report(cast, [cast.indicator], value=1, community=cast.places["c2"])
    FieldReport.objects.filter(pk=old.pk).update(received_at=timezone.now() - timedelta(minutes=2))
    assert reports_sweep() == 1  # tasks run in-process here
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert (old.status, fresh.status) == (ReportStatus.SCORED, ReportStatus.RECEIVED)
    assert reports_sweep() == 0


def test_scoring_reads_one_communitys_recent_readings_only(cast, strong, settings):
    settings.EWERS_SCORING_WINDOW_DAYS = 30
    old = report(cast, strong, observed_at=timezone.now() - timedelta(days=40))
    report_score(report_id=old.pk)
    saved = report(cast, [cast.indicator], value=2)
    with CaptureQueriesContext(connection) as few:
        report_score(report_id=saved.pk)
    assessment = RiskAssessment.objects.get(key=f"report:{saved.pk}")
    assert {c.report_id for c in assessment.contributions.all()} == {saved.pk}  # the 40-day-old one is outside
    # Much more data elsewhere does not make scoring one community cost more queries.
    for _ in range(15):
        report_score(report_id=report(cast, strong, community=cast.places["c2"]).pk)
    again = report(cast, [cast.indicator], value=2)
    with CaptureQueriesContext(connection) as many:
        report_score(report_id=again.pk)
    assert len(many) == len(few)


def test_verifying_or_disputing_rescores_the_community(cast, strong, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        saved = report(cast, strong)
    scored = RiskAssessment.objects.get().score
    with django_capture_on_commit_callbacks(execute=True):
        field_report_verify(report=saved, user=cast.analyst, verification=Verification.VERIFIED)
    verified = RiskAssessment.objects.latest()
    assert (verified.cause, verified.score > scored) == (AssessmentCause.VERIFICATION, True)
    with django_capture_on_commit_callbacks(execute=True):
        field_report_verify(report=saved, user=cast.coordinator, verification=Verification.DISPUTED)
    disputed = RiskAssessment.objects.latest()
    assert disputed.score == 0
    assert RiskAssessment.objects.count() == 3
    # The same verdict again changes nothing and re-scores nothing.
    with django_capture_on_commit_callbacks(execute=True):
        field_report_verify(report=saved, user=cast.coordinator, verification=Verification.DISPUTED)
    assert RiskAssessment.objects.count() == 3
    saved.refresh_from_db()
    assert saved.history.first().history_user == cast.coordinator


def test_only_the_reporting_organisation_and_coordinators_verify(cast, strong):
    saved = report(cast, strong)
    for user in (cast.other_analyst, cast.police_user, cast.admin):
        with pytest.raises(PermissionDenied):
            field_report_verify(report=saved, user=user, verification=Verification.VERIFIED)
    with pytest.raises(ValidationError):
        field_report_verify(report=saved, user=cast.analyst, verification="true")
    saved.refresh_from_db()
    assert saved.verification == Verification.UNVERIFIED


def test_changing_an_indicators_weight_rescores_the_communities_using_it(
    cast, strong, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        report(cast, [cast.indicator])
        report(cast, [strong[1]], community=cast.places["c2"])
    before = RiskAssessment.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        indicator_update_settings(indicator=cast.indicator, changed_by=cast.admin, weight=2.0, reason="calibration")
    rescored = RiskAssessment.objects.filter(cause=AssessmentCause.INDICATOR)
    assert [a.community for a in rescored] == [cast.places["c1"]]  # c2 has no P01 reading
    assert RiskAssessment.objects.count() == before + 1
    assert rescored.get().contributions.get().indicator_version == 2


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


def test_the_sweep_queues_a_report_again_only_after_a_while(cast, strong, settings):
    saved = report(cast, strong)
    now = timezone.now()
    FieldReport.objects.filter(pk=saved.pk).update(
        received_at=now - timedelta(hours=1), queued_at=now - timedelta(seconds=30)
    )
    assert reports_sweep(now=now) == 0  # queued half a minute ago: still in the queue
    FieldReport.objects.filter(pk=saved.pk).update(
        queued_at=now - timedelta(seconds=settings.EWERS_SWEEP_REQUEUE_SECONDS + 1)
    )
    assert reports_sweep(now=now) == 1
    saved.refresh_from_db()
    assert (saved.status, saved.queued_at) == (ReportStatus.SCORED, now)


def test_an_indicators_scale_cannot_change_once_it_has_readings(cast, strong):
    fresh = factories.make_indicator("P09", theme=cast.indicator.theme)
    factories.make_indicator("P09", theme=cast.indicator.theme, scale_max=10, threshold_critical=8)  # no readings yet
    fresh.refresh_from_db()
    assert fresh.scale_max == 10
    report(cast, [cast.indicator])
    for change in ({"scale_max": 10, "threshold_critical": 8}, {"polarity": "resilience"}, {"category": "trigger"}):
        with pytest.raises(ValidationError, match="already has readings"):
            factories.make_indicator("P01", theme=cast.indicator.theme, **change)
    cast.indicator.refresh_from_db()
    assert (cast.indicator.scale_max, cast.indicator.polarity, cast.indicator.version) == (4, "risk", 1)
