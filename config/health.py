"""Health checks of the running system: database, broker, workers, unscored reports.

Every check catches its own failure and names it, and every wait is bounded
(EWERS_HEALTH_TIMEOUT), so ``/healthz`` answers 503 naming what failed while the database
or Redis is down or cut off: never a 500, never a hang. A check that needs a failed one is
skipped rather than left to wait on it.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from datetime import timedelta

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone

from config.celery import app
from indicators.choices import ReportStatus
from indicators.models import FieldReport

# Pinging the workers waits for their replies: do it at most this often.
WORKER_PING_CACHE_SECONDS = 30
WORKER_PING_SECONDS = 0.5


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    required: bool = True


def _skipped(name: str, because: str) -> Check:
    return Check(name, False, f"skipped: {because} is down", required=False)


def check_database() -> Check:
    """``SELECT 1`` on a connection of its own, opened with the health timeout: the
    requests' kept connection may sit on a cut network for DATABASE_NETWORK_TIMEOUT."""
    wrapper = connections[DEFAULT_DB_ALIAS]
    settings_dict = copy.deepcopy(wrapper.settings_dict)
    if wrapper.vendor == "postgresql":
        millis = settings.EWERS_HEALTH_TIMEOUT * 1000
        options = settings_dict.setdefault("OPTIONS", {})
        options["connect_timeout"] = max(2, math.ceil(settings.EWERS_HEALTH_TIMEOUT))  # libpq's least is 2
        options["tcp_user_timeout"] = millis
        options["options"] = f"{options.get('options', '')} -c statement_timeout={millis}".strip()
    probe = type(wrapper)(settings_dict, DEFAULT_DB_ALIAS)
    try:
        with probe.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure is the answer
        return Check("database", False, type(exc).__name__)
    finally:
        probe.close()
    return Check("database", True, wrapper.vendor)


def check_broker() -> Check:
    if not settings.REDIS_URL:
        return Check("broker", True, "none configured: tasks run in-process")
    timeout = settings.EWERS_HEALTH_TIMEOUT
    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        client.ping()
    except Exception as exc:  # noqa: BLE001
        return Check("broker", False, type(exc).__name__)
    finally:
        client.close()
    return Check("broker", True, "redis answered PING")


def check_workers(*, broker_ok: bool) -> Check:
    """Informational: a missing worker delays scoring but loses nothing (the sweep catches up)."""
    if not settings.REDIS_URL:
        return Check("workers", True, "in-process", required=False)
    if not broker_ok:
        # The workers are reached through the broker (and the cache is the same Redis).
        return _skipped("workers", "the broker")
    try:
        cached: Check | None = cache.get("ewers:health:workers")
        if cached is not None:
            return cached
        replies = app.control.ping(timeout=WORKER_PING_SECONDS)
        check = Check("workers", bool(replies), f"{len(replies)} answered", required=False)
        cache.set("ewers:health:workers", check, WORKER_PING_CACHE_SECONDS)
    except Exception as exc:  # noqa: BLE001
        check = Check("workers", False, type(exc).__name__, required=False)
    return check


def check_unscored(*, database_ok: bool) -> Check:
    """Informational: reports waiting for scoring longer than they should, and those whose
    scoring failed EWERS_SCORING_MAX_ATTEMPTS times (an operator must look: not ok)."""
    if not database_ok:
        return _skipped("unscored_reports", "the database")
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
    database, broker = check_database(), check_broker()
    checks = [database, broker, check_workers(broker_ok=broker.ok), check_unscored(database_ok=database.ok)]
    return all(c.ok for c in checks if c.required), checks
