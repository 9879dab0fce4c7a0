"""Periodic housekeeping of the core."""

from __future__ import annotations

from celery import shared_task

from ewers.broker import outage_retry
from ewers.services import api_tokens_clear_expired
from ewers.services import sessions_clear_expired as clear_expired


@shared_task(**outage_retry())
def sessions_clear_expired() -> int:
    """Delete expired sessions so the session table does not grow without end."""
    return clear_expired()


@shared_task(**outage_retry())
def api_tokens_clear() -> int:
    """Delete expired API tokens (they are refused anyway; this keeps the table small)."""
    return api_tokens_clear_expired()
