"""Notifications: a row per user in the same transaction as the change, and its e-mail
queued after commit (the overdue sweep sends any that a broker outage held back)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from functools import partial

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from alerts import tasks
from alerts.choices import AlertState, AssignmentState, NotificationKind
from alerts.models import Alert, Assignment, Handoff, Notification
from alerts.selectors import responders_active
from ewers.broker import enqueue
from ewers.choices import Role
from ewers.models import Organisation, Region, User

logger = logging.getLogger(__name__)


def organisation_responders(organisation_id: int) -> list[User]:
    """The active responders of an organisation (who is told on its behalf)."""
    return list(responders_active().filter(organisation=organisation_id).order_by("pk"))


def community_coordinators(community: Region) -> list[User]:
    """Active coordinators whose organisation's coverage contains the community."""
    return list(
        User.objects.filter(
            role=Role.COORDINATOR,
            is_active=True,
            organisation__is_active=True,
            organisation__coverage__in=list(community.lineage_ids),
        )
        .distinct()
        .order_by("pk")
    )


_SUBJECTS: dict[str, Promise] = {
    NotificationKind.ASSIGNED: gettext_lazy(
        "Alert #%(alert)s (%(level)s), %(community)s: assigned to %(organisation)s"
    ),
    NotificationKind.ESCALATED: gettext_lazy("Alert #%(alert)s escalated to %(level)s, %(community)s"),
    NotificationKind.OVERDUE: gettext_lazy(
        "Alert #%(alert)s (%(level)s), %(community)s: %(organisation)s has not acknowledged in time"
    ),
    NotificationKind.DECLINED: gettext_lazy(
        "Alert #%(alert)s (%(level)s), %(community)s: declined by %(organisation)s"
    ),
    NotificationKind.MOVED: gettext_lazy("Alert #%(alert)s (%(level)s), %(community)s: moved to %(organisation)s"),
    NotificationKind.WITHDRAWN: gettext_lazy(
        "Alert #%(alert)s (%(level)s), %(community)s: withdrawn from %(organisation)s"
    ),
    NotificationKind.CLOSED: gettext_lazy("Alert #%(alert)s (%(level)s), %(community)s: %(closing)s"),
    NotificationKind.NOTE: gettext_lazy("Alert #%(alert)s (%(level)s), %(community)s: a note from %(organisation)s"),
    NotificationKind.HANDOFF: gettext_lazy(
        "Alert #%(alert)s (%(level)s), %(community)s: %(organisation)s proposes to hand follow-up over to you"
    ),
    NotificationKind.HANDOFF_ANSWERED: gettext_lazy(
        "Alert #%(alert)s (%(level)s), %(community)s: the handover to %(organisation)s was %(answer)s"
    ),
}


def _when(at: datetime) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M %Z")


def alert_closing_text(alert: Alert) -> str:
    """How an alert ended, in a few words: "resolved — an incident followed", "dismissed"."""
    if alert.state == AlertState.RESOLVED:
        return _("resolved — %(outcome)s") % {"outcome": str(alert.get_outcome_display()).lower()}
    return _("dismissed as a false alarm")


def _message(
    kind: str, alert: Alert, assignment: Assignment | None, *, organisation: str = "", answer: str = ""
) -> tuple[str, str]:
    """Subject and plain-text body: alert, community, level, deadline and a link.

    Never a narrative, a note's text or a source reference: e-mail leaves the system. The
    link goes through the notifications page, which says so when the alert has left the
    reader's share instead of answering 404.
    """
    # Routing and the sweep load the community (and the organisation) with the alert, so
    # a message costs no query; elsewhere the first read caches them on the objects.
    community = alert.community
    values = {
        "alert": alert.pk,
        "level": alert.get_level_display(),
        "community": f"{community.name} ({community.code})",
        "organisation": organisation or (assignment.organisation.name if assignment is not None else ""),
        "closing": alert_closing_text(alert) if alert.state != AlertState.OPEN else "",
        "answer": answer,
    }
    subject = "[EWERS] " + (str(_SUBJECTS[kind]) % values)
    lines = [
        _("Alert #%(alert)s — level %(level)s") % values,
        _("Community: %(community)s") % values,
    ]
    if kind == NotificationKind.CLOSED:
        lines.append(_("Closed: %(closing)s") % values)
    if assignment is not None:
        lines.append(_("Organisation: %(organisation)s") % {"organisation": assignment.organisation.name})
        lines.append(_("Assignment: %(state)s") % {"state": assignment.get_state_display()})
        if assignment.state == AssignmentState.PENDING:
            lines.append(_("Acknowledge by: %(due)s") % {"due": _when(assignment.due_at)})
    link = settings.EWERS_SITE_URL + reverse("notifications:alert", args=[alert.pk])
    lines += ["", _("Open the alert: %(link)s") % {"link": link}, ""]
    lines.append(_("You receive this because your organisation works on this alert in EWERS."))
    return subject[:200], "\n".join(lines) + "\n"


def notification_new(
    users: Sequence[User],
    kind: str,
    *,
    alert: Alert,
    assignment: Assignment | None,
    at: datetime,
    handoff: Handoff | None = None,
    organisation: str = "",
    answer: str = "",
) -> list[Notification]:
    """One in-app notification per user (not saved yet), each in the reader's language."""
    if not users:
        return []
    # Each reader's message in their language (blank: the site's), whoever's request it is.
    written: dict[str, tuple[str, str]] = {}
    for language in {u.language or settings.LANGUAGE_CODE for u in users}:
        with translation.override(language):
            written[language] = _message(kind, alert, assignment, organisation=organisation, answer=answer)
    return [
        Notification(
            user=u,
            kind=kind,
            alert=alert,
            assignment=assignment,
            handoff=handoff,
            subject=written[u.language or settings.LANGUAGE_CODE][0],
            body=written[u.language or settings.LANGUAGE_CODE][1],
            created_at=at,
        )
        for u in users
    ]


