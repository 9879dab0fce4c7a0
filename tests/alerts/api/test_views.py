"""API v1 of the alerts app (alerts/api/views.py): alerts read per role with their
explanation and timeline; coordinators' actions on alerts, the assigned organisations'
work on assignments, and each user's notifications — who may do what, and what is seen."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from alerts.models import Alert, AlertEvent, Assignment, Notification
from ewers.choices import Role, Sector
from tests import factories
from tests.api import as_user, get

pytestmark = pytest.mark.django_db


def post(user: Any, name: str, pk: int | str | None = None, body: Any = None) -> Any:
    url = reverse(name, args=[pk]) if pk is not None else reverse(name)
    return as_user(user).post(url, body if body is not None else {}, format="json")


def assignment_ids(user: Any, query: str = "") -> list[int]:
    return [row["id"] for row in get(user, reverse("api-assignment-list") + query)["results"]]


@pytest.fixture
def agency(cast):
    """A second responding organisation in T, with one responder, for adding and moving."""
    organisation = factories.make_organisation(
        code="agency", sector=Sector.GOVERNMENT, coverage=[cast.places["country"]], mandate=[cast.indicator.theme]
    )
    return {"organisation": organisation, "user": factories.make_user("agent", organisation, Role.RESPONDER)}


@pytest.fixture
def work(cast, agency):
    """Alerts in T (c1: police and the CSO; c2: police, overdue) and in U (police)."""
    now = timezone.now()

    def assign(alert: Alert, organisation: Any, due: timedelta) -> Assignment:
        AlertEvent.objects.create(alert=alert, kind="assigned", organisation=organisation)
        return Assignment.objects.create(alert=alert, organisation=organisation, level=alert.level, due_at=now + due)

    t_alert = Alert.objects.create(community=cast.places["c1"], level="high")
    t2_alert = Alert.objects.create(community=cast.places["c2"], level="moderate")
    u_alert = Alert.objects.create(community=cast.other_places["c1"], level="critical")
    AlertEvent.objects.create(alert=t_alert, kind="opened", level="high")
    return {
        "t": t_alert,
        "t2": t2_alert,
        "u": u_alert,
        "t_police": assign(t_alert, cast.police, timedelta(hours=6)),
        "t_cso": assign(t_alert, cast.cso, timedelta(hours=5)),
        "t2_police": assign(t2_alert, cast.police, timedelta(hours=-1)),
        "u_police": assign(u_alert, cast.police, timedelta(hours=1)),
    }


# --- Reading assignments ----------------------------------------------------------------------


def test_each_role_lists_exactly_the_assignments_it_may_see_most_urgent_first(cast, work, agency):
    # The overdue one first, then by deadline.
    assert assignment_ids(cast.coordinator) == [work["t2_police"].pk, work["t_cso"].pk, work["t_police"].pk]
    assert assignment_ids(cast.police_user) == [work["t2_police"].pk, work["u_police"].pk, work["t_police"].pk]
    assert assignment_ids(cast.cso_user) == [work["t_cso"].pk]
    assert assignment_ids(agency["user"]) == []
    assert assignment_ids(cast.analyst) == []
    assert assignment_ids(cast.admin) == []


def test_an_assignment_row_carries_its_alert_community_and_deadline(cast, work):
    data = get(cast.cso_user, reverse("api-assignment-detail", args=[work["t_cso"].pk]))
    assert data["id"] == work["t_cso"].pk
    assert data["alert"] == work["t"].pk
    assert (data["organisation"], data["state"], data["level"], data["overdue"]) == ("cso", "pending", "high", False)
    assert data["community"] == {"id": cast.places["c1"].pk, "code": "T-1-1-1", "name": "T village one"}
    assert (data["alert_level"], data["alert_state"], data["alert_verified"]) == ("high", "open", False)
    assert (data["outcome"], data["reason"], data["acknowledged_at"], data["finished_at"]) == ("", "", None, None)
    assert data["due_at"] and data["created_at"]
    overdue = get(cast.police_user, reverse("api-assignment-detail", args=[work["t2_police"].pk]))
    assert overdue["overdue"] is True


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?overdue=true", ["t2_police"]),
        ("?overdue=false", ["t_cso", "t_police"]),
        ("?level=high", ["t_cso", "t_police"]),
        ("?organisation=cso", ["t_cso"]),
        ("?community=T-1-1-2", ["t2_police"]),
        ("?state=pending&organisation=police", ["t2_police", "t_police"]),
        ("?state=completed", []),
        ("?alert=999999999999999999999", []),
    ],
)
def test_the_assignment_list_filters(cast, work, query, expected):
    assert assignment_ids(cast.coordinator, query) == [work[key].pk for key in expected]


def test_the_assignment_list_filters_by_alert_and_community_id(cast, work):
    assert assignment_ids(cast.coordinator, f"?alert={work['t'].pk}") == [work["t_cso"].pk, work["t_police"].pk]
    assert assignment_ids(cast.police_user, f"?community={cast.other_places['c1'].pk}") == [work["u_police"].pk]


@pytest.mark.parametrize(
    ("query", "field"),
    [("?state=lost", "state"), ("?community=%00", "community"), ("?alert=x", "alert")],
)
def test_a_bad_filter_value_is_a_400(cast, work, query, field):
    response = as_user(cast.coordinator).get(reverse("api-assignment-list") + query)
    assert response.status_code == 400
    assert response.json()[field]


def test_an_assignment_outside_the_share_is_a_404(cast, work, agency):
    for user, key in [
        (cast.police_user, "t_cso"),
        (cast.cso_user, "t_police"),
        (cast.coordinator, "u_police"),
        (cast.analyst, "t_cso"),
        (agency["user"], "t_cso"),
    ]:
        assert as_user(user).get(reverse("api-assignment-detail", args=[work[key].pk])).status_code == 404
    assert as_user(cast.coordinator).get(reverse("api-assignment-detail", args=["x"])).status_code == 404


def test_listing_assignments_costs_the_same_queries_for_three_or_thirty(cast, work):
    client = as_user(cast.police_user)
    with CaptureQueriesContext(connection) as few:
        assert len(client.get(reverse("api-assignment-list")).json()["results"]) == 3
    for index in range(27):
        community = factories.make_tree(f"Q{index}")["c1"]
        cast.police.coverage.add(community)
        alert = Alert.objects.create(community=community, level="moderate")
        Assignment.objects.create(alert=alert, organisation=cast.police, level="moderate", due_at=timezone.now())
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(reverse("api-assignment-list")).json()["results"]) == 30
    assert len(many.captured_queries) == len(few.captured_queries)


# --- Coordinators' actions on alerts ----------------------------------------------------------


def test_a_covering_coordinator_verifies_an_alert(cast, work):
    response = post(cast.coordinator, "api-alert-verify", work["t"].pk)
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["id"], data["verified"]) == (work["t"].pk, True)
    assert data["verified_at"]
    assert "verified" in [event["kind"] for event in data["timeline"]]
    assert Alert.objects.get(pk=work["t"].pk).verified is True


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("api-alert-verify", {}),
        ("api-alert-resolve", {"note": "Calm again.", "outcome": "no"}),
        ("api-alert-dismiss", {"note": "Rumour."}),
        ("api-alert-assign", {"organisation": "agency"}),
    ],
)
def test_alert_actions_are_the_covering_coordinators_only(cast, work, agency, name, body):
    # A responder sees the alert but may not manage it: 403; outside the share: 404.
    for user, key, code in [
        (cast.police_user, "t", 403),
        (cast.cso_user, "t", 403),
        (cast.police_user, "u", 403),
        (cast.cso_user, "u", 404),
        (cast.coordinator, "u", 404),
        (cast.analyst, "t", 404),
        (cast.admin, "t", 404),
    ]:
        response = post(user, name, work[key].pk, body)
        assert response.status_code == code, (user, key, response.content)
        assert response.json()["detail"]
    assert post(cast.coordinator, name, "nope", body).status_code == 404
    t_alert = Alert.objects.get(pk=work["t"].pk)
    assert (t_alert.state, t_alert.verified) == ("open", False)
    assert not Assignment.objects.filter(organisation=agency["organisation"]).exists()


def test_a_coordinator_resolves_with_an_outcome(cast, work):
    response = post(cast.coordinator, "api-alert-resolve", work["t"].pk, {"note": "Mediation held.", "outcome": "no"})
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["state"], data["outcome"]) == ("resolved", "no")
    assert data["closed_at"]
    assert data["timeline"][-1]["kind"] == "resolved"
    assert data["timeline"][-1]["actor"] == "coord"
    alert = Alert.objects.get(pk=work["t"].pk)
    assert (alert.state, alert.outcome, alert.close_note, alert.closed_by) == (
        "resolved",
        "no",
        "Mediation held.",
        cast.coordinator,
    )


def test_a_coordinator_dismisses_and_live_assignments_end_as_closed(cast, work):
    response = post(cast.coordinator, "api-alert-dismiss", work["t"].pk, {"note": "A false rumour."})
    assert response.status_code == 200, response.content
    assert (response.json()["state"], response.json()["outcome"]) == ("dismissed", None)
    states = set(Assignment.objects.filter(alert=work["t"]).values_list("state", flat=True))
    assert states == {"closed"}


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("api-alert-verify", {}),
        ("api-alert-resolve", {"note": "Again.", "outcome": "yes"}),
        ("api-alert-dismiss", {"note": "Again."}),
        ("api-alert-assign", {"organisation": "agency"}),
    ],
)
def test_acting_on_a_closed_alert_is_a_409(cast, work, name, body):
    closed = post(cast.coordinator, "api-alert-resolve", work["t"].pk, {"note": "Done.", "outcome": "unknown"})
    assert closed.status_code == 200
    response = post(cast.coordinator, name, work["t"].pk, body)
    assert response.status_code == 409, response.content
    assert set(response.json()) == {"detail"}
    assert response.json()["detail"]
    alert = Alert.objects.get(pk=work["t"].pk)
    assert (alert.state, alert.outcome, alert.close_note) == ("resolved", "unknown", "Done.")


def test_a_coordinator_adds_an_organisation(cast, work, agency):
    # The agency's mandate does not meet the alert's themes: a note overrides it (audited).
    refused = post(cast.coordinator, "api-alert-assign", work["t"].pk, {"organisation": "agency"})
    assert refused.status_code == 400
    assert "mandate" in refused.json()["note"][0]
    response = post(
        cast.coordinator, "api-alert-assign", work["t"].pk, {"organisation": "agency", "note": "Local mediators."}
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assignment = Assignment.objects.get(alert=work["t"], organisation=agency["organisation"])
    assert (data["id"], data["organisation"], data["state"], data["alert"]) == (
        assignment.pk,
        "agency",
        "pending",
        work["t"].pk,
    )
    assert assignment_ids(agency["user"]) == [assignment.pk]
    by_id = post(
        cast.coordinator,
        "api-alert-assign",
        work["t2"].pk,
        {"organisation": agency["organisation"].pk, "note": "Local mediators."},
    )
    assert by_id.status_code == 201, by_id.content


@pytest.mark.parametrize("organisation", ["cso", "lab", "desk", "police"])
def test_an_organisation_that_may_not_take_the_alert_is_a_field_error(cast, work, organisation):
    # The CSO and police have it already; the lab and the desk have no responders.
    response = post(cast.coordinator, "api-alert-assign", work["t"].pk, {"organisation": organisation})
    assert response.status_code == 400, response.content
    assert response.json()["organisation"]
    assert Assignment.objects.filter(alert=work["t"]).count() == 2


def test_verifying_twice_is_a_409(cast, work):
    assert post(cast.coordinator, "api-alert-verify", work["t"].pk).status_code == 200
    response = post(cast.coordinator, "api-alert-verify", work["t"].pk)
    assert response.status_code == 409
    assert response.json()["detail"]


# --- The assigned organisation's work ----------------------------------------------------------


def test_the_cso_acknowledges_starts_and_completes(cast, work):
    pk = work["t_cso"].pk
    acknowledged = post(cast.cso_user, "api-assignment-acknowledge", pk)
    assert acknowledged.status_code == 200, acknowledged.content
    assert acknowledged.json()["state"] == "acknowledged"
    assert acknowledged.json()["acknowledged_at"]
    started = post(cast.cso_user, "api-assignment-start", pk)
    assert started.status_code == 200, started.content
    assert started.json()["state"] == "in_progress"
    assert started.json()["started_at"]
    completed = post(cast.cso_user, "api-assignment-complete", pk, {"outcome": "Met both youth groups."})
    assert completed.status_code == 200, completed.content
    assert (completed.json()["state"], completed.json()["outcome"]) == ("completed", "Met both youth groups.")
    assert completed.json()["finished_at"]
    assignment = Assignment.objects.get(pk=pk)
    assert (assignment.state, assignment.outcome) == ("completed", "Met both youth groups.")
    timeline = get(cast.cso_user, reverse("api-alert-detail", args=[work["t"].pk]))["timeline"]
    steps = [(e["kind"], e["organisation"], e["actor"]) for e in timeline if e["actor"]]
    assert steps == [("acknowledged", "cso", "cso"), ("started", "cso", "cso"), ("completed", "cso", "cso")]


def test_a_responder_declines_and_the_coordinators_see_it(cast, work):
    pk = work["t_cso"].pk
    response = post(cast.cso_user, "api-assignment-decline", pk, {"reason": "No staff in the area this week."})
    assert response.status_code == 200, response.content
    assert (response.json()["state"], response.json()["reason"]) == ("declined", "No staff in the area this week.")
    assert assignment_ids(cast.coordinator, "?state=declined") == [pk]
    assert post(cast.cso_user, "api-assignment-acknowledge", pk).status_code == 409


@pytest.mark.parametrize(
    ("state", "name", "body"),
    [
        ("pending", "api-assignment-start", None),
        ("pending", "api-assignment-complete", {"outcome": "Done."}),
        ("acknowledged", "api-assignment-acknowledge", None),
        ("acknowledged", "api-assignment-complete", {"outcome": "Done."}),
        ("in_progress", "api-assignment-start", None),
        ("completed", "api-assignment-decline", {"reason": "Late."}),
        ("declined", "api-assignment-start", None),
    ],
)
def test_an_illegal_transition_is_a_409_and_changes_nothing(cast, work, state, name, body):
    assignment = work["t_cso"]
    Assignment.objects.filter(pk=assignment.pk).update(
        state=state,
        outcome="Done." if state == "completed" else "",
        reason="Busy." if state == "declined" else "",
    )
    response = post(cast.cso_user, name, assignment.pk, body)
    assert response.status_code == 409, response.content
    assert set(response.json()) == {"detail"}
    assert Assignment.objects.get(pk=assignment.pk).state == state


def test_a_withdrawn_assignment_leaves_the_organisations_share(cast, work):
    """Withdrawn (or moved elsewhere), it is no longer the organisation's to see: 404."""
    assignment = work["t_cso"]
    Assignment.objects.filter(pk=assignment.pk).update(state="withdrawn")
    assert post(cast.cso_user, "api-assignment-acknowledge", assignment.pk).status_code == 404
    assert as_user(cast.cso_user).get(reverse("api-alert-detail", args=[assignment.alert_id])).status_code == 404
    assert Assignment.objects.get(pk=assignment.pk).state == "withdrawn"


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("api-assignment-acknowledge", None),
        ("api-assignment-start", None),
        ("api-assignment-complete", {"outcome": "Done."}),
        ("api-assignment-decline", {"reason": "Busy."}),
    ],
)
def test_assignment_work_is_the_assigned_organisations_only(cast, work, agency, name, body):
    # Coordinators see every assignment of their coverage but do not work on them: 403.
    for user, key, code in [
        (cast.coordinator, "t_cso", 403),
        (cast.police_user, "t_cso", 404),
        (cast.cso_user, "t_police", 404),
        (cast.coordinator, "u_police", 404),
        (agency["user"], "t_police", 404),
        (cast.analyst, "t_cso", 404),
    ]:
        response = post(user, name, work[key].pk, body)
        assert response.status_code == code, (user, key, response.content)
    assert set(Assignment.objects.values_list("state", flat=True)) == {"pending"}


