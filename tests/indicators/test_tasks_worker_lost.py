"""A worker process killed in the middle of scoring loses nothing and applies nothing twice.

Runs a real ``celery worker`` subprocess (prefork, one child) on the test database and
Redis. The test holds the community's row lock so the task is caught mid-flight, kills
the child with SIGKILL, and lets go: ``acks_late`` + ``reject_on_worker_lost`` put the
message back, and the report's claim and keyed assessment keep it to one result.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.utils import timezone

from ewers.models import Region
from indicators.choices import ReportStatus
from indicators.models import FieldReport, RiskAssessment
from indicators.services import ReadingInput, field_report_create
from tests.conftest import requires_real_services
from tests.polling import wait_for

pytestmark = [requires_real_services, pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
BOUND_SECONDS = 60


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


@pytest.fixture
def worker(celery_config) -> Iterator[subprocess.Popen[bytes]]:
    """A worker process on this run's queue, reading the test database."""
    db = connection.settings_dict
    url = f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    env = os.environ | {"DJANGO_SETTINGS_MODULE": "config.settings_test", "DATABASE_URL": url}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-Q",
            celery_config["task_default_queue"],
            "-P",
            "prefork",
            "-c",
            "1",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-l",
            "WARNING",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        assert wait_for(lambda: bool(children_of(process.pid)), 30), "the worker did not start"
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def test_a_killed_worker_neither_loses_nor_doubles_a_report(cast, celery_app, worker):
    community = cast.places["c1"]
    report, _ = field_report_create(
        user=cast.analyst,
        community=community,
        observed_at=timezone.now() - timedelta(hours=1),
        readings=[ReadingInput(indicator=cast.indicator, value=3)],
        source_reliability="B",
        information_credibility=2,
        enqueue_scoring=False,
    )
    with transaction.atomic():
        # Hold the community: the worker's scoring waits here, mid-task.
        Region.objects.select_for_update().get(pk=community.pk)
        celery_app.send_task("indicators.tasks.report_score", args=[report.pk])
        assert wait_for(lambda: FieldReport.objects.get(pk=report.pk).scoring_attempts == 1, BOUND_SECONDS)
        (child,) = children_of(worker.pid)
        os.kill(child, signal.SIGKILL)
        assert wait_for(lambda: children_of(worker.pid) not in ([], [child]), 30), "no fresh child"
    # Let go. (The killed child's database session still waits on the lock until then.)
    # The message comes back to the fresh child, which claims the report again and scores it.
    assert wait_for(lambda: FieldReport.objects.get(pk=report.pk).status == ReportStatus.SCORED, BOUND_SECONDS)
    report.refresh_from_db()
    assert report.scoring_attempts == 2
    assert RiskAssessment.objects.filter(community=community).count() == 1
    assert RiskAssessment.objects.get().key == f"report:{report.pk}"


def test_a_worker_killed_mid_batch_commits_nothing_and_the_batch_is_scored_once(cast, celery_app, worker):
    places = sorted([cast.places["c1"], cast.places["c2"]], key=lambda p: p.pk)  # locked in this order
    reports = [
        field_report_create(
            user=cast.analyst,
            community=place,
            observed_at=timezone.now() - timedelta(hours=1),
            readings=[ReadingInput(indicator=cast.indicator, value=value)],
            source_reliability="B",
            information_credibility=2,
            enqueue_scoring=False,
        )[0]
        for place, value in ((places[0], 2), (places[0], 3), (places[1], 3))
    ]
    with transaction.atomic():
        # Hold the second community: the batch (one transaction) has locked the first and waits.
        Region.objects.select_for_update().get(pk=places[1].pk)
        celery_app.send_task("indicators.tasks.reports_score", args=[[r.pk for r in reports]])
        assert wait_for(
            lambda: all(r.scoring_attempts == 1 for r in FieldReport.objects.filter(pk__in=[r.pk for r in reports])),
            BOUND_SECONDS,
        )
        (child,) = children_of(worker.pid)
        os.kill(child, signal.SIGKILL)
        assert wait_for(lambda: children_of(worker.pid) not in ([], [child]), 30), "no fresh child"
    # Nothing of the killed batch committed: the message comes back and claims it again.
    assert wait_for(lambda: not FieldReport.objects.filter(status=ReportStatus.RECEIVED).exists(), BOUND_SECONDS)
    # One assessment per community, made once.
    assert sorted(RiskAssessment.objects.values_list("key", flat=True)) == sorted(
        [f"report:{reports[1].pk}", f"report:{reports[2].pk}"]
    )
    assert [FieldReport.objects.get(pk=r.pk).scoring_attempts for r in reports] == [2, 2, 2]
