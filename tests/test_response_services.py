"""Routing and the response workflow on the database: services, notifications, e-mail, audit.

Tasks run in-process (eager); callbacks queued on commit are run with
``django_capture_on_commit_callbacks(execute=True)``, so e-mails land in ``mailoutbox``.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from alerts import tasks
from alerts.choices import AlertEventKind, AlertState, AssignmentState, IncidentOutcome, NotificationKind
from alerts.models import Alert, AlertEvent, Assignment, Notification
from alerts.permissions import alert_may_manage, assignment_actions, assignment_may_work
from alerts.selectors import assignment_get, assignments_visible, notifications_for, organisations_assignable
from alerts.services import (
    alert_assign,
    alert_dismiss,
    alert_resolve,
    alert_verify,
    assignment_acknowledge,
    assignment_complete,
    assignment_decline,
    assignment_move,
    assignment_start,
    assignments_mark_overdue,
    notification_mark_read,
    notifications_email,
)
from audit.choices import AuditAction
from audit.models import AuditEvent
from ewers.choices import RiskLevel, Role, Sector
from ewers.exceptions import StateConflict
from indicators.services import ReadingInput
from tests import factories
from tests.api import token_for

NARRATIVE = "Posters threatening the other congregation near the well."
SOURCE = "SRC-SECRET-4711"


@pytest.fixture
def strong(cast):
    """Three tension indicators: one report lifts a community to high, three to critical."""
    theme = cast.indicator.theme
    return [cast.indicator] + [factories.make_indicator(f"P0{n}", theme=theme, weight=1.5) for n in (2, 3)]


@pytest.fixture
def people(cast):
    """E-mail addresses for the CSO's responder and the coordinator."""
    for user, email in ((cast.cso_user, "cso@example.org"), (cast.coordinator, "coord@example.org")):
        user.email = email
        user.save(update_fields=["email"])
    return cast


def report(cast, indicators, value=4, community=None):
    return factories.make_report(
        cast.analyst,
        community or cast.places["c1"],
        indicators[0],
        readings=[ReadingInput(indicator=i, value=value) for i in indicators],
        source_reliability="A",
        information_credibility=1,
        narrative=NARRATIVE,
        source_reference=SOURCE,
    )


@pytest.fixture
def raised(people, strong, django_capture_on_commit_callbacks):
    """A high alert on c1 (tension), routed: the CSO's assignment."""
    with django_capture_on_commit_callbacks(execute=True):
        report(people, strong)
    alert = Alert.objects.get()
    return alert, Assignment.objects.get(alert=alert)


def audit_details(object_type, object_id):
    return list(
        AuditEvent.objects.filter(object_type=object_type, object_id=str(object_id))
        .order_by("id")
        .values_list("detail", flat=True)
    )


# --- Routing ------------------------------------------------------------------------


def test_it_routes_an_opened_alert_to_the_organisations_that_fit(cast, raised):
    alert, assignment = raised
    # CSO: covers c1, tension mandate. Police: weapons only. Desk: no responders. Lab: no mandate.
    assert list(alert.assignments.values_list("organisation__code", flat=True)) == ["cso"]
    assert (assignment.state, assignment.level) == (AssignmentState.PENDING, RiskLevel.HIGH)
    assert assignment.due_at == alert.opened_at + timedelta(hours=6)
    kinds = list(alert.events.values_list("kind", "organisation__code"))
    assert kinds == [(AlertEventKind.OPENED, None), (AlertEventKind.ASSIGNED, "cso")]
    assert audit_details("alert", alert.pk) == ["opened (high)"]
    assert AuditEvent.objects.get(object_type="assignment").action == AuditAction.ASSIGNMENT_CREATED


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
    assert f"http://127.0.0.1:8000/alerts/{alert.pk}/" in mail.body
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


