"""Coalesced wake-ups (indicators/services/scoring_wake.py) on the real broker: while a
scoring task waits in the queue, new reports queue no other; the task clears the flag
before it claims, so the next report queues the next task, and none is lost."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest
import redis
from django.conf import settings

from config.celery import app
from indicators.choices import ReportStatus
from indicators.models import FieldReport
from indicators.services import reports_waiting_score, scoring_wake_forget
from tests.conftest import requires_real_services
from tests.indicators.services.conftest import report

pytestmark = [requires_real_services, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def queue() -> Iterator[str]:
    """The project's app publishing for real (the test settings run tasks in-process) to a
    queue of this test's own, which no worker reads."""
    saved = app.conf.task_always_eager, app.conf.task_default_queue
    name = f"ewers-wake-{uuid.uuid4().hex[:8]}"
    app.conf.task_always_eager, app.conf.task_default_queue = False, name
    try:
        yield name
    finally:
        scoring_wake_forget()
        redis.Redis.from_url(settings.REDIS_URL).delete(name)
        app.conf.task_always_eager, app.conf.task_default_queue = saved


def test_reports_arriving_while_a_scoring_task_waits_queue_no_other(cast, queue):
    client = redis.Redis.from_url(settings.REDIS_URL)
    waiting = [report(cast, [cast.indicator], value=v) for v in (1, 2, 3)]  # each wakes the scorers once committed
    assert client.llen(queue) == 1  # one task waits, for all three
    assert reports_waiting_score() == 3  # that task's work: all three, at once
    statuses = FieldReport.objects.filter(pk__in=[r.pk for r in waiting]).values_list("status", flat=True)
    assert set(statuses) == {ReportStatus.SCORED}
    later = report(cast, [cast.indicator], value=2)
    assert client.llen(queue) == 2  # the flag was cleared first: the next report queued the next task
    assert FieldReport.objects.get(pk=later.pk).status == ReportStatus.RECEIVED


def test_a_full_claim_wakes_another_scorer_for_the_next_communities(cast, queue, settings):
    settings.EWERS_SCORING_BATCH = 2
    client = redis.Redis.from_url(settings.REDIS_URL)
    c1, c2 = cast.places["c1"], cast.places["c2"]
    for community in (c1, c1, c2):
        report(cast, [cast.indicator], value=2, community=community)
    scoring_wake_forget()
    client.delete(queue)
    # The first claim is full (c1's two): a backlog, so another scorer is queued at once,
    # before this one goes on to c2's report; the last claim (one report) wakes none.
    assert reports_waiting_score() == 3
    queued = [json.loads(message)["headers"]["task"] for message in client.lrange(queue, 0, -1)]
    assert queued == ["indicators.tasks.reports_waiting_score"]
