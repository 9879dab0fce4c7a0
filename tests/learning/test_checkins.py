"""Missed check-ins: the own organisation first, then the coordinators, never the police
(unless it is the monitor's own), once per missed period. The clock is frozen: every
sweep is given its ``now``."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from alerts.choices import NotificationKind
from alerts.models import Notification
from alerts.services import notifications_email
from ewers.choices import Role
from indicators.models import FieldReport
from learning.checkins import check_in_state, check_ins_sweep
from learning.models import CheckInExpectation, CheckInMiss
from tests import factories

T0 = timezone.now().replace(microsecond=0) - timedelta(days=1)


def test_check_in_state_is_due_every_days_after_the_later_of_start_and_last_report():
    state = check_in_state(
        last_report_at=None, starts_at=T0, every_days=7, escalate_after_days=3, now=T0 + timedelta(days=6)
    )
    assert state.due_at == T0 + timedelta(days=7) and not state.missed and not state.escalate
    state = check_in_state(
        last_report_at=T0 + timedelta(days=2),
        starts_at=T0,
        every_days=7,
        escalate_after_days=3,
        now=T0 + timedelta(days=9),
    )
    assert state.due_at == T0 + timedelta(days=9) and state.missed and not state.escalate
    # A report older than the start counts from the start.
    state = check_in_state(
        last_report_at=T0 - timedelta(days=30),
        starts_at=T0,
        every_days=7,
        escalate_after_days=3,
        now=T0 + timedelta(days=10),
    )
    assert state.due_at == T0 + timedelta(days=7) and state.missed and state.escalate


@pytest.fixture
def monitored(cast):
    """Ana (analyst of the lab) must report weekly; a lab colleague, the desk's coordinator
    and a police coordinator (whose organisation covers her communities too) stand by."""
    colleague = factories.make_user("lab-mate", cast.lab, Role.RESPONDER)
    colleague.email = "mate@example.org"
    colleague.save()
    police_coordinator = factories.make_user("pol-co", cast.police, Role.COORDINATOR)
    expectation = CheckInExpectation.objects.create(
        monitor=cast.analyst, every_days=7, escalate_after_days=3, starts_at=T0
    )
    return expectation, colleague, police_coordinator


def _told(kind: str) -> set[str]:
    return set(Notification.objects.filter(kind=kind).values_list("user__username", flat=True))


def test_it_tells_the_own_organisation_once_when_a_check_in_is_missed(cast, monitored):
    _expectation, _colleague, _police_coordinator = monitored
    assert check_ins_sweep(now=T0 + timedelta(days=6)) == 0
    assert check_ins_sweep(now=T0 + timedelta(days=7, hours=1)) == 1
    assert _told(NotificationKind.CHECK_IN_MISSED) == {"lab-mate"}
    notification = Notification.objects.get()
    assert notification.alert_id is None
    assert "ana" in notification.subject and "Organisation lab" in notification.subject
    # The next days' sweeps tell nobody again.
    assert check_ins_sweep(now=T0 + timedelta(days=8)) == 0
    assert check_ins_sweep(now=T0 + timedelta(days=9)) == 0
    assert Notification.objects.count() == 1
    assert CheckInMiss.objects.get().due_at == T0 + timedelta(days=7)
    # The e-mail goes the notifications' way.
    assert notifications_email() == 1
    assert mail.outbox[-1].to == ["mate@example.org"]


def test_it_escalates_to_the_coordinators_but_never_to_the_police(cast, monitored):
    check_ins_sweep(now=T0 + timedelta(days=7, hours=1))
    assert _told(NotificationKind.CHECK_IN_ESCALATED) == set()
    told = check_ins_sweep(now=T0 + timedelta(days=10, hours=1))
    assert _told(NotificationKind.CHECK_IN_ESCALATED) == {"coord"}
    assert told == 1
    assert check_ins_sweep(now=T0 + timedelta(days=11)) == 0
    assert check_ins_sweep(now=T0 + timedelta(days=30)) == 0
    police = set(cast.police.members.values_list("username", flat=True))
    assert police and not police & set(Notification.objects.values_list("user__username", flat=True))
    assert CheckInMiss.objects.get().escalated_at == T0 + timedelta(days=10, hours=1)


def test_a_police_monitor_is_escalated_to_their_own_police_coordinators(cast):
    officer = factories.make_user("pol-monitor", cast.police, Role.ANALYST)
    police_coordinator = factories.make_user("pol-co", cast.police, Role.COORDINATOR)
    CheckInExpectation.objects.create(monitor=officer, every_days=2, escalate_after_days=1, starts_at=T0)
    check_ins_sweep(now=T0 + timedelta(days=4))
    assert _told(NotificationKind.CHECK_IN_MISSED) == {"pol", "pol-co"}
    assert police_coordinator.username in _told(NotificationKind.CHECK_IN_ESCALATED)
    assert "coord" in _told(NotificationKind.CHECK_IN_ESCALATED)


def test_a_report_resets_the_check_in(cast, monitored):
    _expectation, _colleague, _police = monitored
    report = factories.make_report(cast.analyst, cast.places["c1"], cast.indicator)
    FieldReport.objects.filter(pk=report.pk).update(received_at=T0 + timedelta(days=5))
    # Due again 7 days after the report, not after the start.
    assert check_ins_sweep(now=T0 + timedelta(days=8)) == 0
    assert check_ins_sweep(now=T0 + timedelta(days=12, hours=1)) == 1
    assert CheckInMiss.objects.get().due_at == T0 + timedelta(days=12)
    # A report after the miss: the next silence is a new missed period, told again.
    FieldReport.objects.filter(pk=report.pk).update(received_at=T0 + timedelta(days=13))
    assert check_ins_sweep(now=T0 + timedelta(days=14)) == 0
    assert check_ins_sweep(now=T0 + timedelta(days=20, hours=1)) == 1
    assert CheckInMiss.objects.count() == 2


def test_only_reports_on_the_expected_communities_count(cast, monitored):
    expectation, _colleague, _police = monitored
    expectation.communities.set([cast.places["c2"]])
    report = factories.make_report(cast.analyst, cast.places["c1"], cast.indicator)
    FieldReport.objects.filter(pk=report.pk).update(received_at=T0 + timedelta(days=5))
    assert check_ins_sweep(now=T0 + timedelta(days=8)) == 1


def test_inactive_expectations_and_monitors_are_not_reviewed(cast, monitored):
    expectation, _colleague, _police = monitored
    expectation.is_active = False
    expectation.save()
    assert check_ins_sweep(now=T0 + timedelta(days=30)) == 0
    assert not CheckInMiss.objects.exists()


def test_the_notifications_page_shows_a_check_in_notification_without_an_alert(cast, monitored, client):
    _expectation, colleague, _police = monitored
    check_ins_sweep(now=T0 + timedelta(days=8))
    client.force_login(colleague)
    page = client.get("/notifications/")
    assert page.status_code == 200
    assert "Check-in missed: ana" in page.content.decode()


def test_administrators_set_expectations_in_the_admin(admin_client):
    assert admin_client.get("/admin/learning/checkinexpectation/add/").status_code == 200
    assert admin_client.get("/admin/learning/checkinexpectation/").status_code == 200