def test_an_escalation_tightens_the_deadline_and_routes_newly_qualifying_organisations(
    cast, raised, strong, django_capture_on_commit_callbacks, mailoutbox
):
    alert, assignment = raised
    crisis = factories.make_organisation(
        code="crisis",
        coverage=[cast.places["district"]],
        mandate=[cast.indicator.theme],
        min_alert_level=RiskLevel.CRITICAL,
    )
    factories.make_user("cri", crisis, Role.RESPONDER)
    with django_capture_on_commit_callbacks(execute=True):
        report(cast, strong)
        report(cast, strong)
    alert.refresh_from_db()
    assignment.refresh_from_db()
    assert alert.level == RiskLevel.CRITICAL
    assert assignment.level == RiskLevel.CRITICAL
    assert assignment.due_at == min(alert.opened_at + timedelta(hours=6), alert.escalated_at + timedelta(hours=1))
    assert assignment.due_at == alert.escalated_at + timedelta(hours=1)
    new = Assignment.objects.get(alert=alert, organisation=crisis)
    assert (new.level, new.due_at) == (RiskLevel.CRITICAL, alert.escalated_at + timedelta(hours=1))
    events = list(alert.events.values_list("kind", "organisation__code"))
    assert events[2:] == [
        (AlertEventKind.ESCALATED, None),
        (AlertEventKind.ESCALATED, "cso"),
        (AlertEventKind.ASSIGNED, "crisis"),
    ]
    assert set(Notification.objects.values_list("user__username", "kind")) == {
        ("cso", NotificationKind.ASSIGNED),
        ("cso", NotificationKind.ESCALATED),
        ("cri", NotificationKind.ASSIGNED),
    }
    assert "Critical" in mailoutbox[-1].subject
    assert audit_details("assignment", assignment.pk) == ["routed → pending", "level high → critical"]


def test_an_escalation_keeps_an_earlier_deadline(cast, raised, strong, django_capture_on_commit_callbacks, settings):
    _, assignment = raised
    settings.EWERS_ACK_HOURS = {"critical": 100.0, "high": 6.0, "moderate": 24.0}
    before = assignment.due_at
    with django_capture_on_commit_callbacks(execute=True):
        report(cast, strong)
        report(cast, strong)
    assignment.refresh_from_db()
    assert (assignment.level, assignment.due_at) == (RiskLevel.CRITICAL, before)


def test_an_acknowledged_assignment_keeps_its_deadline_on_escalation(
    cast, raised, strong, django_capture_on_commit_callbacks
):
    _, assignment = raised
    assignment_acknowledge(assignment=assignment, user=cast.cso_user)
    before = Assignment.objects.get(pk=assignment.pk).due_at
    with django_capture_on_commit_callbacks(execute=True):
        report(cast, strong)
        report(cast, strong)
    assignment.refresh_from_db()
    assert (assignment.state, assignment.level, assignment.due_at) == (
        AssignmentState.ACKNOWLEDGED,
        RiskLevel.CRITICAL,
        before,
    )


# --- The workflow ------------------------------------------------------------------


def test_a_responder_works_an_assignment_through_to_its_outcome(cast, raised):
    alert, assignment = raised
    assert assignment_actions(assignment) == ["acknowledge", "decline"]
    done = assignment_acknowledge(assignment=assignment, user=cast.cso_user)
    assert done.state == AssignmentState.ACKNOWLEDGED and done.acknowledged_at is not None
    assert assignment_actions(done) == ["start", "decline"]
    done = assignment_start(assignment=assignment, user=cast.cso_user)
    assert done.state == AssignmentState.IN_PROGRESS and done.started_at is not None
    done = assignment_complete(assignment=assignment, user=cast.cso_user, outcome="  Met the elders; calm.  ")
    assignment.refresh_from_db()
    assert (assignment.state, assignment.outcome) == (AssignmentState.COMPLETED, "Met the elders; calm.")
    assert assignment.finished_at is not None
    assert assignment_actions(assignment) == []
    steps = list(alert.events.filter(actor=cast.cso_user).values_list("kind", "organisation__code", "note"))
    assert steps == [
        (AlertEventKind.ACKNOWLEDGED, "cso", ""),
        (AlertEventKind.STARTED, "cso", ""),
        (AlertEventKind.COMPLETED, "cso", "Met the elders; calm."),
    ]
    assert audit_details("assignment", assignment.pk) == [
        "routed → pending",
        "pending → acknowledged",
        "acknowledged → in_progress",
        "in_progress → completed",
    ]
    assert set(AuditEvent.objects.filter(actor=cast.cso_user).values_list("actor_username", flat=True)) == {"cso"}


