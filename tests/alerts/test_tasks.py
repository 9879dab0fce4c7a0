"""The alerts app's tasks in-process (alerts/tasks.py): the overdue sweep also sends the
e-mails left unsent. With a real worker: test_tasks_worker.py."""

from __future__ import annotations

from alerts import tasks
from alerts.choices import NotificationKind
from alerts.models import Notification


def test_the_overdue_task_also_sends_e_mails_left_unsent(cast, raised, mailoutbox):
    _, assignment = raised  # its e-mail already went out on commit
    extra = Notification.objects.create(
        user=cast.cso_user, kind=NotificationKind.ASSIGNED, alert=assignment.alert, subject="s", body="b"
    )
    sent = len(mailoutbox)
    tasks.overdue_sweep.delay()
    tasks.overdue_sweep.delay()
    extra.refresh_from_db()
    assert extra.emailed_at is not None
    assert len(mailoutbox) == sent + 1
