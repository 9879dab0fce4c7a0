"""Missed check-ins: a field monitor expected to report every N days who has not.

The silence of a *monitor* is told to the people who can look after them: their own
organisation first; if the silence lasts ``escalate_after_days`` more, the coordinators of
their communities. Never a police organisation, unless it is the monitor's own: a monitor's
absence is a welfare question for their organisation, and naming them to the police could
put them at risk (docs/learning.md, "Missed check-ins").

A check-in is any report the monitor made — on the web form, through the API or by SMS
from a registered phone (all are ``FieldReport`` rows ``created_by`` the monitor); with
communities on the expectation, only reports on those. The daily sweep
(``learning.tasks.check_ins_sweep``) is idempotent: one ``CheckInMiss`` row per missed due
time, so each audience is told once per missed period, however often it runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from alerts.choices import NotificationKind
from alerts.models import Notification
from alerts.services.notifications import users_notify
from ewers.choices import Role, Sector
from ewers.models import Region, User
from indicators.models import FieldReport
from learning.models import CheckInExpectation, CheckInMiss

# --- Pure -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckInState:
    due_at: datetime  # when the next check-in is (or was) due
    missed: bool  # the due time has passed with no report
    escalate: bool  # and the further wait has passed too


def check_in_state(
    *, last_report_at: datetime | None, starts_at: datetime, every_days: int, escalate_after_days: int, now: datetime
) -> CheckInState:
    """The next check-in is due ``every_days`` after the latest of the last report and the
    expectation's start; it is missed once ``now`` passes it, and escalated once ``now``
    passes it by ``escalate_after_days`` more."""
    since = starts_at if last_report_at is None else max(last_report_at, starts_at)
    due_at = since + timedelta(days=every_days)
    return CheckInState(
        due_at=due_at, missed=now >= due_at, escalate=now >= due_at + timedelta(days=escalate_after_days)
    )


# --- Who is told ------------------------------------------------------------------------------


def check_in_own_audience(monitor: User) -> list[User]:
    """The monitor's own organisation: its active members but the monitor and its
    administrators (who manage accounts, not people in the field)."""
    return list(
        User.objects.filter(organisation=monitor.organisation_id, is_active=True, organisation__is_active=True)
        .exclude(pk=monitor.pk)
        .exclude(role=Role.ADMIN)
        .exclude(is_superuser=True)
        .order_by("pk")
    )


def check_in_coordinators(expectation: CheckInExpectation) -> list[User]:
    """Active coordinators whose organisation covers one of the monitor's communities (the
    expectation's, else those the monitor's organisation covers) — of any organisation but
    a police one, unless that police organisation is the monitor's own."""
    monitor = expectation.monitor
    community_ids = [c.pk for c in expectation.communities.all()] or list(monitor.covered_community_ids)
    lineage: set[int] = set()
    for row in Region.objects.filter(pk__in=community_ids).values_list("pk", "country", "region", "district"):
        lineage.update(i for i in row if i is not None)
    return list(
        User.objects.filter(
            role=Role.COORDINATOR,
            is_active=True,
            organisation__is_active=True,
            organisation__coverage__in=lineage,
        )
        .exclude(Q(organisation__sector=Sector.POLICE) & ~Q(organisation=monitor.organisation_id))
        .distinct()
        .order_by("pk")
    )


def _when(at: datetime | None) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M %Z") if at is not None else "—"


def check_in_message(
    expectation: CheckInExpectation, *, last_report_at: datetime | None, due_at: datetime, escalated: bool
) -> tuple[str, str]:
    """Subject and plain-text body: who, how often, since when. No community, report or
    narrative (e-mail leaves the system)."""
    monitor = expectation.monitor
    organisation = monitor.organisation.name if monitor.organisation is not None else ""
    values = {
        "monitor": monitor.get_full_name() or monitor.username,
        "organisation": organisation,
        "days": expectation.every_days,
        "due": _when(due_at),
        "last": _when(last_report_at),
        "further": expectation.escalate_after_days,
    }
    if escalated:
        subject = _("Check-in still missed: %(monitor)s (%(organisation)s)") % values
    else:
        subject = _("Check-in missed: %(monitor)s (%(organisation)s)") % values
    lines = [
        _("%(monitor)s of %(organisation)s is expected to report at least every %(days)d days.") % values,
        _("Last report: %(last)s") % values,
        _("Check-in due: %(due)s") % values,
    ]
    if escalated:
        lines.append(
            _(
                "Their organisation was told when the check-in was missed; "
                "%(further)d days later there is still no report."
            )
            % values
        )
    else:
        lines.append(
            _("If there is still no report %(further)d days after the due time, the coordinators will be told.")
            % values
        )
    lines += ["", _("Please get in touch with the monitor and make sure they are safe."), ""]
    lines.append(_("You receive this because you work with this monitor in EWERS."))
    return "[EWERS] " + subject, "\n".join(lines) + "\n"


# --- The sweep --------------------------------------------------------------------------------


def check_in_last_report(expectation: CheckInExpectation) -> datetime | None:
    """When the monitor's latest counted report arrived (web, API or SMS alike)."""
    reports = FieldReport.objects.filter(created_by=expectation.monitor_id)
    community_ids = [c.pk for c in expectation.communities.all()]
    if community_ids:
        reports = reports.filter(community__in=community_ids)
    last: datetime | None = reports.aggregate(last=Max("received_at"))["last"]
    return last


def check_in_review(expectation: CheckInExpectation, *, now: datetime) -> list[Notification]:
    """Tell whom a missed check-in concerns, once each: the own organisation when the due
    time passes, the coordinators when the further wait passes. Safe to run again (the
    miss row is unique per due time and locked while it is updated)."""
    last = check_in_last_report(expectation)
    state = check_in_state(
        last_report_at=last,
        starts_at=expectation.starts_at,
        every_days=expectation.every_days,
        escalate_after_days=expectation.escalate_after_days,
        now=now,
    )
    if not state.missed:
        return []
    sent: list[Notification] = []
    with transaction.atomic():
        miss = CheckInMiss.objects.select_for_update().filter(expectation=expectation, due_at=state.due_at).first()
        if miss is None:
            try:
                with transaction.atomic():
                    miss = CheckInMiss.objects.create(expectation=expectation, due_at=state.due_at, notified_at=now)
            except IntegrityError:
                return []  # another sweep recorded this miss at the same moment, and told them
            subject, body = check_in_message(expectation, last_report_at=last, due_at=state.due_at, escalated=False)
            own = check_in_own_audience(expectation.monitor)
            sent += users_notify(own, NotificationKind.CHECK_IN_MISSED, subject=subject, body=body, at=now)
        if state.escalate and miss.escalated_at is None:
            miss.escalated_at = now
            miss.save(update_fields=["escalated_at"])
            subject, body = check_in_message(expectation, last_report_at=last, due_at=state.due_at, escalated=True)
            coordinators = check_in_coordinators(expectation)
            sent += users_notify(coordinators, NotificationKind.CHECK_IN_ESCALATED, subject=subject, body=body, at=now)
    return sent


def check_ins_sweep(*, now: datetime | None = None) -> int:
    """Daily: review every active expectation of an active monitor; return how many
    notifications were written."""
    now = now or timezone.now()
    expectations = (
        CheckInExpectation.objects.filter(is_active=True, monitor__is_active=True)
        .select_related("monitor__organisation")
        .prefetch_related("communities")
        .order_by("pk")
    )
    return sum(len(check_in_review(e, now=now)) for e in expectations)