@pytest.mark.parametrize(
    ("steps", "illegal"),
    [
        ([], "start"),
        ([], "complete"),
        (["acknowledge"], "acknowledge"),
        (["acknowledge"], "complete"),
        (["acknowledge", "start"], "start"),
        (["acknowledge", "start", "complete"], "decline"),
        (["acknowledge", "start", "complete"], "acknowledge"),
        (["decline"], "acknowledge"),
        (["decline"], "decline"),
    ],
)
def test_an_action_not_allowed_from_the_state_is_a_conflict_and_changes_nothing(cast, raised, steps, illegal):
    _, assignment = raised
    actions = {
        "acknowledge": lambda: assignment_acknowledge(assignment=assignment, user=cast.cso_user),
        "start": lambda: assignment_start(assignment=assignment, user=cast.cso_user),
        "complete": lambda: assignment_complete(assignment=assignment, user=cast.cso_user, outcome="Done"),
        "decline": lambda: assignment_decline(assignment=assignment, user=cast.cso_user, reason="Not ours"),
    }
    for step in steps:
        actions[step]()
    before = Assignment.objects.get(pk=assignment.pk)
    events = AlertEvent.objects.count()
    audits = AuditEvent.objects.count()
    with pytest.raises(StateConflict) as refused:
        actions[illegal]()
    assert "cannot be" in str(refused.value)
    after = Assignment.objects.get(pk=assignment.pk)
    assert (after.state, after.outcome, after.reason) == (before.state, before.outcome, before.reason)
    assert (AlertEvent.objects.count(), AuditEvent.objects.count()) == (events, audits)


def test_only_the_assigned_organisations_responders_may_act(cast, raised):
    _, assignment = raised
    police_responder = cast.police_user
    for user in (cast.coordinator, police_responder, cast.analyst, cast.admin):
        assert not assignment_may_work(user, assignment)
        with pytest.raises(PermissionDenied):
            assignment_acknowledge(assignment=assignment, user=user)
    cast.cso_user.is_active = False
    assert not assignment_may_work(cast.cso_user, assignment)
    assert Assignment.objects.get(pk=assignment.pk).state == AssignmentState.PENDING


def test_only_covering_coordinators_may_manage_the_alert(cast, raised):
    alert, _ = raised
    assert alert_may_manage(cast.coordinator, alert)
    outsider_desk = factories.make_organisation(code="far-desk", coverage=[cast.other_places["country"]])
    outsider = factories.make_user("far", outsider_desk, Role.COORDINATOR)
    for user in (cast.cso_user, cast.analyst, cast.admin, outsider):
        assert not alert_may_manage(user, alert)
        with pytest.raises(PermissionDenied):
            alert_verify(alert=alert, user=user)
        with pytest.raises(PermissionDenied):
            alert_resolve(alert=alert, user=user, note="x", outcome=IncidentOutcome.NO)
    assert not Alert.objects.get(pk=alert.pk).verified


def test_completing_and_declining_need_an_outcome_and_a_reason(cast, raised):
    _, assignment = raised
    assignment_acknowledge(assignment=assignment, user=cast.cso_user)
    assignment_start(assignment=assignment, user=cast.cso_user)
    for blank in ("", "   ", "\x00"):
        with pytest.raises(ValidationError) as error:
            assignment_complete(assignment=assignment, user=cast.cso_user, outcome=blank)
        assert "outcome" in error.value.message_dict
        with pytest.raises(ValidationError) as error:
            assignment_decline(assignment=assignment, user=cast.cso_user, reason=blank)
        assert "reason" in error.value.message_dict
    assert Assignment.objects.get(pk=assignment.pk).state == AssignmentState.IN_PROGRESS


