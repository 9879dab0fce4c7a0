"""The pipeline with a real Celery worker on Redis and PostgreSQL (CI sets both).

Each test is ``django_db(transaction=True)``: the worker runs in another thread with
its own database connection, so it sees only committed rows, as in production.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.utils import timezone

from alerts.choices import AlertEventKind
from alerts.models import Alert
from ewers.choices import RiskLevel
from indicators import tasks
from indicators.choices import ReportStatus
from indicators.models import FieldReport, RiskAssessment
from indicators.services import ReadingInput, field_report_create, reports_sweep
from tests import factories
from tests.conftest import requires_real_services
from tests.polling import wait_for

pytestmark = [requires_real_services, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def submit(cast, indicators, *, key: str | None = None, enqueue: bool = True, value: float = 4, observed_at=None):
    return field_report_create(
        user=cast.analyst,
        community=cast.places["c1"],
        observed_at=observed_at or timezone.now() - timedelta(minutes=30),
        readings=[ReadingInput(indicator=i, value=value) for i in indicators],
        source_reliability="A",
        information_credibility=1,
        narrative="Posters threatening the other congregation.",
        idempotency_key=key,
        enqueue_scoring=enqueue,
    )


@pytest.fixture
def strong(cast):
    return [cast.indicator] + [
        factories.make_indicator(f"P0{n}", theme=cast.indicator.theme, weight=1.5) for n in (2, 3)
    ]


@contextmanager
def broker_unreachable(celery_app) -> Iterator[None]:
    """Point the publishing side of the app at a closed port: the broker cannot be reached."""
    url = celery_app.conf.broker_url

    def connect(to: str, options: dict[str, float]) -> None:
        celery_app.conf.broker_url = to
        celery_app.conf.broker_transport_options = options
        celery_app._pool = None  # drop the pooled connections to the old address
        celery_app.amqp._producer_pool = None

    connect("redis://127.0.0.1:9/0", {"max_retries": 1, "interval_start": 0, "interval_step": 0.1})
    try:
        yield
    finally:
        connect(url, {})


def test_a_report_becomes_an_assessment_and_an_alert(cast, strong, celery_app, celery_worker):
    report, created = submit(cast, strong)
    assert created
    assert wait_for(lambda: Alert.objects.filter(community=cast.places["c1"]).exists())
    report.refresh_from_db()
    assert report.status == ReportStatus.SCORED
    assessment = RiskAssessment.objects.get(key=f"report:{report.pk}")
    assert assessment.level == RiskLevel.HIGH
    alert = Alert.objects.get()
    assert (alert.level, alert.assessment) == (RiskLevel.HIGH, assessment)
    # Opened, then routed to the CSO (coverage and mandate fit) in the same transaction.
    assert [(e.kind, e.organisation_id) for e in alert.events.all()] == [
        (AlertEventKind.OPENED, None),
        (AlertEventKind.ASSIGNED, cast.cso.pk),
    ]


def test_a_resent_submission_makes_one_report(cast, strong, celery_app, celery_worker):
    key = f"sms-{uuid.uuid4().hex}"
    observed_at = timezone.now() - timedelta(minutes=30)  # a resend is the same request
    first, created = submit(cast, strong, key=key, observed_at=observed_at)
    again, created_again = submit(cast, strong, key=key, observed_at=observed_at)
    assert (created, created_again, again.pk) == (True, False, first.pk)
    assert wait_for(lambda: FieldReport.objects.filter(pk=first.pk, status=ReportStatus.SCORED).exists())
    assert FieldReport.objects.count() == 1
    assert RiskAssessment.objects.count() == 1


def test_the_same_task_run_twice_leaves_one_assessment(cast, strong, celery_app, celery_worker):
    report, _ = submit(cast, strong, enqueue=False)
    tasks.report_score.delay(report.pk)
    tasks.report_score.delay(report.pk)
    assert wait_for(lambda: FieldReport.objects.filter(pk=report.pk, status=ReportStatus.SCORED).exists())
    time.sleep(1)  # give the second run time to finish too
    assert RiskAssessment.objects.filter(community=cast.places["c1"]).count() == 1
    assert Alert.objects.count() == 1
    report.refresh_from_db()
    assert report.scoring_attempts == 1


def test_reports_saved_while_the_broker_is_down_are_scored_by_the_sweep(cast, celery_app, celery_worker):
    later = timezone.now() + timedelta(minutes=2)
    with broker_unreachable(celery_app):
        saved = [submit(cast, [cast.indicator], value=v)[0] for v in (1, 2, 3)]
        assert reports_sweep(now=later) == 0  # the sweep cannot queue either
    # Accepted and kept, but nothing was queued.
    assert len({r.pk for r in saved}) == 3
    assert FieldReport.objects.filter(status=ReportStatus.RECEIVED).count() == 3
    # The broker is back: the next sweep queues them all and the worker scores them.
    assert reports_sweep(now=later) == 3
    assert wait_for(lambda: not FieldReport.objects.filter(status=ReportStatus.RECEIVED).exists())
    # A scorer claims the community's other waiting reports too: one to three assessments,
    # the last one made with all three reports.
    assert 1 <= RiskAssessment.objects.count() <= 3
    assert RiskAssessment.objects.filter(key=f"report:{max(r.pk for r in saved)}").exists()
