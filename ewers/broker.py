"""Tasks through outages: queueing after commit without letting a broker outage fail the
request, and the one retry policy every task follows through a database outage."""

from __future__ import annotations

import logging
from typing import Any, Protocol

from django.conf import settings
from django.db import InterfaceError, OperationalError

logger = logging.getLogger(__name__)

# A dropped or refused database connection, a failover, a statement timeout or a deadlock
# victim: worth another try, later.
TRANSIENT_ERRORS = (OperationalError, InterfaceError)


class Task(Protocol):
    """A Celery task as the services queue it (Celery ships no types)."""

    name: str

    def delay(self, *args: Any) -> Any: ...


def enqueue(task: Task, *args: Any) -> bool:
    """Queue ``task`` with ``args``; a broker that is down is logged, not raised.

    Callers run this after their transaction commits, and each has a periodic sweep that
    finds the work left undone (reports left ``received``, e-mails left unsent), so
    nothing is lost while the broker is away. The publish is tried twice at once and its
    waits are bounded (CELERY_TASK_PUBLISH_RETRY_POLICY, REDIS_CONNECT_TIMEOUT): a request
    is answered at its normal speed. Returns whether the task was queued.
    """
    try:
        task.delay(*args)
    except Exception:
        logger.exception("could not queue %s%r; a sweep will pick the work up", getattr(task, "name", task), args)
        return False
    return True


def outage_retry(**options: Any) -> dict[str, Any]:
    """The options of every task (``@shared_task(**outage_retry())``), ``options`` added.

    A transient database error retries the task after 2, 4, 8, 16, then every
    EWERS_TASK_RETRY_BACKOFF_MAX seconds, EWERS_TASK_RETRIES times (five minutes by
    default), so scoring, the sweeps and the e-mails outlast an outage of a few minutes by
    themselves. No jitter: the schedule operators read in docs/operations.md is the one that
    runs (tasks caught by one outage were queued at different moments anyway). The tasks
    are idempotent, so ``acks_late`` with ``reject_on_worker_lost`` re-runs what a killed
    worker left unfinished without applying it twice.
    """
    return {
        "autoretry_for": TRANSIENT_ERRORS,
        "retry_backoff": 2,
        "retry_backoff_max": settings.EWERS_TASK_RETRY_BACKOFF_MAX,
        "retry_jitter": False,
        "max_retries": settings.EWERS_TASK_RETRIES,
        "acks_late": True,
        "reject_on_worker_lost": True,
        "ignore_result": True,
    } | options