def test_a_declined_assignment_goes_to_the_coordinators_queue_and_can_be_moved(
    cast, raised, django_capture_on_commit_callbacks, mailoutbox
):
    alert, assignment = raised
    with django_capture_on_commit_callbacks(execute=True):
        assignment_decline(assignment=assignment, user=cast.cso_user, reason="No staff in the area this week")
    assert list(Assignment.objects.declined_queue()) == [assignment]
    told = Notification.objects.get(kind=NotificationKind.DECLINED)
    assert told.user == cast.coordinator
    assert mailoutbox[-1].to == ["coord@example.org"]
    assert "declined" in mailoutbox[-1].subject
    # The police cover the country: a coordinator may hand them the alert (mandate is their call).
    assert list(organisations_assignable(alert)) == [cast.cso, cast.police]
    with django_capture_on_commit_callbacks(execute=True):
        moved = assignment_move(assignment=assignment, user=cast.coordinator, organisation=cast.police)
    assignment.refresh_from_db()
    assert (assignment.state, assignment.replaced_by) == (AssignmentState.DECLINED, moved)
    assert (moved.organisation, moved.state, moved.level) == (cast.police, AssignmentState.PENDING, alert.level)
    assert not Assignment.objects.declined_queue().exists()
    assert Notification.objects.get(kind=NotificationKind.MOVED).user == cast.police_user
    # Police may see and work it; the CSO still sees its own declined one.
    assert assignment_get(cast.police_user, moved.pk) == moved
    # Moved away, the declined assignment (and the alert) leave the CSO's share.
    assert list(assignments_visible(cast.cso_user)) == []
    events = list(alert.events.values_list("kind", "organisation__code"))
    assert events[-2:] == [(AlertEventKind.ASSIGNED, "police"), (AlertEventKind.REASSIGNED, "cso")]
    with pytest.raises(StateConflict):
        assignment_move(assignment=assignment, user=cast.coordinator, organisation=cast.police)


def test_moving_an_active_assignment_withdraws_it(cast, raised):
    _, assignment = raised
    assignment_acknowledge(assignment=assignment, user=cast.cso_user)
    moved = assignment_move(assignment=assignment, user=cast.coordinator, organisation=cast.police)
    assignment.refresh_from_db()
    assert (assignment.state, assignment.replaced_by) == (AssignmentState.WITHDRAWN, moved)
    assert (
        audit_details("assignment", assignment.pk)[-1] == f"acknowledged → withdrawn (moved to assignment {moved.pk})"
    )
    with pytest.raises(StateConflict):
        assignment_start(assignment=assignment, user=cast.cso_user)


def test_moving_or_assigning_to_an_unfit_organisation_is_refused(cast, raised):
    alert, assignment = raised
    elsewhere = factories.make_organisation(code="far", coverage=[cast.other_places["country"]])
    factories.make_user("far-r", elsewhere, Role.RESPONDER)
    for organisation in (cast.cso, cast.desk, elsewhere):  # same one, no responders, outside coverage
        with pytest.raises(ValidationError) as error:
            assignment_move(assignment=assignment, user=cast.coordinator, organisation=organisation)
        assert "organisation" in error.value.message_dict
    with pytest.raises(ValidationError):
        alert_assign(alert=alert, user=cast.coordinator, organisation=cast.cso)  # has it already
    with pytest.raises(PermissionDenied):
        alert_assign(alert=alert, user=cast.cso_user, organisation=cast.police)
    assert Assignment.objects.count() == 1


def test_a_coordinator_adds_an_organisation_and_re_opens_a_declined_one(
    cast, raised, django_capture_on_commit_callbacks
):
    alert, assignment = raised
    added = alert_assign(alert=alert, user=cast.coordinator, organisation=cast.police)
    assert (added.organisation, added.state) == (cast.police, AssignmentState.PENDING)
    assert Notification.objects.filter(user=cast.police_user, kind=NotificationKind.ASSIGNED).count() == 1
    assignment_decline(assignment=assignment, user=cast.cso_user, reason="Not our area")
    again = alert_assign(alert=alert, user=cast.coordinator, organisation=cast.cso)
    assert again.pk == assignment.pk
    assert (again.state, again.reason, again.finished_at) == (AssignmentState.PENDING, "", None)
    assert audit_details("assignment", assignment.pk)[-1] == "declined → pending (re-assigned)"


def test_a_coordinator_verifies_an_alert_once(cast, raised):
    alert, _ = raised
    verified = alert_verify(alert=alert, user=cast.coordinator)
    assert (verified.verified, verified.verified_by) == (True, cast.coordinator)
    with pytest.raises(StateConflict):
        alert_verify(alert=alert, user=cast.coordinator)
    assert alert.events.filter(kind=AlertEventKind.VERIFIED).count() == 1
    assert audit_details("alert", alert.pk) == ["opened (high)", "unverified → verified"]