def test_a_coordinator_moves_an_assignment(cast, work, agency):
    response = post(
        cast.coordinator, "api-assignment-move", work["t_cso"].pk, {"organisation": "agency", "note": "Mediators."}
    )
    assert response.status_code == 201, response.content
    data = response.json()
    new = Assignment.objects.get(alert=work["t"], organisation=agency["organisation"])
    assert (data["id"], data["organisation"], data["state"]) == (new.pk, "agency", "pending")
    old = Assignment.objects.get(pk=work["t_cso"].pk)
    assert old.replaced_by == new
    assert old.state == "moved"
    assert assignment_ids(agency["user"]) == [new.pk]


def test_moving_is_the_covering_coordinators_only(cast, work, agency):
    for user, key, code in [
        (cast.cso_user, "t_cso", 403),
        (cast.police_user, "t_police", 403),
        (cast.coordinator, "u_police", 404),
        (cast.analyst, "t_cso", 404),
    ]:
        response = post(user, "api-assignment-move", work[key].pk, {"organisation": "agency"})
        assert response.status_code == code, (user, key, response.content)
    assert not Assignment.objects.filter(organisation=agency["organisation"]).exists()


def test_moving_a_finished_assignment_is_a_409(cast, work, agency):
    Assignment.objects.filter(pk=work["t_cso"].pk).update(state="completed", outcome="Done.")
    response = post(cast.coordinator, "api-assignment-move", work["t_cso"].pk, {"organisation": "agency"})
    assert response.status_code == 409, response.content
    assert not Assignment.objects.filter(organisation=agency["organisation"]).exists()


