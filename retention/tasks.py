"""The daily retention run (``retention-purge`` in CELERY_BEAT_SCHEDULE): thin, one service."""

from __future__ import annotations

from celery import shared_task

from ewers.broker import outage_retry
from retention import services


@shared_task(**outage_retry())
def retention_purge() -> int:
    """Remove what the retention policy no longer keeps; returns the RetentionRun's id."""
    return services.retention_purge().pk
