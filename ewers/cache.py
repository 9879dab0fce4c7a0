"""The cache on Redis, open while Redis is not.

A cache only saves work, so Redis being away must not fail a request that uses it (a
throttle's counter, the health check's worker count): while Redis cannot be reached every
read is a miss and every write is dropped, and after an error the cache leaves Redis
alone for REDIS_FAIL_FAST_SECONDS instead of paying REDIS_CONNECT_TIMEOUT on every call.
The broker check of ``/healthz`` reports the outage.
"""

from __future__ import annotations

import logging
import math
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import redis
from django.conf import settings
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

logger = logging.getLogger(__name__)
T = TypeVar("T")

# A sliding window of requests (a throttle's), in one round trip: the entries that have
# left the window dropped, then the request refused when the window is full, recorded
# otherwise. Answers {allowed, entries in the window, the oldest one's time}.
_WINDOW_SCRIPT = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1] - ARGV[2])
local count = redis.call('ZCARD', KEYS[1])
local allowed = 0
if count < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
  count = count + 1
  allowed = 1
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {allowed, count, oldest[2] or false}
"""


class ReusedClientRedisCacheClient(RedisCacheClient):
    """Django's client of the cache's Redis, but for ``get_client``: Django builds a
    ``redis.Redis`` (its table of reply callbacks) on every call, half of a command's own
    time (each request's throttles, each writer's version renewal). Here one per connection
    pool, made once: a command borrows a connection from the pool and gives it back, so
    threads may share the client, and the pool notices a fork (a worker's processes)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        index = self._get_connection_pool_index(write)  # type: ignore[attr-defined]
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = self._client(connection_pool=self._get_connection_pool(write))  # type: ignore[attr-defined]
        return client


class FailOpenRedisCache(RedisCache):
    """Django's Redis cache, answering "not cached" while Redis cannot be reached."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient
        self._lock = threading.Lock()
        self._away_until = 0.0
        self._window_script: Any = None

    def window_hit(self, key: str, *, now: float, duration: float, limit: int) -> tuple[bool, int, float] | None:
        """Count a request at ``now`` in the sliding window ``key`` of ``duration`` seconds
        holding at most ``limit`` (``ewers.api.throttling``), in one round trip and atomically:
        returns (allowed, requests in the window, the oldest one's time); None while Redis
        is away (the caller lets the request through, as its misses would)."""
        full_key = self.make_and_validate_key(f"{key}:window")

        def hit() -> tuple[bool, int, float]:
            client = self._cache.get_client(full_key, write=True)  # type: ignore[attr-defined]
            if self._window_script is None:
                self._window_script = client.register_script(_WINDOW_SCRIPT)
            member = f"{now!r}:{secrets.token_hex(4)}"
            expiry_ms = max(1, math.ceil(duration * 1000))
            args = [repr(now), repr(float(duration)), limit, member, expiry_ms]
            allowed, count, oldest = self._window_script(keys=[full_key], args=args, client=client)
            return bool(allowed), int(count), float(oldest) if oldest else now

        return self._guarded(hit, None)

    def _guarded(self, call: Callable[[], T], fallback: T) -> T:
        if time.monotonic() < self._away_until:
            return fallback
        try:
            return call()
        except redis.RedisError as exc:
            with self._lock:
                first = time.monotonic() >= self._away_until
                self._away_until = time.monotonic() + settings.REDIS_FAIL_FAST_SECONDS
            if first:
                logger.warning("cache unavailable, answering without it: %s: %s", type(exc).__name__, exc)
            return fallback

    def get(self, key: Any, default: Any | None = None, version: int | None = None) -> Any:
        return self._guarded(lambda: super(FailOpenRedisCache, self).get(key, default, version), default)

    def get_many(self, keys: Iterable[Any], version: int | None = None) -> dict[Any, Any]:
        return self._guarded(lambda: super(FailOpenRedisCache, self).get_many(keys, version), {})

    def has_key(self, key: Any, version: int | None = None) -> bool:
        return self._guarded(lambda: super(FailOpenRedisCache, self).has_key(key, version), False)

    def set(self, key: Any, value: Any, timeout: float | None = DEFAULT_TIMEOUT, version: int | None = None) -> None:
        self._guarded(lambda: super(FailOpenRedisCache, self).set(key, value, timeout, version), None)

    def set_many(
        self, data: dict[Any, Any], timeout: float | None = DEFAULT_TIMEOUT, version: int | None = None
    ) -> list[Any]:
        return self._guarded(lambda: super(FailOpenRedisCache, self).set_many(data, timeout, version), list(data))

    def add(self, key: Any, value: Any, timeout: float | None = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        return self._guarded(lambda: super(FailOpenRedisCache, self).add(key, value, timeout, version), False)

    def touch(self, key: Any, timeout: float | None = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        return self._guarded(lambda: super(FailOpenRedisCache, self).touch(key, timeout, version), False)

    def delete(self, key: Any, version: int | None = None) -> bool:
        return self._guarded(lambda: super(FailOpenRedisCache, self).delete(key, version), False)

    def delete_many(self, keys: Iterable[Any], version: int | None = None) -> None:
        self._guarded(lambda: super(FailOpenRedisCache, self).delete_many(keys, version), None)

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        missing: int | None = None
        result = self._guarded(lambda: super(FailOpenRedisCache, self).incr(key, delta, version), missing)
        if result is None:
            raise ValueError(f"Key '{key}' not found")  # what incr says of a key the cache lacks
        return result