# --- Bad input ------------------------------------------------------------------------------------

LONG = "x" * 2001
BAD_ACTIONS = [
    ("api-alert-resolve", "t", {"outcome": "no"}, "note"),
    ("api-alert-resolve", "t", {"note": "  ", "outcome": "no"}, "note"),
    ("api-alert-resolve", "t", {"note": LONG, "outcome": "no"}, "note"),
    ("api-alert-resolve", "t", {"note": "nul\x00here", "outcome": "no"}, "note"),
    ("api-alert-resolve", "t", {"note": ["a list"], "outcome": "no"}, "note"),
    ("api-alert-resolve", "t", {"note": "Calm."}, "outcome"),
    ("api-alert-resolve", "t", {"note": "Calm.", "outcome": "maybe"}, "outcome"),
    ("api-alert-dismiss", "t", {}, "note"),
    ("api-alert-dismiss", "t", {"note": 12}, "note"),
    ("api-alert-assign", "t", {}, "organisation"),
    ("api-alert-assign", "t", {"organisation": "nobody"}, "organisation"),
    ("api-alert-assign", "t", {"organisation": True}, "organisation"),
    ("api-alert-assign", "t", {"organisation": 10**30}, "organisation"),
    ("api-alert-assign", "t", {"organisation": "x" * 65}, "organisation"),
    ("api-assignment-move", "t_cso", {"organisation": None}, "organisation"),
    ("api-assignment-complete", "t_cso", {}, "outcome"),
    ("api-assignment-complete", "t_cso", {"outcome": LONG}, "outcome"),
    ("api-assignment-decline", "t_cso", {"reason": ""}, "reason"),
    ("api-assignment-decline", "t_cso", {"reason": "nul\x00here"}, "reason"),
    ("api-assignment-decline", "t_cso", {"reason": {"a": 1}}, "reason"),
]


