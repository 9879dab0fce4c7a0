"""Celery: the broker, how tasks are acknowledged and retried, and the beat schedule.

docs/operations.md tells what each of these timeouts does during an outage.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ImproperlyConfigured

from config.settings.environment import (
    BASE_DIR,
    REDIS_CONNECT_TIMEOUT,
    REDIS_SOCKET_TIMEOUT,
    REDIS_URL,
    env,
    env_int,
)

# --- Tasks --------------------------------------------------------------------------

if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    # No broker configured: the embedded demo runs every task in-process, at once.
    CELERY_BROKER_URL = "memory://"
    CELERY_RESULT_BACKEND = None
    CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
# A deployment (or a benchmark) sharing one Redis can keep its tasks on a queue of its own.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fixup closes every database connection before and after each task unless
# told to reuse them: each task then paid a new PostgreSQL connection (~4 ms here, and a
# backend process started on the server), a tenth of a report's way to its alert. It closes
# them only every DB_REUSE_MAX tasks now; what governs a worker's connections is Django's own
# rule, as for a request (``CONN_MAX_AGE``, the health check, a connection that failed):
# config.celery closes the old ones at each task's start and end.
CELERY_DB_REUSE_MAX = 1000
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 300, minimum=1)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# A task that meets a transient database error (a cut, a failover, a deadlock) tries again
# after 2, 4, 8, 16 and then every EWERS_TASK_RETRY_BACKOFF_MAX seconds, EWERS_TASK_RETRIES
# times: by default for five minutes, so an outage of a few minutes costs a delay, and the
# minute's sweep is only the last net (ewers.broker.outage_retry).
EWERS_TASK_RETRIES = env_int("EWERS_TASK_RETRIES", 13)
EWERS_TASK_RETRY_BACKOFF_MAX = env_int("EWERS_TASK_RETRY_BACKOFF_MAX", 30, minimum=1)

# A message stays in Redis, unacknowledged, while a worker holds it (acks_late). If the
# whole worker dies (SIGKILL, a lost host), another worker puts it back on the queue once
# it has been held this long: longer than any task may run, and than a retry's wait, or a
# message still being worked on would run twice. Kombu's default is an hour.
CELERY_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT", CELERY_TASK_TIME_LIMIT + 60, minimum=1)
if max(CELERY_TASK_TIME_LIMIT, EWERS_TASK_RETRY_BACKOFF_MAX) >= CELERY_VISIBILITY_TIMEOUT:
    raise ImproperlyConfigured(
        "CELERY_VISIBILITY_TIMEOUT must be longer than CELERY_TASK_TIME_LIMIT and EWERS_TASK_RETRY_BACKOFF_MAX."
    )
# How often each worker looks for such messages (one indexed Redis read).
CELERY_RESTORE_INTERVAL = env_int("CELERY_RESTORE_INTERVAL", 10, minimum=1)

CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    "unacked_restore_interval": CELERY_RESTORE_INTERVAL,
    "unacked_restore_throttle": 1,
    # Publishing must not hold a web request when the broker is down or cut off: one
    # immediate reconnection (a pooled connection Redis dropped on restart), bounded waits.
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0,
    "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
    "socket_timeout": REDIS_SOCKET_TIMEOUT,
}
# Celery's own publish retry defaults to 3 tries 0.2 s apart: 0.6 s added to every request
# while Redis is down. One immediate retry; then the report waits for the sweep.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0, "interval_max": 0}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = REDIS_CONNECT_TIMEOUT
CELERY_REDIS_SOCKET_TIMEOUT = REDIS_SOCKET_TIMEOUT
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    # A report accepted while the broker was down is queued by this sweep once it is back.
    "reports-sweep": {"task": "indicators.tasks.reports_sweep", "schedule": timedelta(seconds=60)},
    # Signals fade: re-assess every community with recent readings once a day, for trends.
    "communities-reassess": {"task": "indicators.tasks.communities_reassess", "schedule": timedelta(hours=24)},
    "sessions-clear-expired": {
        "task": "ewers.tasks.sessions_clear_expired",
        "schedule": timedelta(hours=6),
    },
    "api-tokens-clear-expired": {"task": "ewers.tasks.api_tokens_clear", "schedule": timedelta(hours=6)},
    # Marks assignments past their deadline (notifying the coordinators once) and sends
    # notification e-mails a broker outage left unsent.
    "assignments-overdue": {"task": "alerts.tasks.overdue_sweep", "schedule": timedelta(seconds=60)},
    # Forgets on time what the retention policy no longer keeps (docs/operations.md, "Retention").
    "retention-purge": {"task": "retention.tasks.retention_purge", "schedule": timedelta(hours=24)},
    # Monitors whose expected check-in did not come: their organisation told, then the
    # coordinators; once per missed period (docs/learning.md, "Missed check-ins").
    "check-ins-missed": {"task": "learning.tasks.check_ins_sweep", "schedule": timedelta(hours=24)},
}
CELERY_BEAT_SCHEDULE_FILENAME = str(BASE_DIR / "var" / "celerybeat-schedule")
