"""Scoring on the database (indicators/services/scoring.py): report → assessment, idempotent
and incremental, and the sweep of reports left unscored.

Without REDIS_URL tasks run in-process (eager); the callbacks queued "on commit" are run
with ``django_capture_on_commit_callbacks(execute=True)``. The same pipeline on
PostgreSQL with a real worker is in tests/indicators/test_tasks_worker.py."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from alerts.models import Alert
from ewers.choices import RiskLevel
from indicators.choices import AssessmentCause, ReportStatus
from indicators.models import FieldReport, RiskAssessment
from indicators.services import community_assess, report_score, reports_sweep
from tests.indicators.services.conftest import report


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


def test_a_weak_report_raises_no_alert(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        report(cast, [cast.indicator], value=2)
    assert RiskAssessment.objects.get().level == RiskLevel.LOW
    assert not Alert.objects.exists()


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


def test_the_sweep_queues_reports_left_unscored(cast, strong, settings):
    settings.EWERS_SCORING_BATCH = 1  # batches of one: the sweep's choice alone is scored
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