def test_resolving_withdraws_pending_assignments_but_lets_work_under_way_finish(cast, raised):
    alert, assignment = raised
    police = alert_assign(alert=alert, user=cast.coordinator, organisation=cast.police)
    assignment_acknowledge(assignment=assignment, user=cast.cso_user)
    for bad in ({"note": "", "outcome": IncidentOutcome.NO}, {"note": "Calm", "outcome": "maybe"}):
        with pytest.raises(ValidationError):
            alert_resolve(alert=alert, user=cast.coordinator, **bad)
    resolved = alert_resolve(alert=alert, user=cast.coordinator, note="Calm again", outcome=IncidentOutcome.NO)
    assert (resolved.state, resolved.outcome) == (AlertState.RESOLVED, IncidentOutcome.NO)
    police.refresh_from_db()
    assert police.state == AssignmentState.WITHDRAWN
    assert alert.events.last().kind == AlertEventKind.RESOLVED
    assignment_start(assignment=assignment, user=cast.cso_user)
    assignment_complete(assignment=assignment, user=cast.cso_user, outcome="Dialogue held")
    for act in (
        lambda: alert_resolve(alert=alert, user=cast.coordinator, note="x", outcome=IncidentOutcome.NO),
        lambda: alert_dismiss(alert=alert, user=cast.coordinator, note="x"),
        lambda: alert_verify(alert=alert, user=cast.coordinator),
        lambda: alert_assign(alert=alert, user=cast.coordinator, organisation=cast.police),
    ):
        with pytest.raises(StateConflict):
            act()
    assert audit_details("alert", alert.pk) == ["opened (high)", "open → resolved"]
    assert audit_details("assignment", police.pk)[-1] == "pending → withdrawn"


def test_dismissing_withdraws_pending_assignments(cast, raised):
    alert, assignment = raised
    dismissed = alert_dismiss(alert=alert, user=cast.coordinator, note="False alarm: a film shoot")
    assignment.refresh_from_db()
    assert (dismissed.state, dismissed.outcome) == (AlertState.DISMISSED, None)
    assert assignment.state == AssignmentState.WITHDRAWN
    assert list(alert.events.values_list("kind", flat=True))[-2:] == [
        AlertEventKind.WITHDRAWN,
        AlertEventKind.DISMISSED,
    ]


# --- Deadlines --------------------------------------------------------------------


def test_overdue_marking_fires_once_however_often_it_runs(cast, raised, django_capture_on_commit_callbacks, mailoutbox):
    alert, assignment = raised
    assert assignments_mark_overdue(at=assignment.due_at - timedelta(minutes=1)) == 0
    later = assignment.due_at + timedelta(minutes=1)
    sent = len(mailoutbox)
    with django_capture_on_commit_callbacks(execute=True):
        assert assignments_mark_overdue(at=later) == 1
        assert assignments_mark_overdue(at=later + timedelta(minutes=1)) == 0
        assert assignments_mark_overdue(at=later + timedelta(hours=5)) == 0
    assignment.refresh_from_db()
    assert assignment.overdue_notified_at == later
    assert alert.events.filter(kind=AlertEventKind.OVERDUE, organisation=cast.cso).count() == 1
    overdue = Notification.objects.filter(kind=NotificationKind.OVERDUE)
    assert list(overdue.values_list("user__username", flat=True)) == ["coord"]
    assert [m.to for m in mailoutbox[sent:]] == [["coord@example.org"]]
    assert "not acknowledged" in mailoutbox[-1].subject
    assert audit_details("assignment", assignment.pk)[-1] == "pending: overdue"


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


# --- Notifications ----------------------------------------------------------------


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


# --- Audit --------------------------------------------------------------------------