@pytest.mark.parametrize(
    ("name", "key", "body", "field"), BAD_ACTIONS, ids=[f"{b[0]}-{b[3]}-{i}" for i, b in enumerate(BAD_ACTIONS)]
)
def test_bad_action_input_is_a_400_with_a_field_message_and_changes_nothing(cast, work, agency, name, key, body, field):
    if name.startswith("api-assignment-") and name != "api-assignment-move":
        # Completing needs a started assignment: the 400 comes before any state question.
        Assignment.objects.filter(pk=work[key].pk).update(state="in_progress")
    user = cast.cso_user if name in ("api-assignment-complete", "api-assignment-decline") else cast.coordinator
    response = post(user, name, work[key].pk, body)
    assert response.status_code == 400, response.content
    assert response.json()[field]
    assert Alert.objects.get(pk=work["t"].pk).state == "open"
    assert Assignment.objects.count() == 4
    assert not Assignment.objects.filter(state__in=["completed", "declined", "withdrawn"]).exists()


@pytest.mark.parametrize(
    ("content", "content_type", "code"),
    [
        ("{not json", "application/json", 400),
        ("[1, 2]", "application/json", 400),
        ("note=x&outcome=no", "application/x-www-form-urlencoded", 415),
    ],
)
def test_an_unreadable_action_body_is_a_4xx(cast, work, content, content_type, code):
    url = reverse("api-alert-resolve", args=[work["t"].pk])
    response = as_user(cast.coordinator).post(url, content, content_type=content_type)
    assert response.status_code == code
    assert response.json()
    assert Alert.objects.get(pk=work["t"].pk).state == "open"


