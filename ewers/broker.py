"""Queueing a task after commit without letting a broker outage fail the request."""

from __future__ import annotations

import logging
from typing import Any, Protocol

logger = logging.getLogger(__name__)


class Task(Protocol):
    """A Celery task as the services queue it (Celery ships no types)."""

    name: str

    def delay(self, *args: Any) -> Any: ...


def enqueue(task: Task, *args: Any) -> bool:
    """Queue ``task`` with ``args``; a broker that is down is logged, not raised.

    Callers run this after their transaction commits, and each has a periodic sweep that
    finds the work left undone (reports left ``received``, e-mails left unsent), so
    nothing is lost while the broker is away. Returns whether the task was queued.
    """
    try:
        task.delay(*args)
    except Exception:
        logger.exception("could not queue %s%r; a sweep will pick the work up", getattr(task, "name", task), args)
        return False
    return True
