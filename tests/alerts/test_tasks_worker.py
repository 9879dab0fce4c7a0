"""Routing and the response workflow with a real Celery worker on Redis and PostgreSQL.

Like tests/indicators/test_tasks_worker.py: each test is ``django_db(transaction=True)``; the worker
runs in another thread with its own database connection and sees only committed rows.
The concurrency tests use threads, each with its own connection, on PostgreSQL's row locks.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from alerts import tasks
from alerts.choices import AlertEventKind, AssignmentState, NotificationKind
from alerts.models import Alert, AlertEvent, Assignment, Notification
from alerts.services import assignment_acknowledge, assignments_mark_overdue
from audit.choices import AuditAction
from audit.models import AuditEvent
from ewers.choices import Role
from ewers.exceptions import StateConflict
from indicators import tasks as indicator_tasks
from indicators.services import ReadingInput, field_report_create
from tests import factories
from tests.conftest import requires_real_services
from tests.polling import WAIT_SECONDS, wait_for

# Imported so that the test app registers the scoring tasks the worker runs.
assert indicator_tasks.report_score

pytestmark = [requires_real_services, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def strong(cast):
    theme = cast.indicator.theme
    return [cast.indicator] + [factories.make_indicator(f"P0{n}", theme=theme, weight=1.5) for n in (2, 3)]


def submit(cast, indicators):
    report, _ = field_report_create(
        user=cast.analyst,
        community=cast.places["c1"],
        observed_at=timezone.now() - timedelta(minutes=30),
        readings=[ReadingInput(indicator=i, value=4) for i in indicators],
        source_reliability="A",
        information_credibility=1,
        narrative="Posters threatening the other congregation.",
        source_reference="SRC-WORKER-1",
    )
    return report


@pytest.fixture
def routed(cast, strong, celery_app, celery_worker):
    """A report scored by the worker into a high alert, routed to the CSO, its e-mail sent."""
    cast.cso_user.email = "cso@example.org"
    cast.cso_user.save(update_fields=["email"])
    submit(cast, strong)
    assert wait_for(lambda: Assignment.objects.exists())
    assert wait_for(lambda: Notification.objects.filter(emailed_at__isnull=False).exists())
    return Alert.objects.get(), Assignment.objects.get()


def test_a_report_is_routed_end_to_end_and_the_responder_is_emailed(cast, routed):
    alert, assignment = routed
    assert (assignment.organisation, assignment.state, assignment.level) == (cast.cso, AssignmentState.PENDING, "high")
    assert assignment.due_at == alert.opened_at + timedelta(hours=6)
    assert list(alert.events.values_list("kind", "organisation__code")) == [
        (AlertEventKind.OPENED, None),
        (AlertEventKind.ASSIGNED, "cso"),
    ]
    notification = Notification.objects.get()
    assert (notification.user, notification.kind) == (cast.cso_user, NotificationKind.ASSIGNED)
    sent = [m for m in mail.outbox if m.to == ["cso@example.org"]]
    assert len(sent) == 1
    assert f"#{alert.pk}" in sent[0].subject
    assert "SRC-WORKER-1" not in sent[0].body
    assert AuditEvent.objects.filter(object_type="assignment", action=AuditAction.ASSIGNMENT_CREATED).count() == 1


def test_the_overdue_task_run_twice_through_the_worker_fires_once(cast, routed):
    alert, assignment = routed
    Assignment.objects.filter(pk=assignment.pk).update(due_at=timezone.now() - timedelta(minutes=5))
    first = tasks.overdue_sweep.apply_async(ignore_result=False)
    second = tasks.overdue_sweep.apply_async(ignore_result=False)
    assert sorted([first.get(timeout=WAIT_SECONDS), second.get(timeout=WAIT_SECONDS)]) == [0, 1]
    assert AlertEvent.objects.filter(alert=alert, kind=AlertEventKind.OVERDUE).count() == 1
    assert list(
        Notification.objects.filter(kind=NotificationKind.OVERDUE).values_list("user__username", flat=True)
    ) == ["coord"]
    assert Assignment.objects.get(pk=assignment.pk).overdue_notified_at is not None


def run_at_once(*actions: Callable[[], object]) -> list[object]:
    """Run the actions in threads started together; each thread has its own connection.
    Returns each one's result or the exception it raised."""
    barrier = threading.Barrier(len(actions))
    results: list[object] = [None] * len(actions)

    def run(index: int, action: Callable[[], object]) -> None:
        try:
            barrier.wait()
            results[index] = action()
        except Exception as exc:  # noqa: BLE001  # the outcome is what the test compares
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT_SECONDS)
    return results