def test_actions_need_credentials(cast, work):
    response = APIClient().post(reverse("api-alert-verify", args=[work["t"].pk]), {}, format="json")
    assert response.status_code == 401


# --- Notifications ----------------------------------------------------------------------------------


@pytest.fixture
def notes(cast, work):
    now = timezone.now()

    def note(user: Any, minutes: int, kind: str = "assigned", read: bool = False) -> Notification:
        return Notification.objects.create(
            user=user,
            kind=kind,
            alert=work["t"],
            assignment=work["t_cso"] if user == cast.cso_user else None,
            subject=f"Alert #{work['t'].pk}",
            body="A high alert in T village one.",
            created_at=now - timedelta(minutes=minutes),
            read_at=now if read else None,
        )

    return {
        "cso_old": note(cast.cso_user, 30, read=True),
        "cso_new": note(cast.cso_user, 5),
        "cso_mid": note(cast.cso_user, 10, kind="escalated"),
        "coord": note(cast.coordinator, 1, kind="overdue"),
    }


def notification_ids(user: Any, query: str = "") -> list[int]:
    return [row["id"] for row in get(user, reverse("api-notification-list") + query)["results"]]


def test_each_user_lists_only_their_own_notifications_newest_first(cast, notes):
    assert notification_ids(cast.cso_user) == [notes["cso_new"].pk, notes["cso_mid"].pk, notes["cso_old"].pk]
    assert notification_ids(cast.cso_user, "?unread=true") == [notes["cso_new"].pk, notes["cso_mid"].pk]
    assert notification_ids(cast.cso_user, "?unread=false") == [notes["cso_old"].pk]
    assert notification_ids(cast.coordinator) == [notes["coord"].pk]
    assert notification_ids(cast.police_user) == []
    row = get(cast.cso_user, reverse("api-notification-list"))["results"][0]
    assert (row["kind"], row["alert"], row["assignment"], row["read"], row["read_at"]) == (
        "assigned",
        notes["cso_new"].alert_id,
        notes["cso_new"].assignment_id,
        False,
        None,
    )


