"""The request limits on Redis (issue 13): each limit counted in one round trip (a sliding
window kept by a script, ``FailOpenRedisCache.window_hit``) with DRF's rule: the requests
of the last minute, a refused one not counted, 429 with Retry-After; Redis away lets
requests through. The suite's own cache is in memory: these tests use Redis db of
REDIS_URL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import override_settings
from rest_framework.test import APIClient

from ewers.api.throttling import UserRateThrottle

REDIS_URL = os.environ.get("REDIS_URL", "")
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not REDIS_URL.startswith("redis"), reason="needs Redis (REDIS_URL)"),
]


def redis_cache(location: str) -> dict[str, Any]:
    return {"default": {"BACKEND": "ewers.cache.FailOpenRedisCache", "LOCATION": location}}


@pytest.fixture
def three_a_minute(settings) -> Iterator[None]:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "user": "3/min"},
    }
    with override_settings(CACHES=redis_cache(REDIS_URL)):
        cache.clear()
        yield
        cache.clear()


def api(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_a_user_gets_the_rate_then_429_with_retry_after(cast, three_a_minute):
    ana = api(cast.analyst)
    answers = [ana.get("/api/v1/me/") for _ in range(5)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429, 429]
    assert 0 < int(answers[3]["Retry-After"]) <= 60
    assert api(cast.cso_user).get("/api/v1/me/").status_code == 200  # per user


def test_the_window_slides_and_refusals_are_not_counted(cast, three_a_minute, monkeypatch):
    clock = [1_000_000.0]
    monkeypatch.setattr(UserRateThrottle, "timer", lambda self: clock[0])
    ana = api(cast.analyst)

    def at(seconds: float) -> int:
        clock[0] = 1_000_000.0 + seconds
        return ana.get("/api/v1/me/").status_code

    assert [at(0), at(10), at(20)] == [200, 200, 200]
    assert [at(30), at(59.9)] == [429, 429]
    # At 60 the first request leaves the window (DRF: older than or exactly a minute).
    assert at(60) == 200
    assert at(61) == 429
    assert at(70) == 200  # the one of 10 left


def test_the_wait_is_drfs_estimate(cast, three_a_minute, monkeypatch):
    clock = [2_000_000.0]
    monkeypatch.setattr(UserRateThrottle, "timer", lambda self: clock[0])
    ana = api(cast.analyst)
    for _ in range(3):
        assert ana.get("/api/v1/me/").status_code == 200
    clock[0] += 15
    refused = ana.get("/api/v1/me/")
    assert refused.status_code == 429
    # 45 s until the oldest leaves, over the one request that can come then.
    assert refused["Retry-After"] == "45"


def test_redis_away_lets_requests_through(cast, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "user": "1/min"},
    }
    with override_settings(CACHES=redis_cache("redis://127.0.0.1:9/0")):
        ana = api(cast.analyst)
        assert [ana.get("/api/v1/me/").status_code for _ in range(3)] == [200, 200, 200]


def test_the_cache_makes_its_redis_client_once(monkeypatch):
    """Window hits and the other commands share one ``redis.Redis`` per connection pool
    (Django's client built one on every call)."""
    from ewers.cache import FailOpenRedisCache

    counter = FailOpenRedisCache(REDIS_URL, {})
    made = []
    build = counter._cache._client

    def counted(*args: Any, **kwargs: Any) -> Any:
        made.append(kwargs)
        return build(*args, **kwargs)

    monkeypatch.setattr(counter._cache, "_client", counted)
    key = f"test-window-{os.getpid()}"
    try:
        hits = [counter.window_hit(key, now=100.0 + i, duration=60, limit=2) for i in range(3)]
        assert hits == [(True, 1, 100.0), (True, 2, 100.0), (False, 2, 100.0)]
        assert counter.window_hit(key, now=160.5, duration=60, limit=2) == (True, 2, 101.0)
        counter.set(f"{key}:plain", "a", timeout=60)
        assert counter.add(f"{key}:plain", "b", timeout=60) is False
        assert counter.get(f"{key}:plain") == "a"
        assert len(made) == 1  # one server: one pool for reads and writes, one client
    finally:
        counter.delete(f"{key}:window")
        counter.delete(f"{key}:plain")