# At most this many notifications a queued e-mail task (``notifications_email`` sends at most
# 500 a call; the overdue sweep would send the rest, later).
EMAILS_PER_TASK = 500


def notifications_email_queue(notifications: Sequence[Notification]) -> None:
    """After commit, queue the e-mails of these saved notifications."""
    ids = [n.pk for n in notifications if n.pk is not None]
    for start in range(0, len(ids), EMAILS_PER_TASK):
        transaction.on_commit(partial(_queue_emails, ids[start : start + EMAILS_PER_TASK]))


def _notify(
    users: Sequence[User],
    kind: str,
    *,
    alert: Alert,
    assignment: Assignment | None,
    at: datetime,
    handoff: Handoff | None = None,
    organisation: str = "",
    answer: str = "",
) -> list[Notification]:
    """One in-app notification per user; e-mails to those with an address follow the commit."""
    new = notification_new(
        users,
        kind,
        alert=alert,
        assignment=assignment,
        at=at,
        handoff=handoff,
        organisation=organisation,
        answer=answer,
    )
    if not new:
        return []
    notifications = Notification.objects.bulk_create(new)
    notifications_email_queue(notifications)
    return notifications


def users_notify(users: Sequence[User], kind: str, *, subject: str, body: str, at: datetime) -> list[Notification]:
    """One in-app notification per user about no alert (a monitor's missed check-in,
    ``learning.checkins``), with the same e-mail path as the others: queued after commit,
    and sent by the overdue sweep if the broker was down."""
    if not users:
        return []
    notifications = Notification.objects.bulk_create(
        Notification(user=u, kind=kind, subject=subject[:200], body=body, created_at=at) for u in users
    )
    notifications_email_queue(notifications)
    return notifications


def responders_notify(assignment: Assignment, kind: str, *, at: datetime) -> list[Notification]:
    return _notify(
        organisation_responders(assignment.organisation_id), kind, alert=assignment.alert, assignment=assignment, at=at
    )


def coordinators_notify(
    assignment: Assignment, kind: str, *, at: datetime, coordinators: list[User] | None = None
) -> list[Notification]:
    """``coordinators``: the community's, when the caller has read them already."""
    alert = assignment.alert
    if coordinators is None:
        coordinators = community_coordinators(alert.community)
    return _notify(coordinators, kind, alert=alert, assignment=assignment, at=at)


def holders_notify_closed(alert: Alert, assignments: Sequence[Assignment], *, at: datetime) -> list[Notification]:
    """Tell every organisation that held the alert that it closed, and how (closing the loop)."""
    sent: list[Notification] = []
    for assignment in assignments:
        assignment.alert = alert
        sent += _notify(
            organisation_responders(assignment.organisation_id),
            NotificationKind.CLOSED,
            alert=alert,
            assignment=assignment,
            at=at,
        )
    return sent


def note_notify(
    alert: Alert, readers: Sequence[User], *, organisation: Organisation, at: datetime
) -> list[Notification]:
    """Tell a note's audience (the author excluded by the caller) that it was written."""
    return _notify(readers, NotificationKind.NOTE, alert=alert, assignment=None, at=at, organisation=organisation.name)


def handoff_notify(
    handoff: Handoff, kind: str, users: Sequence[User], *, at: datetime, organisation: str, answer: str = ""
) -> list[Notification]:
    """Tell the proposed organisation of a handover, or the proposer and coordinators of its answer."""
    assignment = handoff.assignment
    return _notify(
        users,
        kind,
        alert=assignment.alert,
        assignment=None,
        at=at,
        handoff=handoff,
        organisation=organisation,
        answer=answer,
    )


def _queue_emails(ids: list[int]) -> None:
    """After commit: queue the e-mails; a broker that is down is logged, and the overdue
    sweep sends them later (no e-mail is lost)."""
    enqueue(tasks.notifications_email, ids)


def notifications_email(*, notification_ids: list[int] | None = None) -> int:
    """Send the e-mails of notifications not sent yet (all, or those named); return how many.

    Each is sent while its row is locked (``skip_locked``: the queued task and the sweep
    never both take one) and marked sent in the same transaction, after the send. A worker
    that dies between the two leaves the row unmarked, so the sweep sends it again: at
    least once, never lost. A failed send is left for the next sweep.
    """
    pending = Notification.objects.filter(emailed_at__isnull=True, user__is_active=True, user__email__gt="")
    if notification_ids is not None:
        pending = pending.filter(pk__in=notification_ids)
    sent = 0
    connection = get_connection()
    for pk in list(pending.order_by("pk").values_list("pk", flat=True)[:500]):
        with transaction.atomic():
            notification = (
                Notification.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("user")
                .filter(pk=pk, emailed_at__isnull=True)
                .first()
            )
            if notification is None:
                continue  # another sender holds it, or has sent it
            message = EmailMessage(
                subject=notification.subject,
                body=notification.body,
                to=[notification.user.email],
                connection=connection,
            )
            try:
                message.send()
            except Exception:
                logger.exception("could not send notification %s; the sweep will try again", pk)
                continue
            notification.emailed_at = timezone.now()
            notification.save(update_fields=["emailed_at"])
        sent += 1
    return sent


def notification_mark_read(*, user: User, notification_ids: list[int] | None, at: datetime | None = None) -> int:
    """Mark the user's own notifications read (all of them when ``notification_ids`` is None)."""
    unread = Notification.objects.visible_to(user).unread()
    if notification_ids is not None:
        unread = unread.filter(pk__in=notification_ids)
    return unread.update(read_at=at or timezone.now())
