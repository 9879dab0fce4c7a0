"""Notifications (alerts/services/notifications.py): every active responder told in the app,
e-mailed when they have an address, never the narrative or the source; each user reads
and marks their own.

Callbacks queued on commit are run with ``django_capture_on_commit_callbacks(execute=True)``,
so e-mails land in ``mailoutbox``."""

from __future__ import annotations

from alerts.choices import NotificationKind
from alerts.models import Notification
from alerts.selectors import notifications_for
from alerts.services import assignment_decline, notification_mark_read, notifications_email
from ewers.choices import Role
from tests import factories
from tests.conftest import NARRATIVE, SOURCE, report


def test_it_notifies_every_active_responder_and_emails_those_with_an_address(cast, raised, mailoutbox):
    alert, assignment = raised
    notification = Notification.objects.get()
    assert (notification.user, notification.kind, notification.assignment) == (
        cast.cso_user,
        NotificationKind.ASSIGNED,
        assignment,
    )
    assert notification.emailed_at is not None
    [mail] = mailoutbox
    assert mail.to == ["cso@example.org"]
    community = cast.places["c1"]
    for text in (mail.subject, mail.body):
        assert f"#{alert.pk}" in text
        assert community.name in text
        assert community.code in text
        assert "High" in text
    # Through the notifications page: the alert, or a page saying it left the share, never a 404.
    assert f"http://127.0.0.1:8000/notifications/alerts/{alert.pk}/" in mail.body
    assert "Acknowledge by" in mail.body
    for secret in (NARRATIVE, SOURCE):
        assert secret not in mail.subject + mail.body + notification.body


def test_a_responder_without_an_address_still_gets_the_notification_in_the_app(
    cast, people, strong, django_capture_on_commit_callbacks, mailoutbox
):
    other = factories.make_user("cso2", cast.cso, Role.RESPONDER)
    with django_capture_on_commit_callbacks(execute=True):
        report(cast, strong)
    assert set(Notification.objects.values_list("user__username", flat=True)) == {"cso", "cso2"}
    assert [m.to for m in mailoutbox] == [["cso@example.org"]]
    assert Notification.objects.get(user=other).emailed_at is None
    assert notifications_email() == 0  # nothing left to send: no address, no retry


def test_users_see_and_mark_read_only_their_own_notifications(cast, raised):
    _, assignment = raised
    assignment_decline(assignment=assignment, user=cast.cso_user, reason="Busy")
    assert list(notifications_for(cast.cso_user).values_list("kind", flat=True)) == [NotificationKind.ASSIGNED]
    assert list(notifications_for(cast.coordinator).values_list("kind", flat=True)) == [NotificationKind.DECLINED]
    assert not notifications_for(cast.police_user).exists()
    mine = notifications_for(cast.cso_user).get()
    theirs = notifications_for(cast.coordinator).get()
    assert notification_mark_read(user=cast.cso_user, notification_ids=[mine.pk, theirs.pk]) == 1
    assert notifications_for(cast.coordinator).unread().count() == 1
    assert notification_mark_read(user=cast.coordinator, notification_ids=None) == 1
    assert not Notification.objects.unread().exists()
