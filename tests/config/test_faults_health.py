"""Redis stopped (a Redis the test starts on its own port): /healthz answers 503 naming the
broker, fast; reports are still saved and answered at their normal speed, and queued once
Redis is back (issue 17)."""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterator
from datetime import timedelta

import pytest
import redis
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from config.celery import app
from indicators.choices import ReportStatus
from indicators.models import FieldReport
from indicators.services import reports_sweep
from tests.conftest import requires_real_services
from tests.faults import RedisServer, redis_server, timed
from tests.polling import wait_for

pytestmark = [requires_real_services, pytest.mark.integration, pytest.mark.django_db(transaction=True)]

LIST = reverse("api-report-list")
# A functional bound, not a benchmark: a stopped Redis must not add a visible wait.
SLOWER_BY_AT_MOST = 0.1
SAMPLES = 7


def _connect(url: str, *, eager: bool) -> None:
    app.conf.broker_url = url
    app.conf.task_always_eager = eager
    app._pool = None  # drop pooled connections to the old address
    app.amqp._producer_pool = None


@pytest.fixture
def own_redis(settings) -> Iterator[RedisServer]:
    """The project's Celery app and cache on a Redis of this test's own, publishing for real
    (the test settings otherwise run tasks in-process)."""
    with redis_server() as server:
        settings.REDIS_URL = server.url
        settings.CACHES = {
            "default": {
                "BACKEND": "ewers.cache.FailOpenRedisCache",
                "LOCATION": server.url,
                "OPTIONS": {
                    "socket_connect_timeout": settings.REDIS_CONNECT_TIMEOUT,
                    "socket_timeout": settings.REDIS_SOCKET_TIMEOUT,
                },
            },
        }
        saved = app.conf.broker_url, app.conf.task_always_eager
        _connect(server.url, eager=False)
        try:
            yield server
        finally:
            _connect(saved[0], eager=saved[1])


def body(n: int) -> dict[str, object]:
    return {
        "community": "T-1-1-1",
        "observed_at": (timezone.now() - timedelta(hours=1)).isoformat(),
        "readings": [{"indicator": "P01", "value": n % 5}],
        "source_reliability": "B",
        "information_credibility": 2,
        "narrative": f"Report {n}.",
    }


def post_times(client: APIClient, first: int) -> list[float]:
    times = []
    for n in range(first, first + SAMPLES):
        seconds, response = timed(lambda n=n: client.post(LIST, body(n), format="json"))
        assert response.status_code == 201, response.content
        times.append(seconds)
    return times


def queued(server: RedisServer) -> int:
    return int(redis.Redis.from_url(server.url).llen(app.conf.task_default_queue))


def queued_tasks(server: RedisServer) -> list[str]:
    messages = redis.Redis.from_url(server.url).lrange(app.conf.task_default_queue, 0, -1)
    return [json.loads(message)["headers"]["task"] for message in messages]


def test_healthz_names_the_broker_when_redis_is_stopped(own_redis, client, settings):
    assert client.get(reverse("healthz")).status_code == 200
    own_redis.stop()
    seconds, response = timed(lambda: client.get(reverse("healthz")))
    print(f"\n/healthz with Redis stopped: {response.status_code} in {seconds * 1000:.1f} ms")
    assert response.status_code == 503  # not 500: the worker check no longer trips on the cache
    checks = response.json()["checks"]
    assert response.json()["status"] == "fail"
    assert checks["broker"] == {"ok": False, "required": True}
    assert checks["database"] == {"ok": True, "required": True}
    assert checks["workers"]["ok"] is False
    assert seconds < 2 * settings.EWERS_HEALTH_TIMEOUT
    own_redis.start()
    assert client.get(reverse("healthz")).status_code == 200


def test_reports_are_saved_at_normal_speed_while_redis_is_stopped_and_queued_once_it_is_back(cast, own_redis):
    client = APIClient()
    client.force_authenticate(cast.analyst)
    post_times(client, 0)  # warm-up: connections, caches, code paths
    normal = statistics.median(post_times(client, 100))
    # The first commit queued a scoring task; the other reports found it waiting (no worker
    # runs here) and left it to claim them too (indicators.services.scoring_wake).
    assert queued_tasks(own_redis) == ["indicators.tasks.reports_waiting_score"]

    own_redis.stop()
    down = statistics.median(post_times(client, 200))
    print(f"\nPOST median: Redis up {normal * 1000:.1f} ms, Redis stopped {down * 1000:.1f} ms")
    assert down <= normal + SLOWER_BY_AT_MOST, (normal, down)
    saved_while_down = FieldReport.objects.filter(narrative__in=[f"Report {n}." for n in range(200, 200 + SAMPLES)])
    assert saved_while_down.count() == SAMPLES
    assert all(r.readings.count() == 1 for r in saved_while_down)

    # Back: the next report is queued at once (the pooled connection Redis dropped is
    # replaced by the one immediate retry), and the sweep queues those it missed.
    own_redis.start()
    assert client.post(LIST, body(300), format="json").status_code == 201
    assert queued(own_redis) == 1
    assert reports_sweep(now=timezone.now() + timedelta(minutes=5)) == FieldReport.objects.count()
    assert FieldReport.objects.filter(status=ReportStatus.RECEIVED, queued_at__isnull=False).count() == (
        FieldReport.objects.count()
    )


def test_the_cache_answers_misses_not_errors_while_redis_is_stopped(own_redis, settings):
    cache.set("ewers:test", "kept", 60)
    assert cache.get("ewers:test") == "kept"
    own_redis.stop()
    seconds, value = timed(lambda: [cache.set("ewers:test", "new", 60), cache.get("ewers:test", "missed")][1])
    assert value == "missed"  # a throttle or the health check goes on without it
    assert seconds < 0.5
    assert cache.get_many(["ewers:test"]) == {} and cache.add("ewers:other", 1) is False
    own_redis.start()
    # After the pause that spares Redis a connection attempt per call, it is used again.
    assert wait_for(lambda: cache.add("ewers:back", 1) is True, settings.REDIS_FAIL_FAST_SECONDS + 2)
