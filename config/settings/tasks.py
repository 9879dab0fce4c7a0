"""Celery: the broker, how tasks are acknowledged and retried, and the beat schedule."""

from __future__ import annotations

from datetime import timedelta

from config.settings.environment import (
    BASE_DIR,
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
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 300, minimum=1)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing must not hang a web request when the broker is down: fail fast instead.
CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2}
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
}
CELERY_BEAT_SCHEDULE_FILENAME = str(BASE_DIR / "var" / "celerybeat-schedule")
