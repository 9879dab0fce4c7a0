"""Scoring and the beat tasks through faults, with real worker processes (issue 17):

- the database away for 60 s: a report's scoring, the reports sweep and the overdue sweep
  retry by themselves and complete once it is back, without the sweep rescuing anything;
- a whole worker SIGKILLed mid-task: its message comes back from Redis within the
  configured visibility timeout, without the sweep;
- a worker keeps its database connection from task to task, and one cut while it waited
  is replaced at the next task without the task failing.
"""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pytest
from celery import Celery
from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings
from django.db import OperationalError, connections, transaction
from django.utils import timezone

from alerts.choices import AlertState
from alerts.models import Alert, Assignment
from config.celery import app as project_app
from ewers.choices import RiskLevel
from ewers.models import Region
from indicators.choices import ReportStatus
from indicators.models import FieldReport, RiskAssessment
from indicators.services import report_score
from tests import factories
from tests.conftest import requires_real_services
from tests.faults import Worker, database_behind_proxy, database_url, redis_server, worker
from tests.polling import wait_for

OUTAGE_SECONDS = 60
# Every task the project runs: each must outlast an outage of a few minutes by retrying.
TASKS = [
    "indicators.tasks.report_score",
    "indicators.tasks.reports_score",
    "indicators.tasks.reports_waiting_score",
    "indicators.tasks.community_rescore",
    "indicators.tasks.indicator_rescore",
    "indicators.tasks.reports_sweep",
    "indicators.tasks.communities_reassess",
    "alerts.tasks.notifications_email",
    "alerts.tasks.overdue_sweep",
    "ewers.tasks.sessions_clear_expired",
]


@pytest.mark.parametrize("name", TASKS)
def test_every_task_retries_a_database_outage_for_five_minutes(name):
    project_app.loader.import_default_modules()
    task = project_app.tasks[name]
    assert issubclass(OperationalError, task.autoretry_for)
    waits = [
        get_exponential_backoff_interval(task.retry_backoff, n, task.retry_backoff_max, task.retry_jitter)
        for n in range(task.max_retries)
    ]
    assert waits[:5] == [2, 4, 8, 16, 30]
    assert sum(waits) >= 5 * 60
    # A retry waits in the worker holding its message: never past the visibility timeout.
    assert max(waits) < settings.CELERY_VISIBILITY_TIMEOUT
    assert task.acks_late and task.reject_on_worker_lost


def make_report(cast, community: Region, **overrides) -> FieldReport:
    return factories.make_report(cast.analyst, community, cast.indicator, enqueue_scoring=False, **overrides)


def overdue_assignment(cast) -> Assignment:
    community = cast.places["c2"]
    scored = make_report(cast, community)
    assessment = report_score(report_id=scored.pk)
    alert = Alert.objects.filter(community=community, state=AlertState.OPEN).first()
    if alert is None:
        alert = Alert.objects.create(community=community, level=RiskLevel.HIGH, assessment=assessment)
    return factories.make_assignment(alert=alert, organisation=cast.cso, due_at=timezone.now() - timedelta(hours=1))


@requires_real_services
@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_scoring_and_the_sweeps_complete_after_a_60_second_database_outage(cast):
    # Made first: scoring its report also scores every report then waiting (a micro-batch).
    assignment = overdue_assignment(cast)
    fresh = make_report(cast, cast.places["c1"])
    # Unscored since long before: only the reports sweep queues it.
    forgotten = make_report(cast, cast.places["c2"], received_at=timezone.now() - timedelta(hours=2))
    queue = f"ewers-faults-{uuid.uuid4().hex[:8]}"
    with redis_server() as broker, database_behind_proxy() as proxy:
        env = {
            "REDIS_URL": broker.url,
            "DATABASE_URL": database_url(proxy.port),
            # Waits of 2, 4, 8, then 8 s (not 30): the same retries, a shorter test.
            "EWERS_TASK_RETRY_BACKOFF_MAX": "8",
            # The sweep must not queue the fresh report: its scoring is the retries' doing.
            "EWERS_SWEEP_AFTER_SECONDS": "3600",
            # Batches of one: the fresh report's task does not take the forgotten one along.
            "EWERS_SCORING_BATCH": "1",
        }
        with worker(queue=queue, env=env):
            proxy.cut()
            cut_at = time.monotonic()
            sender = Celery(broker=broker.url, set_as_current=False)
            for name, args in (
                ("indicators.tasks.report_score", [fresh.pk]),
                ("indicators.tasks.reports_sweep", []),
                ("alerts.tasks.overdue_sweep", []),
            ):
                sender.send_task(name, args=args, queue=queue)
            time.sleep(OUTAGE_SECONDS)
            proxy.heal()
            healed_at = time.monotonic()
            scored = wait_for(lambda: FieldReport.objects.get(pk=fresh.pk).status == ReportStatus.SCORED, 45)
            print(f"\nscored {time.monotonic() - healed_at:.1f} s after a {healed_at - cut_at:.0f} s outage")
            assert scored, "the scoring task gave up during the outage"
            assert wait_for(lambda: FieldReport.objects.get(pk=forgotten.pk).status == ReportStatus.SCORED, 45)
            assert wait_for(lambda: Assignment.objects.get(pk=assignment.pk).overdue_notified_at is not None, 30)
    fresh.refresh_from_db()
    assert fresh.queued_at is None  # never queued by the sweep
    assert fresh.scoring_attempts == 1  # the failed tries never reached the row
    assert RiskAssessment.objects.filter(key=f"report:{fresh.pk}").count() == 1
    assert FieldReport.objects.get(pk=forgotten.pk).queued_at is not None  # the sweep's


