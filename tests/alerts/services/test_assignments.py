"""The response workflow on the database (alerts/services/assignments.py): responders work
their assignments, coordinators add and move them, the overdue sweep fires once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alerts.choices import AlertEventKind, AssignmentState, NotificationKind
from alerts.models import AlertEvent, Assignment, Notification
from alerts.permissions import assignment_actions, assignment_may_work
from alerts.selectors import assignment_candidates, assignment_get, assignments_visible
from alerts.services import (
    alert_assign,
    assignment_acknowledge,
    assignment_complete,
    assignment_decline,
    assignment_move,
    assignment_start,
    assignments_mark_overdue,
)
from audit.models import AuditEvent
from ewers.choices import Role
from ewers.exceptions import StateConflict
from tests import factories
from tests.alerts.services.conftest import audit_details


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
        "routed at tier 1 → pending",
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
    # The police cover the country: a coordinator may hand them the alert, outside their
    # mandate with a note (audited).
    choosable = [c for c in assignment_candidates(alert) if c.reason is None]
    assert [(c.organisation, c.mandate_fits) for c in choosable] == [(cast.cso, True), (cast.police, False)]
    with pytest.raises(ValidationError) as refused:
        assignment_move(assignment=assignment, user=cast.coordinator, organisation=cast.police)
    assert "mandate" in refused.value.message_dict["note"][0]
    with django_capture_on_commit_callbacks(execute=True):
        moved = assignment_move(
            assignment=assignment, user=cast.coordinator, organisation=cast.police, note="Armed threat reported."
        )
    assignment.refresh_from_db()
    assert (assignment.state, assignment.replaced_by) == (AssignmentState.MOVED, moved)
    assert assignment.reason == "No staff in the area this week"  # the decline stays on record
    assert (moved.organisation, moved.state, moved.level) == (cast.police, AssignmentState.PENDING, alert.level)
    assert not Assignment.objects.declined_queue().exists()
    assert Notification.objects.get(kind=NotificationKind.MOVED).user == cast.police_user
    # The organisation it was moved from is told its share ended.
    assert Notification.objects.get(kind=NotificationKind.WITHDRAWN).user == cast.cso_user
    # Police may see and work it; the CSO still sees its own declined one.
    assert assignment_get(cast.police_user, moved.pk) == moved
    # Moved away, the declined assignment (and the alert) leave the CSO's share.
    assert list(assignments_visible(cast.cso_user)) == []
    events = list(alert.events.values_list("kind", "organisation__code"))
    assert events[-2:] == [(AlertEventKind.ASSIGNED, "police"), (AlertEventKind.REASSIGNED, "cso")]
    with pytest.raises(StateConflict):
        assignment_move(assignment=assignment, user=cast.coordinator, organisation=cast.police)


def test_moving_an_active_assignment_ends_it_as_moved(cast, raised):
    _, assignment = raised
    assignment_acknowledge(assignment=assignment, user=cast.cso_user)
    moved = assignment_move(assignment=assignment, user=cast.coordinator, organisation=cast.police, note="Armed.")
    assignment.refresh_from_db()
    assert (assignment.state, assignment.replaced_by) == (AssignmentState.MOVED, moved)
    assert audit_details("assignment", assignment.pk)[-1] == f"acknowledged → moved (to assignment {moved.pk})"
    assert audit_details("assignment", moved.pk)[-1] == "mandate override: Armed."
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
    added = alert_assign(alert=alert, user=cast.coordinator, organisation=cast.police, note="Weapons seen too.")
    assert (added.organisation, added.state) == (cast.police, AssignmentState.PENDING)
    assert Notification.objects.filter(user=cast.police_user, kind=NotificationKind.ASSIGNED).count() == 1
    assignment_decline(assignment=assignment, user=cast.cso_user, reason="Not our area")
    again = alert_assign(alert=alert, user=cast.coordinator, organisation=cast.cso)
    assert again.pk == assignment.pk
    assert (again.state, again.reason, again.finished_at) == (AssignmentState.PENDING, "", None)
    assert audit_details("assignment", assignment.pk)[-1] == "declined → pending (re-assigned)"


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
    # The coordinators, the organisations covering the community (for the next tier) and
    # the community are read once a community, not once a row.
    assert many == few
    assert few["ewers_user"] == 2
    assert Notification.objects.filter(kind=NotificationKind.OVERDUE, user=cast.coordinator).count() == 8
