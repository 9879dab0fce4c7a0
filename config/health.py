"""Health checks of the running system: database, broker, workers, unscored reports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from config.celery import app
from indicators.choices import ReportStatus
from indicators.models import FieldReport

# A report still ``received`` after this long means scoring is not keeping up.
# Pinging the workers waits for their replies: do it at most this often.
WORKER_PING_CACHE_SECONDS = 30


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    required: bool = True


def check_database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure is the answer
        return Check("database", False, type(exc).__name__)
    return Check("database", True, connection.vendor)


def check_broker() -> Check:
    if not settings.REDIS_URL:
        return Check("broker", True, "none configured: tasks run in-process")
    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
        client.ping()
    except Exception as exc:  # noqa: BLE001
        return Check("broker", False, type(exc).__name__)
    return Check("broker", True, "redis answered PING")


def check_workers() -> Check:
    """Informational: a missing worker delays scoring but loses nothing (the sweep catches up)."""
    if not settings.REDIS_URL:
        return Check("workers", True, "in-process", required=False)
    cached: Check | None = cache.get("ewers:health:workers")
    if cached is not None:
        return cached
    try:
        replies = app.control.ping(timeout=0.5)
        check = Check("workers", bool(replies), f"{len(replies)} answered", required=False)
    except Exception as exc:  # noqa: BLE001
        check = Check("workers", False, type(exc).__name__, required=False)
    cache.set("ewers:health:workers", check, WORKER_PING_CACHE_SECONDS)
    return check


def check_unscored() -> Check:
    """Informational: reports waiting for scoring longer than they should, and those whose
    scoring failed EWERS_SCORING_MAX_ATTEMPTS times (an operator must look: not ok)."""
    try:
        late = FieldReport.objects.filter(
            status=ReportStatus.RECEIVED,
            received_at__lt=timezone.now() - timedelta(seconds=settings.EWERS_SWEEP_AFTER_SECONDS),
        )
        waiting = late.count()
        stuck = late.filter(scoring_attempts__gte=settings.EWERS_SCORING_MAX_ATTEMPTS).count()
    except Exception as exc:  # noqa: BLE001
        return Check("unscored_reports", False, type(exc).__name__, required=False)
    return Check("unscored_reports", stuck == 0, f"{waiting} waiting, {stuck} out of attempts", required=False)


def system_health() -> tuple[bool, list[Check]]:
    """All checks, and whether every required one passed."""
    checks = [check_database(), check_broker(), check_workers(), check_unscored()]
    return all(c.ok for c in checks if c.required), checks