def test_marking_named_notifications_read_ignores_other_users(cast, notes):
    ids = [notes["cso_new"].pk, notes["coord"].pk, 987654]
    response = post(cast.cso_user, "api-notification-mark-read", body={"ids": ids})
    assert response.status_code == 200, response.content
    assert response.json() == {"marked": 1}
    assert notification_ids(cast.cso_user, "?unread=true") == [notes["cso_mid"].pk]
    assert Notification.objects.get(pk=notes["coord"].pk).read_at is None


def test_marking_all_read(cast, notes):
    response = post(cast.cso_user, "api-notification-mark-read", body={})
    assert response.json() == {"marked": 2}
    assert notification_ids(cast.cso_user, "?unread=true") == []
    assert post(cast.cso_user, "api-notification-mark-read", body={}).json() == {"marked": 0}
    assert Notification.objects.get(pk=notes["coord"].pk).read_at is None


@pytest.mark.parametrize(
    "body",
    [
        {"ids": "1"},
        {"ids": ["1"]},
        {"ids": [True]},
        {"ids": [0]},
        {"ids": [1.5]},
        {"ids": [2**63]},
        {"ids": list(range(1, 502))},
        {"ids": None},
    ],
)
def test_bad_notification_ids_are_a_400(cast, notes, body):
    response = post(cast.cso_user, "api-notification-mark-read", body=body)
    assert response.status_code == 400, response.content
    assert response.json()["ids"]
    assert Notification.objects.filter(read_at__isnull=True).count() == 3