def test_two_concurrent_acknowledgements_resolve_to_one(cast, routed):
    _, assignment = routed
    colleague = factories.make_user("cso-b", cast.cso, Role.RESPONDER)
    results = run_at_once(
        lambda: assignment_acknowledge(assignment=assignment, user=cast.cso_user),
        lambda: assignment_acknowledge(assignment=assignment, user=colleague),
    )
    won = [r for r in results if isinstance(r, Assignment)]
    lost = [r for r in results if isinstance(r, StateConflict)]
    assert (len(won), len(lost)) == (1, 1), results
    assignment.refresh_from_db()
    assert assignment.state == AssignmentState.ACKNOWLEDGED
    assert AlertEvent.objects.filter(kind=AlertEventKind.ACKNOWLEDGED).count() == 1
    assert AuditEvent.objects.filter(detail="pending → acknowledged").count() == 1


def test_two_concurrent_overdue_sweeps_mark_once(cast, routed):
    _, assignment = routed
    Assignment.objects.filter(pk=assignment.pk).update(due_at=timezone.now() - timedelta(minutes=5))
    results = run_at_once(assignments_mark_overdue, assignments_mark_overdue)
    assert sorted(results) == [0, 1], results  # type: ignore[type-var]
    assert AlertEvent.objects.filter(kind=AlertEventKind.OVERDUE).count() == 1


