"""Coalesced wake-ups of the scorers: whatever is received, at most one scoring task waits.

Every write of new reports (one report, an API batch, a CSV import) calls ``scoring_wake``
once it commits. It queues ``indicators.tasks.reports_waiting_score`` only when no such
task is waiting in the queue yet: a flag in Redis (``SET NX``, next to the broker's
queue) says one is. The task clears the flag *before* it claims anything, so a report
committed before the clearing is claimed by that task, and one committed after it sets
the flag again and queues the next task (which a free worker process runs meanwhile).
A burst of reports is therefore scored by a few tasks of up to EWERS_SCORING_BATCH reports
each, not by one task per report that mostly finds its report taken.

The flag expires after WAKE_FLAG_SECONDS, so a task lost with its queue (purged, Redis
flushed) delays scoring by that at most; the sweep (``reports_sweep``) queues whatever is
left anyway. Without a broker (tasks run in-process, the embedded demo) there is nothing
to coalesce: the task runs at once. A Redis that does not answer the flag gets the task
queued anyway (which fails and is logged the same way when Redis is down).
"""

from __future__ import annotations

import logging
from functools import cache

import redis
from django.conf import settings

from ewers.broker import enqueue
from indicators import tasks

logger = logging.getLogger(__name__)

# Longer than a waiting task normally waits for a free worker process: a longer wait only
# queues one more task (which finds little or nothing to do).
WAKE_FLAG_SECONDS = 10


@cache
def _client(url: str) -> redis.Redis:
    # One connection pool a process (redis-py renews it after a fork).
    return redis.Redis.from_url(
        url,
        socket_connect_timeout=getattr(settings, "REDIS_CONNECT_TIMEOUT", 1.0),
        socket_timeout=getattr(settings, "REDIS_SOCKET_TIMEOUT", 5.0),
    )


def _flag() -> str | None:
    """The flag's key: per queue (a deployment or a bench sharing one Redis keeps its own);
    None when tasks run in-process."""
    app = tasks.reports_waiting_score.app
    if app.conf.task_always_eager or not settings.REDIS_URL:
        return None
    return f"ewers:scoring-wake:{app.conf.task_default_queue}"


def scoring_wake() -> bool:
    """Have the reports waiting scored: queue a scoring task unless one is already waiting.
    Returns whether a task is (now) queued."""
    key = _flag()
    if key is not None:
        try:
            if not _client(settings.REDIS_URL).set(key, 1, nx=True, ex=WAKE_FLAG_SECONDS):
                return True  # a task is waiting: it will claim these reports too
        except redis.RedisError:
            logger.warning("could not read the scoring wake-up flag; queueing a scoring task", exc_info=True)
    queued = enqueue(tasks.reports_waiting_score)
    if not queued and key is not None:
        scoring_wake_forget()  # nothing waits: the next report tries again
    return queued


def scoring_wake_another() -> bool:
    """A backlog: have one more scorer take part (``scoring_wake``), when tasks go through a
    broker; in-process (tasks run at once: the embedded demo, the tests) the scorer that
    found the backlog goes on alone, rather than start a scorer inside itself. Returns
    whether a task is (now) queued."""
    return _flag() is not None and scoring_wake()


def scoring_wake_forget() -> None:
    """Clear the flag: called by the task before it claims (and after a purge of the queue)."""
    key = _flag()
    if key is None:
        return
    try:
        _client(settings.REDIS_URL).delete(key)
    except redis.RedisError:
        logger.warning("could not clear the scoring wake-up flag (it expires by itself)", exc_info=True)
