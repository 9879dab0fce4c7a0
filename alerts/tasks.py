"""Tasks of the alerts app: thin wrappers that take ids and call one service.

Like every task, they retry through a database outage (``ewers.broker.outage_retry``).
"""

from __future__ import annotations

from celery import shared_task

from alerts import services
from ewers.broker import outage_retry


@shared_task(**outage_retry())
def notifications_email(notification_ids: list[int] | None = None) -> int:
    """Send the e-mails of notifications just committed (idempotent: each is claimed once)."""
    return services.notifications_email(notification_ids=notification_ids)


@shared_task(**outage_retry())
def overdue_sweep() -> int:
    """Every minute: mark overdue assignments (coordinators told once) and send any
    notification e-mails a broker outage left unsent."""
    marked = services.assignments_mark_overdue()
    services.notifications_email()
    return marked