def test_the_database_refuses_to_change_or_delete_audit_rows(cast, routed):
    from django.db import DatabaseError, transaction

    row = AuditEvent.objects.order_by("id").first()
    for attempt in (
        lambda: AuditEvent.objects.filter(pk=row.pk).update(detail="rewritten"),
        lambda: AuditEvent.objects.filter(pk=row.pk).delete(),
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            attempt()
    row.refresh_from_db()
    assert row.detail == "opened (high)"


# --- Least coercive first, and closing the loop, on the real parts ------------------------


@pytest.fixture
def tiers(cast):
    """Beside the CSO (tier 1, tension) a second CSO in the same village, and the agency
    (government: tier 2) for tension across the country, each with a responder."""
    from ewers.choices import Sector

    tension = cast.indicator.theme
    second = factories.make_organisation(
        code="cso2", sector=Sector.CSO, coverage=[cast.places["c1"]], mandate=[tension]
    )
    agency = factories.make_organisation(
        code="unity", sector=Sector.GOVERNMENT, coverage=[cast.places["country"]], mandate=[tension]
    )
    return {
        "cso2": second,
        "cso2_user": factories.make_user("cso2-r", second, Role.RESPONDER),
        "agency": agency,
        "agency_user": factories.make_user("unity-r", agency, Role.RESPONDER),
    }


@pytest.fixture
def tiered(cast, strong, tiers, celery_app, celery_worker):
    """A report scored by the worker into a high tension alert, routed to its first tier:
    both CSOs, not the agency (tier 2) nor the police (weapons only)."""
    submit(cast, strong)
    assert wait_for(lambda: Assignment.objects.count() == 2)
    return Alert.objects.get()


def test_a_missed_deadline_brings_the_next_tier_in_once_through_the_worker(cast, tiers, tiered):
    alert = tiered
    assert {a.organisation.code for a in alert.assignments.all()} == {"cso", "cso2"}
    Assignment.objects.filter(alert=alert).update(due_at=timezone.now() - timedelta(minutes=5))
    first = tasks.overdue_sweep.apply_async(ignore_result=False)
    second = tasks.overdue_sweep.apply_async(ignore_result=False)
    assert sorted([first.get(timeout=WAIT_SECONDS), second.get(timeout=WAIT_SECONDS)]) == [0, 2]
    # Both tier-1 organisations were late: the agency (tier 2) is brought in once.
    assert Assignment.objects.filter(alert=alert, organisation=tiers["agency"]).count() == 1
    assert AlertEvent.objects.filter(alert=alert, kind=AlertEventKind.TIER_RAISED).count() == 1
    assert Alert.objects.get().routing["reached"] == {cast.indicator.theme.code: 2}
    assert not Assignment.objects.filter(alert=alert, organisation=cast.police).exists()


def test_concurrent_declines_of_one_tier_bring_the_next_tier_in_exactly_once(cast, tiers, tiered):
    from alerts.services import assignment_decline

    alert = tiered
    mine = Assignment.objects.get(alert=alert, organisation=cast.cso)
    theirs = Assignment.objects.get(alert=alert, organisation=tiers["cso2"])
    results = run_at_once(
        lambda: assignment_decline(assignment=mine, user=cast.cso_user, reason="Away."),
        lambda: assignment_decline(assignment=theirs, user=tiers["cso2_user"], reason="No one free."),
    )
    assert all(isinstance(r, Assignment) for r in results), results
    agency = Assignment.objects.filter(alert=alert, organisation=tiers["agency"])
    assert agency.count() == 1 and agency.get().tier == 2
    assert AlertEvent.objects.filter(alert=alert, kind=AlertEventKind.TIER_RAISED).count() == 1
    # The agency is told by e-mail through the worker, once.
    tiers["agency_user"].email = "unity@example.org"
    tiers["agency_user"].save(update_fields=["email"])
    tasks.notifications_email.apply_async(ignore_result=False).get(timeout=WAIT_SECONDS)
    assert len([m for m in mail.outbox if m.to == ["unity@example.org"]]) == 1


def test_closing_ends_every_live_assignment_and_later_actions_are_409(cast, tiers, tiered):
    from rest_framework.test import APIClient

    from alerts.services import assignment_start

    alert = tiered
    mine = Assignment.objects.get(alert=alert, organisation=cast.cso)
    assignment_acknowledge(assignment=mine, user=cast.cso_user)
    assignment_start(assignment=mine, user=cast.cso_user)
    coordinator = APIClient()
    coordinator.force_authenticate(cast.coordinator)
    closed = coordinator.post(f"/api/v1/alerts/{alert.pk}/resolve/", {"note": "Calm.", "outcome": "no"}, format="json")
    assert closed.status_code == 200, closed.content
    states = dict(Assignment.objects.filter(alert=alert).values_list("organisation__code", "state"))
    assert states == {"cso": "closed", "cso2": "closed"}
    assert set(Notification.objects.filter(kind=NotificationKind.CLOSED).values_list("user__username", flat=True)) == {
        "cso",
        "cso2-r",
    }
    responder = APIClient()
    responder.force_authenticate(cast.cso_user)
    for action, body in (("complete", {"outcome": "Done."}), ("decline", {"reason": "Late."})):
        response = responder.post(f"/api/v1/assignments/{mine.pk}/{action}/", body, format="json")
        assert response.status_code == 409, response.content
        assert "was resolved on" in response.json()["detail"]
    # The former holder keeps its closing summary.
    summary = responder.get(f"/api/v1/alerts/{alert.pk}/").json()
    assert (summary["summary"], summary["state"], summary["outcome"]) == (True, "resolved", "no")
