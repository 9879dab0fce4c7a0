"""Tasks of the learning app: thin wrappers that call one service."""

from __future__ import annotations

from celery import shared_task

from ewers.broker import outage_retry
from learning.checkins import check_ins_sweep as check_ins_review_all


@shared_task(**outage_retry())
def check_ins_sweep() -> int:
    """Once a day: tell the organisations (then the coordinators) of monitors whose
    expected check-in did not come; idempotent (docs/learning.md, "Missed check-ins")."""
    return check_ins_review_all()