def test_notifications_are_not_written_through_the_api(cast, notes):
    client = as_user(cast.cso_user)
    assert client.post(reverse("api-notification-list"), {}, format="json").status_code == 405


def test_a_closed_alert_answers_409_whatever_the_body(cast, work):
    alert = work["t_cso"].alert
    assert post(cast.coordinator, "api-alert-dismiss", alert.pk, {"note": "False alarm."}).status_code == 200
    for name, body in [
        ("api-alert-resolve", {"note": "x"}),  # the outcome is missing, but the alert is closed first
        ("api-alert-dismiss", {}),
        ("api-alert-assign", {"organisation": "no-such-org"}),
        ("api-alert-verify", None),
    ]:
        response = post(cast.coordinator, name, alert.pk, body)
        assert response.status_code == 409, (name, response.content)


# --- Alerts ---------------------------------------------------------------------------------------


@pytest.fixture
def alerts(cast):
    """An alert in T (assigned to police and the CSO) and one in U (assigned to police)."""
    due = timezone.now() + timedelta(hours=4)
    t_alert = Alert.objects.create(
        community=cast.places["c1"],
        level="high",
        explanation=[
            {"indicator": "P01", "indicator_name": "Hate", "theme": "tension", "report": 1, "amount": 1.2, "share": 1.0}
        ],
    )
    u_alert = Alert.objects.create(community=cast.other_places["c1"], level="critical")
    AlertEvent.objects.create(alert=t_alert, kind="opened", level="high", note="Score 62")
    for alert, organisation in [(t_alert, cast.police), (t_alert, cast.cso), (u_alert, cast.police)]:
        factories.make_assignment(alert=alert, organisation=organisation, due_at=due)
        AlertEvent.objects.create(alert=alert, kind="assigned", organisation=organisation, actor=cast.coordinator)
    return {"t": t_alert, "u": u_alert}


def alert_ids(user: Any, query: str = "") -> list[int]:
    return sorted(row["id"] for row in get(user, reverse("api-alert-list") + query)["results"])


def test_each_role_lists_exactly_the_alerts_it_may_see(cast, alerts):
    assert alert_ids(cast.coordinator) == [alerts["t"].pk]
    assert alert_ids(cast.police_user) == sorted([alerts["t"].pk, alerts["u"].pk])
    assert alert_ids(cast.cso_user) == [alerts["t"].pk]
    assert alert_ids(cast.analyst) == []
    assert alert_ids(cast.admin) == []
    assert alert_ids(cast.police_user, "?level=critical") == [alerts["u"].pk]
    assert alert_ids(cast.police_user, "?community=T-1-1-1") == [alerts["t"].pk]
    assert alert_ids(cast.police_user, "?state=resolved") == []