@requires_real_services
@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_killed_workers_message_comes_back_within_the_visibility_timeout(cast):
    visibility = 6
    report = make_report(cast, cast.places["c1"])
    queue = f"ewers-faults-{uuid.uuid4().hex[:8]}"
    env = {
        "DATABASE_URL": database_url(),
        "CELERY_VISIBILITY_TIMEOUT": str(visibility),
        "CELERY_RESTORE_INTERVAL": "1",
        "CELERY_TASK_TIME_LIMIT": "5",
        "EWERS_TASK_RETRY_BACKOFF_MAX": "2",
        "EWERS_SWEEP_AFTER_SECONDS": "3600",
    }
    with redis_server() as broker:
        env["REDIS_URL"] = broker.url
        killed = Worker(queue=queue, env=env)
        killed.start()
        try:
            with transaction.atomic():
                # Hold the community: the scoring waits here, mid-task, holding its message.
                Region.objects.select_for_update().get(pk=report.community_id)
                Celery(broker=broker.url, set_as_current=False).send_task(
                    "indicators.tasks.report_score", args=[report.pk], queue=queue
                )
                assert wait_for(lambda: FieldReport.objects.get(pk=report.pk).scoring_attempts == 1, 30)
                delivered_at = time.monotonic()
                killed.kill()  # main process and child: nobody is left to hand the message back
        finally:
            killed.stop()  # nothing left to stop, unless the test failed before the kill
        with worker(queue=queue, env=env):
            assert wait_for(lambda: FieldReport.objects.get(pk=report.pk).status == ReportStatus.SCORED, 30)
            back_after = time.monotonic() - delivered_at
    print(f"\nredelivered and scored {back_after:.1f} s after delivery (visibility timeout {visibility} s)")
    assert back_after > visibility - 1  # the visibility timeout put it back, not a hand-back (that is at once)
    assert back_after < visibility + 15  # restore every second, plus the new worker's start
    report.refresh_from_db()
    assert report.queued_at is None  # not the sweep
    assert report.scoring_attempts == 2
    assert RiskAssessment.objects.filter(key=f"report:{report.pk}").count() == 1


@requires_real_services
@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_worker_keeps_its_connection_and_replaces_one_cut_while_it_waited(cast):
    # Celery closed every connection around each task (a new PostgreSQL connection per task);
    # now Django's own rule holds (config.celery.connections_renew): kept, and checked at the
    # next task (CONN_HEALTH_CHECKS), so a connection the network cut meanwhile is replaced
    # before the task uses it. No retries here: a task that met the dead connection would fail.
    first, second, third = (make_report(cast, cast.places[code]) for code in ("c1", "c2", "c1"))
    queue = f"ewers-faults-{uuid.uuid4().hex[:8]}"
    with redis_server() as broker, database_behind_proxy() as proxy:
        env = {
            "REDIS_URL": broker.url,
            "DATABASE_URL": database_url(proxy.port),
            "EWERS_TASK_RETRIES": "0",
            "EWERS_SWEEP_AFTER_SECONDS": "3600",
            "EWERS_SCORING_BATCH": "1",
        }
        sender = Celery(broker=broker.url, set_as_current=False)

        def scored(report: FieldReport) -> bool:
            sender.send_task("indicators.tasks.report_score", args=[report.pk], queue=queue)
            return wait_for(lambda: FieldReport.objects.get(pk=report.pk).status == ReportStatus.SCORED, 30)

        with worker(queue=queue, env=env):
            assert scored(first)
            opened = proxy.accepted
            assert scored(second)
            assert proxy.accepted == opened  # the same connection, kept
            proxy.cut()  # every connection through the proxy closed, the worker's and ours
            proxy.heal()
            connections.close_all()  # this process's own, dead too
            assert scored(third)
            assert proxy.accepted > opened  # the worker opened a new one