def test_the_database_refuses_to_change_or_delete_audit_rows(cast, raised):
    row = AuditEvent.objects.order_by("id").first()
    for attempt in (
        lambda: AuditEvent.objects.filter(pk=row.pk).update(detail="rewritten"),
        lambda: AuditEvent.objects.filter(pk=row.pk).delete(),
        lambda: AuditEvent.objects.all().delete(),
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            attempt()
    row.refresh_from_db()
    assert row.detail == "opened (high)"


def test_audit_rows_hold_no_protected_value(cast, raised):
    alert, assignment = raised
    assignment_decline(assignment=assignment, user=cast.cso_user, reason=NARRATIVE)
    alert_dismiss(alert=alert, user=cast.coordinator, note=NARRATIVE)
    for detail in AuditEvent.objects.values_list("detail", flat=True):
        assert NARRATIVE not in detail and SOURCE not in detail


def test_assignments_visible_needs_no_query_per_row(cast, raised, django_assert_max_num_queries):
    alert, _ = raised
    police = alert_assign(alert=alert, user=cast.coordinator, organisation=cast.police)
    assert [a.organisation.code for a in assignments_visible(cast.police_user)] == ["police"]
    assert police in assignments_visible(cast.coordinator)
    with django_assert_max_num_queries(1):
        rows = [(a.alert.community.name, a.organisation.name, a.overdue) for a in assignments_visible(cast.coordinator)]
    assert len(rows) == 2
    assert not assignments_visible(cast.analyst).exists()


def _sweep_reads(at):
    """Run the overdue sweep; return how many it marked and its SELECTs by table read."""
    with CaptureQueriesContext(connection) as queries:
        marked = assignments_mark_overdue(at=at)
    selects = [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")]
    return marked, {
        table: sum(1 for sql in selects if f'FROM "{table}"' in sql) for table in ("ewers_user", "ewers_region")
    }


def test_the_overdue_sweep_reads_a_communitys_coordinators_once_however_many_rows(cast, raised):
    alert, assignment = raised
    due = assignment.due_at - timedelta(minutes=1)

    def overdue(count):
        for _ in range(count):
            organisation = factories.make_organisation(coverage=[cast.places["c1"]])
            factories.make_assignment(alert=alert, organisation=organisation, due_at=due)

    overdue(1)  # with the routed one: two
    marked, few = _sweep_reads(assignment.due_at + timedelta(minutes=1))
    assert marked == 2
    overdue(6)
    marked, many = _sweep_reads(assignment.due_at + timedelta(minutes=2))
    assert marked == 6
    # The coordinators (and the community) are read once a community, not once a row.
    assert many == few
    assert few["ewers_user"] == 1
    assert Notification.objects.filter(kind=NotificationKind.OVERDUE, user=cast.coordinator).count() == 8


def test_an_inactive_organisation_gets_no_assignment(cast, people, strong, django_capture_on_commit_callbacks):
    cast.cso.is_active = False
    cast.cso.save(update_fields=["is_active"])
    other = factories.make_organisation(code="ngo", sector=Sector.CSO, coverage=[cast.places["c1"]])
    factories.make_user("ngo-r", other, Role.RESPONDER)  # no mandate: not routed either
    with django_capture_on_commit_callbacks(execute=True):
        report(cast, strong)
    assert Alert.objects.count() == 1
    assert not Assignment.objects.exists()
    assert timezone.now()  # the alert stands for the coordinators regardless


def token_client(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
    return client


def test_each_showing_of_a_source_reference_is_audited_without_the_value(cast, client):
    shown = report(cast, [cast.indicator], value=1)
    other = factories.make_report(cast.analyst, cast.places["c2"], cast.indicator, source_reference=None)
    client.force_login(cast.coordinator)
    page = client.get(reverse("reports:detail", args=[shown.pk]))
    assert SOURCE in page.content.decode()
    client.get(reverse("reports:detail", args=[other.pk]))  # none given: nothing read
    api = token_client(cast.analyst).get(reverse("api-report-detail", args=[shown.pk]))
    assert api.json()["source_reference"] == SOURCE
    rows = AuditEvent.objects.filter(action=AuditAction.PROTECTED_READ).order_by("id")
    assert list(rows.values_list("actor_username", "object_type", "object_id", "detail", "method")) == [
        ("coord", "report", str(shown.pk), "source_reference", "GET"),
        ("ana", "report", str(shown.pk), "source_reference", "GET"),
    ]
    assert [r.path for r in rows] == [
        reverse("reports:detail", args=[shown.pk]),
        reverse("api-report-detail", args=[shown.pk]),
    ]
    # Those who may not see it read nothing, and nothing is logged for them.
    client.force_login(cast.cso_user)
    client.get(reverse("reports:detail", args=[shown.pk]))
    assert rows.count() == 2


def test_every_refusal_to_a_signed_in_user_is_audited(cast, client):
    outside = factories.make_report(cast.other_analyst, cast.other_places["c1"], cast.indicator)
    client.force_login(cast.analyst)
    assert client.get(reverse("reports:detail", args=[outside.pk])).status_code == 404
    api = token_client(cast.cso_user).post(reverse("api-report-list"), {}, format="json")
    assert api.status_code == 403
    client.logout()
    client.get(reverse("reports:detail", args=[outside.pk]))  # anonymous: sent to sign in, not audited
    rows = AuditEvent.objects.filter(action=AuditAction.ACCESS_DENIED).order_by("id")
    assert list(rows.values_list("actor_username", "status", "method", "path")) == [
        ("ana", 404, "GET", reverse("reports:detail", args=[outside.pk])),
        ("cso", 403, "POST", reverse("api-report-list")),
    ]


def test_a_refusal_is_audited_with_a_printable_path_and_nonsense_urls_are_not(cast, client):
    """A NUL in a refused URL is written escaped (PostgreSQL stores no NUL); a URL that no
    view matches reaches no object and is not recorded (nobody can flood the trail)."""
    client.force_login(cast.analyst)
    assert client.get("/api/v1/indicators/P0%001/").status_code == 404
    assert client.get("/no-such-page/").status_code == 404
    assert client.get("/static/missing.css").status_code == 404
    rows = AuditEvent.objects.filter(action=AuditAction.ACCESS_DENIED)
    assert list(rows.values_list("path", flat=True)) == ["/api/v1/indicators/P0\\x{0}1/"]


def test_administrators_read_the_audit_trail_in_the_admin_and_nobody_edits_it(cast, raised, client):
    row = AuditEvent.objects.order_by("id").first()
    model_admin = admin.site._registry[AuditEvent]
    client.force_login(cast.admin)
    listing = client.get(reverse("admin:audit_auditevent_changelist"))
    assert listing.status_code == 200
    assert row in listing.context["cl"].result_list
    assert client.get(reverse("admin:audit_auditevent_changelist"), {"q": str(row.object_id)}).status_code == 200
    assert client.get(reverse("admin:audit_auditevent_change", args=[row.pk])).status_code == 200
    assert client.post(reverse("admin:audit_auditevent_change", args=[row.pk]), {"detail": "x"}).status_code == 403
    assert client.get(reverse("admin:audit_auditevent_delete", args=[row.pk])).status_code == 403
    assert client.get(reverse("admin:audit_auditevent_add")).status_code == 403
    cast.coordinator.is_staff = cast.coordinator.is_superuser = True
    cast.coordinator.save()
    request = type("R", (), {"user": cast.coordinator})()
    assert model_admin.has_view_permission(request)
    assert not any(
        (
            model_admin.has_add_permission(request),
            model_admin.has_change_permission(request, row),
            model_admin.has_delete_permission(request, row),
        )
    )
    cast.coordinator.is_superuser = False
    cast.coordinator.save()
    client.force_login(cast.coordinator)  # staff, but not an administrator
    assert client.get(reverse("admin:audit_auditevent_changelist")).status_code == 403
    row.refresh_from_db()
    assert row.detail == "opened (high)"


@pytest.mark.django_db(transaction=True)
def test_only_a_whole_database_flush_empties_the_audit_trail(cast):
    from django.core.management import call_command

    from audit.services import audit_record

    audit_record(action=AuditAction.ACCESS_DENIED, actor=cast.analyst, status=404)
    with pytest.raises(DatabaseError, match="append-only"):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.count() == 1
    call_command("flush", interactive=False, verbosity=0)  # as the test runner does between tests
    assert not AuditEvent.objects.exists()


def test_routing_reads_every_theme_that_raised_the_score_not_only_the_explanation(cast):
    """Six tension readings outweigh one small weapons reading: the explanation keeps the
    top five, but the police (weapons mandate) are concerned all the same."""
    from alerts.services import alert_explanation, alert_themes
    from indicators.scoring import ContributionFact

    weapons = factories.make_indicator("W09", theme=factories.make_theme("weapons"))
    tension = [factories.make_indicator(f"X0{n}", theme=cast.indicator.theme) for n in range(6)]
    indicators = {i.pk: i for i in [*tension, weapons]}
    contributions = [ContributionFact(i.pk, 1, 1, 2.0) for i in tension] + [
        ContributionFact(weapons.pk, 1, 1, 0.1),
        ContributionFact(cast.indicator.pk, 1, 1, -1.0),  # resilience lowers the score: not a driver
    ]
    assert {row["theme"] for row in alert_explanation(contributions, indicators)} == {"tension"}
    assert alert_themes(contributions, indicators) == {"tension", "weapons"}