def test_an_alert_carries_its_explanation_timeline_and_assignments(cast, alerts):
    data = get(cast.coordinator, reverse("api-alert-detail", args=[alerts["t"].pk]))
    assert data["community"] == {"id": cast.places["c1"].pk, "code": "T-1-1-1", "name": "T village one"}
    assert (data["level"], data["state"], data["verified"], data["escalated_at"]) == ("high", "open", False, None)
    assert data["explanation"] == alerts["t"].explanation
    assert [(e["kind"], e["organisation"], e["actor"]) for e in data["timeline"]] == [
        ("opened", None, None),
        ("assigned", "police", "coord"),
        ("assigned", "cso", "coord"),
    ]
    assert sorted(a["organisation"] for a in data["assignments"]) == ["cso", "police"]
    assert data["assignments"][0]["overdue"] is False


def test_a_responder_sees_its_own_assignment_in_full_and_co_responders_in_brief(cast, alerts):
    data = get(cast.cso_user, reverse("api-alert-detail", args=[alerts["t"].pk]))
    own, other = data["assignments"]
    assert (own["organisation"], own["co_responder"]) == ("cso", False)
    assert own["id"] is not None
    # The police are also on the alert: only their organisation, state and deadline.
    assert (other["organisation"], other["state"], other["co_responder"]) == ("police", "pending", True)
    assert other["due_at"] is not None
    assert [k for k, v in other.items() if v is not None] == [
        "organisation",
        "organisation_name",
        "state",
        "due_at",
        "co_responder",
    ]
    # Their steps stay theirs: the timeline leaves them out.
    assert [(e["kind"], e["organisation"]) for e in data["timeline"]] == [("opened", None), ("assigned", "cso")]


def test_an_organisation_may_choose_not_to_be_shown_to_co_responders(cast, alerts):
    from ewers.models import Organisation

    Organisation.objects.filter(pk=cast.police.pk).update(shown_to_co_responders=False)
    data = get(cast.cso_user, reverse("api-alert-detail", args=[alerts["t"].pk]))
    assert [a["organisation"] for a in data["assignments"]] == ["cso"]
    assert "police" not in str(data)
    # Coordinators always see every assignment.
    everyone = get(cast.coordinator, reverse("api-alert-detail", args=[alerts["t"].pk]))
    assert sorted(a["organisation"] for a in everyone["assignments"]) == ["cso", "police"]


def test_an_alert_outside_the_share_is_a_404(cast, alerts):
    for user, alert in [
        (cast.cso_user, alerts["u"]),
        (cast.coordinator, alerts["u"]),
        (cast.analyst, alerts["t"]),
        (cast.admin, alerts["t"]),
    ]:
        assert as_user(user).get(reverse("api-alert-detail", args=[alert.pk])).status_code == 404
    assert as_user(cast.coordinator).get(reverse("api-alert-detail", args=["x"])).status_code == 404


def test_alerts_are_read_only(cast, alerts):
    client = as_user(cast.coordinator)
    assert client.post(reverse("api-alert-list"), {}, format="json").status_code == 405
    assert client.delete(reverse("api-alert-detail", args=[alerts["t"].pk])).status_code == 405
    assert Alert.objects.count() == 2


def test_listing_alerts_costs_the_same_queries_for_one_or_many(cast, alerts):
    client = as_user(cast.police_user)
    with CaptureQueriesContext(connection) as two:
        assert len(client.get(reverse("api-alert-list")).json()["results"]) == 2
    for community in (cast.places["c2"], cast.other_places["c2"]):
        alert = Alert.objects.create(community=community, level="moderate")
        factories.make_assignment(alert=alert, organisation=cast.police, due_at=timezone.now())
        AlertEvent.objects.create(alert=alert, kind="assigned", organisation=cast.police)
    with CaptureQueriesContext(connection) as four:
        assert len(client.get(reverse("api-alert-list")).json()["results"]) == 4
    assert len(four.captured_queries) == len(two.captured_queries)
