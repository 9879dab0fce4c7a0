"""The alerts app's pages (alerts/views.py): the alert list and one alert with its actions,
the assignments list, notifications, and what the role homes show of them, for every
role inside and outside its share."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from alerts.choices import AlertEventKind, AlertState, AssignmentState, IncidentOutcome, NotificationKind
from alerts.models import Alert, AlertEvent, Assignment, Notification
from ewers.choices import RegionLevel, RiskLevel, Role
from ewers.services import region_upsert
from indicators.choices import Category
from indicators.services import report_score
from tests import factories
from tests.queries import count_queries

pytestmark = pytest.mark.django_db

LIST = reverse("alerts:list")


def detail(alert: Alert) -> str:
    return reverse("alerts:detail", args=[alert.pk])


@pytest.fixture
def alerts(cast):
    """An open alert in the cast's country, assigned to the CSO and the police; a closed
    one beside it; and one in the other country, assigned to the police."""
    report = factories.make_report(cast.analyst, cast.places["c1"], cast.indicator)
    inside = Alert.objects.create(
        community=cast.places["c1"],
        level=RiskLevel.HIGH,
        explanation=[
            {"indicator": "P01", "indicator_name": "Hate speech in local forums", "report": report.pk, "amount": 1.75}
        ],
    )
    AlertEvent.objects.create(alert=inside, kind=AlertEventKind.OPENED, level=RiskLevel.HIGH, note="Score 61.0")
    AlertEvent.objects.create(
        alert=inside, kind=AlertEventKind.ESCALATED, level=RiskLevel.CRITICAL, note="A trigger reading"
    )
    factories.make_assignment(alert=inside, organisation=cast.cso, due_at=timezone.now() - timedelta(hours=1))
    factories.make_assignment(alert=inside, organisation=cast.police, due_at=timezone.now() + timedelta(hours=5))
    closed = Alert.objects.create(
        community=cast.places["c2"],
        level=RiskLevel.CRITICAL,
        state=AlertState.RESOLVED,
        outcome=IncidentOutcome.NO,
        closed_at=timezone.now(),
        opened_at=timezone.now() + timedelta(minutes=1),  # newer, yet listed after the open one
    )
    outside = Alert.objects.create(community=cast.other_places["c1"], level=RiskLevel.CRITICAL)
    factories.make_assignment(alert=outside, organisation=cast.police, due_at=timezone.now() + timedelta(hours=1))
    return {"inside": inside, "closed": closed, "outside": outside, "report": report}


def listed(response) -> list[int]:
    return [alert.pk for alert in response.context["page"].object_list]


def test_a_coordinator_sees_the_alerts_of_covered_communities_only_open_first(cast, alerts, client):
    client.force_login(cast.coordinator)
    response = client.get(LIST)
    assert response.status_code == 200
    assert listed(response) == [alerts["inside"].pk, alerts["closed"].pk]
    assert client.get(detail(alerts["inside"])).status_code == 200
    assert client.get(detail(alerts["closed"])).status_code == 200
    assert client.get(detail(alerts["outside"])).status_code == 404


def test_the_alert_list_filters(cast, alerts, client):
    client.force_login(cast.coordinator)
    assert listed(client.get(LIST, {"state": "open"})) == [alerts["inside"].pk]
    assert listed(client.get(LIST, {"level": "critical"})) == [alerts["closed"].pk]
    assert listed(client.get(LIST, {"community": cast.places["c2"].code})) == [alerts["closed"].pk]
    assert listed(client.get(LIST, {"verified": "true"})) == []
    assert client.get(LIST, {"state": "nonsense"}).status_code == 200


@pytest.mark.parametrize("who", ["analyst", "other_analyst", "admin"])
def test_analysts_and_administrators_see_no_alert(cast, alerts, client, who):
    client.force_login(getattr(cast, who))
    response = client.get(LIST)
    assert response.status_code == 200
    assert listed(response) == []
    for alert in alerts.values():
        if isinstance(alert, Alert):
            assert client.get(detail(alert)).status_code == 404


def test_a_responder_sees_the_alerts_assigned_to_their_organisation(cast, alerts, client):
    client.force_login(cast.cso_user)
    assert listed(client.get(LIST)) == [alerts["inside"].pk]
    response = client.get(detail(alerts["inside"]))
    page = response.content.decode()
    assert response.status_code == 200
    # Its own organisation's share in full; the police, also on the alert, by name, state
    # and deadline only (under "Also working on this alert").
    assert [row.assignment.organisation for row in response.context["assignment_rows"]] == [cast.cso]
    assert [a.organisation for a in response.context["co_responders"]] == [cast.police]
    assert "Also working on this alert" in page and "Organisation police" in page
    assert 'class="badge badge-overdue"' in page
    assert client.get(detail(alerts["outside"])).status_code == 404

    client.force_login(cast.police_user)
    assert set(listed(client.get(LIST))) == {alerts["inside"].pk, alerts["outside"].pk}
    assert client.get(detail(alerts["closed"])).status_code == 404


def test_the_alert_page_shows_level_state_explanation_timeline_and_assignments(cast, alerts, client):
    client.force_login(cast.coordinator)
    page = client.get(detail(alerts["inside"])).content.decode()
    assert f"Alert #{alerts['inside'].pk}" in page
    assert "High" in page and "Open" in page and "Not yet verified" in page
    assert "Hate speech in local forums" in page and "+1.75" in page
    assert f'href="{reverse("reports:detail", args=[alerts["report"].pk])}"' in page
    assert "Escalated" in page and "A trigger reading" in page and "Score 61.0" in page
    assert "Organisation cso" in page and "Organisation police" in page
    closed = client.get(detail(alerts["closed"])).content.decode()
    assert "Resolved" in closed and "No incident followed" in closed


def test_the_alert_pages_ask_for_login(alerts, client):
    for url in (LIST, detail(alerts["inside"])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_the_coordinators_home_links_to_the_alerts(cast, alerts, client):
    client.force_login(cast.coordinator)
    page = client.get(reverse("home")).content.decode()
    assert f'href="{LIST}?state=open"' in page


def test_the_responders_home_links_each_assignment_to_its_alert(cast, alerts, client):
    client.force_login(cast.cso_user)
    page = client.get(reverse("home")).content.decode()
    assert f'href="{detail(alerts["inside"])}"' in page


# --- The response: an alert's actions, the assignments, the notifications, the homes ---


SECRET = "SECRET-SOURCE-7731 uncle of the imam"
NARRATIVE = "Youths gathered behind the surau after the sermon, some carrying machetes."


def act(assignment: Assignment, action: str) -> str:
    return reverse(f"assignments:{action}", args=[assignment.pk])


def manage(alert: Alert, action: str) -> str:
    return reverse(f"alerts:{action}", args=[alert.pk])


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def raised(cast):
    """A trigger report (with a protected source) in c1 raises a critical alert through the
    real pipeline; routing gives it to the CSO (its mandate and coverage fit), not the police."""
    trigger = factories.make_indicator("TRG", theme=cast.indicator.theme, category=Category.TRIGGER)
    report = factories.make_report(
        cast.analyst, cast.places["c1"], trigger, value=4, source_reference=SECRET, narrative=NARRATIVE
    )
    report_score(report_id=report.pk)
    alert = Alert.objects.get(community=cast.places["c1"], state=AlertState.OPEN)
    assignment = Assignment.objects.get(alert=alert)
    assert assignment.organisation == cast.cso and assignment.state == AssignmentState.PENDING
    return {"alert": alert, "assignment": assignment, "report": report}


@pytest.fixture
def outside(cast):
    """An open alert in the other country, assigned to the police (who cover both)."""
    alert = Alert.objects.create(community=cast.other_places["c1"], level=RiskLevel.HIGH)
    assignment = factories.make_assignment(
        alert=alert, organisation=cast.police, level=RiskLevel.HIGH, due_at=timezone.now() + timedelta(hours=3)
    )
    return {"alert": alert, "assignment": assignment}


# --- The alert page --------------------------------------------------------------------


def test_it_shows_the_responder_the_narratives_and_its_actions_but_never_the_source(cast, raised, client):
    client.force_login(cast.cso_user)
    response = client.get(detail(raised["alert"]))
    page = response.content.decode()
    assert response.status_code == 200
    assert NARRATIVE in page
    assert SECRET not in page and "SECRET-SOURCE" not in page
    assert "Not yet verified" in page and "Critical" in page
    assert f'action="{act(raised["assignment"], "acknowledge")}"' in page
    assert f'action="{act(raised["assignment"], "decline")}"' in page
    # Not yet startable, and no coordinator's tools.
    assert act(raised["assignment"], "start") not in page
    assert manage(raised["alert"], "resolve") not in page and manage(raised["alert"], "verify") not in page
    assert 'name="csrfmiddlewaretoken"' in page


def test_it_shows_the_coordinator_the_coordinating_actions_and_no_responder_buttons(cast, raised, client):
    client.force_login(cast.coordinator)
    page = client.get(detail(raised["alert"])).content.decode()
    for action in ("verify", "resolve", "dismiss", "assign"):
        assert f'action="{manage(raised["alert"], action)}"' in page
    assert f'action="{act(raised["assignment"], "move")}"' in page
    assert act(raised["assignment"], "acknowledge") not in page
    assert NARRATIVE in page
    assert SECRET not in page  # read (and logged) on the report's own page only
    # The move form lists every active organisation: the police may be chosen (they cover
    # the country and have a responder; outside their mandate, with a note); the others
    # are shown disabled with the reason.
    move = client.get(detail(raised["alert"])).context["assignment_rows"][0].move_form
    options = [label for value, label in move.fields["organisation"].choices if value]
    assert options[0] == "Organisation police — outside its mandate: add a note"
    assert "Organisation desk — it has no active responders" in options
    assert "Organisation other-lab — outside its coverage" in options
    assert "disabled" in str(move["organisation"])


@pytest.mark.parametrize("who", ["analyst", "other_analyst", "admin", "police_user"])
def test_the_alert_page_is_404_outside_the_share(cast, raised, client, who):
    client.force_login(getattr(cast, who))
    assert client.get(detail(raised["alert"])).status_code == 404
    assert client.post(manage(raised["alert"], "verify")).status_code == 404
    assert client.post(act(raised["assignment"], "acknowledge")).status_code == 404


def test_the_coordinator_gets_404_for_an_alert_outside_its_coverage(cast, outside, client):
    client.force_login(cast.coordinator)
    assert client.get(detail(outside["alert"])).status_code == 404
    assert client.post(manage(outside["alert"], "resolve"), {"note": "x", "outcome": "no"}).status_code == 404
    assert client.post(act(outside["assignment"], "move"), {"organisation": cast.cso.pk}).status_code == 404
    assert Alert.objects.get(pk=outside["alert"].pk).state == AlertState.OPEN


def test_a_responder_may_not_coordinate_403(cast, raised, client):
    client.force_login(cast.cso_user)
    alert = raised["alert"]
    assert client.post(manage(alert, "verify")).status_code == 403
    assert client.post(manage(alert, "resolve"), {"note": "done", "outcome": "no"}).status_code == 403
    assert client.post(manage(alert, "dismiss"), {"note": "false"}).status_code == 403
    assert client.post(manage(alert, "assign"), {"organisation": cast.police.pk}).status_code == 403
    assert client.post(act(raised["assignment"], "move"), {"organisation": cast.police.pk}).status_code == 403
    alert.refresh_from_db()
    assert (alert.state, alert.verified) == (AlertState.OPEN, False)
    assert Assignment.objects.filter(alert=alert).count() == 1


def test_a_coordinator_may_not_act_for_an_organisation_403(cast, raised, client):
    client.force_login(cast.coordinator)
    for action in ("acknowledge", "start", "decline", "complete"):
        assert client.post(act(raised["assignment"], action), {"outcome": "x", "reason": "y"}).status_code == 403
    assert Assignment.objects.get(pk=raised["assignment"].pk).state == AssignmentState.PENDING


def test_the_actions_take_post_only_and_ask_for_login(cast, raised, client):
    assert client.post(act(raised["assignment"], "acknowledge")).status_code == 302  # to the login page
    assert Assignment.objects.get(pk=raised["assignment"].pk).state == AssignmentState.PENDING
    client.force_login(cast.cso_user)
    assert client.get(act(raised["assignment"], "acknowledge")).status_code == 405
    assert client.get(manage(raised["alert"], "verify")).status_code == 405


def test_the_responder_works_the_assignment_through_to_completion(cast, raised, client):
    client.force_login(cast.cso_user)
    assignment = raised["assignment"]
    response = client.post(act(assignment, "acknowledge"), follow=True)
    assert response.redirect_chain == [(detail(raised["alert"]), 302)]
    assert messages_of(response) == ["Assignment acknowledged."]
    assert f'action="{act(assignment, "start")}"' in response.content.decode()

    # A second acknowledgement (another tab, a double click) is a conflict, said plainly.
    response = client.post(act(assignment, "acknowledge"), follow=True)
    assert response.status_code == 200
    assert messages_of(response) == ["This assignment is acknowledged: it cannot be acknowledged now."]
    assert 'class="message message-error"' in response.content.decode()

    client.post(act(assignment, "start"))
    assert Assignment.objects.get(pk=assignment.pk).state == AssignmentState.IN_PROGRESS

    response = client.post(act(assignment, "complete"), {"outcome": "   "})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert Assignment.objects.get(pk=assignment.pk).state == AssignmentState.IN_PROGRESS

    response = client.post(
        act(assignment, "complete"), {"outcome": "Met the imam and the youth leaders; a dialogue is set."}, follow=True
    )
    assert messages_of(response) == ["Assignment completed. Thank you."]
    done = Assignment.objects.get(pk=assignment.pk)
    assert done.state == AssignmentState.COMPLETED and done.outcome.startswith("Met the imam")
    page = response.content.decode()
    for kind in ("Acknowledged", "Work started", "Completed"):
        assert kind in page
    assert "by cso" in page  # the timeline names who acted
    assert "a dialogue is set" in page
    assert act(assignment, "complete") not in page  # nothing left to do


def test_the_responder_declines_with_a_reason_and_the_coordinator_moves_it(cast, raised, client):
    client.force_login(cast.cso_user)
    assignment = raised["assignment"]
    response = client.post(act(assignment, "decline"), {"reason": ""})
    assert response.status_code == 400
    assert response.context["form_error_key"] == f"decline-{assignment.pk}"
    assert Assignment.objects.get(pk=assignment.pk).state == AssignmentState.PENDING
    client.post(act(assignment, "decline"), {"reason": "Our team is away this week."})
    assert Assignment.objects.get(pk=assignment.pk).state == AssignmentState.DECLINED

    client.force_login(cast.coordinator)
    home = client.get(reverse("home"))
    assert [a.pk for a in home.context["summary"].declined] == [assignment.pk]
    assert "Our team is away this week." in home.content.decode()
    # Moving to an organisation that cannot take it is a form error, not a 500.
    response = client.post(act(assignment, "move"), {"organisation": cast.lab.pk})
    assert response.status_code == 400
    assert "This organisation cannot take the alert." in response.content.decode()
    # Outside its mandate, the police need a note.
    response = client.post(act(assignment, "move"), {"organisation": cast.police.pk})
    assert response.status_code == 400
    assert "say why it should take it anyway" in response.content.decode()
    response = client.post(
        act(assignment, "move"), {"organisation": cast.police.pk, "note": "A weapon was seen."}, follow=True
    )
    assert messages_of(response) == ["The assignment is moved."]
    old = Assignment.objects.get(pk=assignment.pk)
    assert old.replaced_by is not None and old.replaced_by.organisation == cast.police
    assert old.replaced_by.state == AssignmentState.PENDING
    assert client.get(reverse("home")).context["summary"].declined == []


def test_the_coordinator_verifies_once(cast, raised, client):
    client.force_login(cast.coordinator)
    response = client.post(manage(raised["alert"], "verify"), follow=True)
    assert messages_of(response) == [f"Alert #{raised['alert'].pk} is verified."]
    assert "verification-verified" in response.content.decode()
    assert manage(raised["alert"], "verify") not in response.content.decode()  # the button is gone
    response = client.post(manage(raised["alert"], "verify"), follow=True)
    assert messages_of(response) == ["This alert is already verified."]


def test_the_coordinator_resolves_with_an_outcome(cast, raised, client):
    client.force_login(cast.coordinator)
    alert = raised["alert"]
    response = client.post(manage(alert, "resolve"), {"note": "Calm again."})
    assert response.status_code == 400
    assert response.context["form_error_key"] == "resolve"
    assert response.context["resolve_form"].errors["outcome"]
    assert Alert.objects.get(pk=alert.pk).state == AlertState.OPEN
    response = client.post(manage(alert, "resolve"), {"note": "x", "outcome": "maybe"})
    assert response.status_code == 400

    response = client.post(
        manage(alert, "resolve"), {"note": "Calm again after mediation.", "outcome": "no"}, follow=True
    )
    assert messages_of(response) == [f"Alert #{alert.pk} is resolved; every organisation that held it is told."]
    alert.refresh_from_db()
    assert (alert.state, alert.outcome, alert.close_note) == (AlertState.RESOLVED, "no", "Calm again after mediation.")
    page = response.content.decode()
    assert "No incident followed" in page and "Calm again after mediation." in page
    assert manage(alert, "resolve") not in page  # a closed alert offers nothing more
    # A late second submission (another tab) is a conflict message, not a change.
    response = client.post(manage(alert, "dismiss"), {"note": "false alarm"}, follow=True)
    [message] = messages_of(response)
    assert message.startswith("This alert was resolved on ") and message.endswith(
        "by coord: it can no longer be changed."
    )
    assert Alert.objects.get(pk=alert.pk).state == AlertState.RESOLVED


def test_the_coordinator_dismisses_and_live_assignments_end_as_closed(cast, raised, client):
    client.force_login(cast.coordinator)
    response = client.post(manage(raised["alert"], "dismiss"), {"note": ""})
    assert response.status_code == 400
    client.post(manage(raised["alert"], "dismiss"), {"note": "A wedding, not a mob."})
    assert Alert.objects.get(pk=raised["alert"].pk).state == AlertState.DISMISSED
    assert Assignment.objects.get(pk=raised["assignment"].pk).state == AssignmentState.CLOSED


def test_the_coordinator_adds_an_organisation(cast, raised, client):
    client.force_login(cast.coordinator)
    assert client.post(manage(raised["alert"], "assign"), {"organisation": "nonsense"}).status_code == 400
    response = client.post(
        manage(raised["alert"], "assign"), {"organisation": cast.police.pk, "note": "A weapon was seen."}, follow=True
    )
    assert messages_of(response) == [f"The organisation is assigned to alert #{raised['alert'].pk}."]
    police = Assignment.objects.get(alert=raised["alert"], organisation=cast.police)
    assert police.state == AssignmentState.PENDING
    # The police now see it; its notification names no narrative and no source.
    client.force_login(cast.police_user)
    page = client.get(detail(raised["alert"])).content.decode()
    assert NARRATIVE in page and SECRET not in page
    notification = Notification.objects.get(user=cast.police_user)
    assert SECRET not in notification.body and NARRATIVE not in notification.body


def test_the_alert_page_makes_the_same_number_of_queries_for_more_assignments(cast, raised, client):
    client.force_login(cast.coordinator)
    with CaptureQueriesContext(connection) as few:
        assert client.get(detail(raised["alert"])).status_code == 200
    for n in range(3):
        organisation = factories.make_organisation(code=f"extra-{n}", coverage=[cast.places["country"]])
        factories.make_user(f"responder{n}", organisation, Role.RESPONDER)
        factories.make_assignment(
            alert=raised["alert"], organisation=organisation, level=RiskLevel.CRITICAL, due_at=timezone.now()
        )
    with CaptureQueriesContext(connection) as many:
        response = client.get(detail(raised["alert"]))
    assert len(response.context["assignment_rows"]) == 4
    assert len(many) == len(few)


# --- Assignments list --------------------------------------------------------------------


def make_community(cast, n: int):
    community, _ = region_upsert(
        code=f"T-1-1-{n + 10}", name=f"T hamlet {n}", level=RegionLevel.COMMUNITY, parent=cast.places["district"]
    )
    return community


def make_open_alerts(cast, start: int, count: int) -> None:
    """Open alerts in new communities of the cast's district: each with a CSO assignment
    overdue and a police one declined."""
    levels = [RiskLevel.MODERATE, RiskLevel.HIGH, RiskLevel.CRITICAL]
    for n in range(start, start + count):
        level = levels[n % 3]
        alert = Alert.objects.create(
            community=make_community(cast, n),
            level=level,
            verified=n % 2 == 0,
            verified_at=timezone.now() if n % 2 == 0 else None,
        )
        AlertEvent.objects.create(alert=alert, kind=AlertEventKind.OPENED, level=level)
        factories.make_assignment(
            alert=alert, organisation=cast.cso, level=level, due_at=timezone.now() - timedelta(minutes=40 + n)
        )
        factories.make_assignment(
            alert=alert,
            organisation=cast.police,
            level=level,
            due_at=timezone.now() + timedelta(hours=2),
            state=AssignmentState.DECLINED,
            reason=f"No team near hamlet {n}.",
            finished_at=timezone.now(),
        )


def test_each_sees_exactly_its_share_of_assignments(cast, raised, outside, client):
    url = reverse("assignments:list")
    client.force_login(cast.cso_user)
    assert listed(client.get(url)) == [raised["assignment"].pk]
    client.force_login(cast.police_user)
    assert listed(client.get(url)) == [outside["assignment"].pk]
    client.force_login(cast.coordinator)
    assert listed(client.get(url)) == [raised["assignment"].pk]
    for who in ("analyst", "admin"):
        client.force_login(getattr(cast, who))
        response = client.get(url)
        assert response.status_code == 200 and listed(response) == []


def test_the_assignments_list_is_most_urgent_first_with_time_left_and_filters(cast, client):
    make_open_alerts(cast, 0, 3)
    client.force_login(cast.cso_user)
    response = client.get(reverse("assignments:list"))
    rows = response.context["page"].object_list
    # All three overdue, the longest overdue first.
    assert [a.due_at for a in rows] == sorted(a.due_at for a in rows)
    page = response.content.decode()
    assert "overdue by 42 min" in page
    assert 'class="is-overdue"' in page and 'class="badge badge-overdue"' in page
    client.force_login(cast.coordinator)
    declined = listed(client.get(reverse("assignments:list"), {"state": "declined"}))
    assert len(declined) == 3
    assert all(Assignment.objects.get(pk=pk).organisation == cast.police for pk in declined)
    assert len(listed(client.get(reverse("assignments:list"), {"overdue": "true"}))) == 3
    assert len(listed(client.get(reverse("assignments:list"), {"level": "critical"}))) == 2
    assert client.get(reverse("assignments:list"), {"state": "nonsense", "page": "x"}).status_code == 200


def test_the_assignments_list_shows_time_left_before_the_deadline(cast, raised, client):
    Assignment.objects.filter(pk=raised["assignment"].pk).update(due_at=timezone.now() + timedelta(hours=2, minutes=5))
    client.force_login(cast.cso_user)
    page = client.get(reverse("assignments:list")).content.decode()
    assert "2 h 4 min left" in page or "2 h 5 min left" in page


def test_the_assignments_list_is_paginated(cast, client):
    make_open_alerts(cast, 0, 26)
    client.force_login(cast.cso_user)
    first = client.get(reverse("assignments:list"))
    assert len(listed(first)) == 25 and 'rel="next"' in first.content.decode()
    assert len(listed(client.get(reverse("assignments:list"), {"page": 2}))) == 1


@pytest.mark.parametrize("who", ["cso_user", "coordinator", "analyst"])
@pytest.mark.parametrize("url", ["home", "assignments:list", "notifications:list"])
def test_the_pages_make_the_same_number_of_queries_for_3_and_30_rows(cast, client, who, url):
    user = getattr(cast, who)
    client.force_login(user)
    make_open_alerts(cast, 0, 3)
    for n in range(3):
        Notification.objects.create(
            user=user, kind=NotificationKind.ASSIGNED, alert=Alert.objects.first(), subject=f"n{n}", body="b"
        )
        factories.make_report(cast.analyst, make_community(cast, n), cast.indicator)
    few = count_queries(client, reverse(url))
    make_open_alerts(cast, 3, 27)
    for n in range(27):
        Notification.objects.create(
            user=user, kind=NotificationKind.ASSIGNED, alert=Alert.objects.first(), subject=f"m{n}", body="b"
        )
        factories.make_report(cast.analyst, make_community(cast, n + 3), cast.indicator)
    assert count_queries(client, reverse(url)) == few


# --- Notifications -------------------------------------------------------------------------


def test_the_responder_reads_its_notifications_and_marks_them_read(cast, raised, outside, client):
    mine = Notification.objects.get(user=cast.cso_user)
    assert mine.kind == NotificationKind.ASSIGNED
    Notification.objects.create(
        user=cast.police_user, kind=NotificationKind.ASSIGNED, alert=outside["alert"], subject="Police only", body="b"
    )
    client.force_login(cast.cso_user)
    response = client.get(reverse("notifications:list"))
    page = response.content.decode()
    assert [n.pk for n in response.context["page"].object_list] == [mine.pk]
    assert "Police only" not in page
    assert "is-unread" in page and "Mark all read" in page
    assert 'class="nav-count">1<' in page  # the unread count in the navigation

    # Marking someone else's notification does nothing.
    other = Notification.objects.get(user=cast.police_user)
    client.post(reverse("notifications:read"), {"notification": other.pk})
    assert Notification.objects.get(pk=other.pk).read_at is None
    for bad in ("abc", str(2**64), "-1"):
        response = client.post(reverse("notifications:read"), {"notification": bad}, follow=True)
        assert messages_of(response) == ["That is not a notification."]
    assert Notification.objects.get(pk=mine.pk).read_at is None

    response = client.post(reverse("notifications:read"), follow=True)
    assert messages_of(response) == ["All your notifications are marked read."]
    assert Notification.objects.get(pk=mine.pk).read_at is not None
    page = response.content.decode()
    assert "is-unread" not in page and "nav-count" not in page
    assert list(client.get(reverse("notifications:list"), {"unread": "true"}).context["page"].object_list) == []
    assert client.get(reverse("notifications:read")).status_code == 405


# --- Homes ------------------------------------------------------------------------------------


def test_the_responder_home_lists_its_assignments_most_urgent_first(cast, raised, client):
    make_open_alerts(cast, 0, 2)
    client.force_login(cast.cso_user)
    response = client.get(reverse("home"))
    rows = response.context["summary"].assignments
    assert rows[-1].pk == raised["assignment"].pk  # not yet overdue: after the overdue ones
    page = response.content.decode()
    assert "overdue by" in page and " left" in page
    assert "T village one" in page and "Critical" in page
    assert detail(raised["alert"]) in page


def test_the_coordinator_home_lists_open_alerts_unverified_first_then_by_level(cast, client):
    make_open_alerts(cast, 0, 6)
    client.force_login(cast.coordinator)
    summary = client.get(reverse("home")).context["summary"]
    order = [(a.verified, a.level) for a in summary.alerts]
    rank = {RiskLevel.CRITICAL: 0, RiskLevel.HIGH: 1, RiskLevel.MODERATE: 2}
    assert order == sorted(order, key=lambda o: (o[0], rank[o[1]]))
    assert order[0] == (False, RiskLevel.CRITICAL)
    assert len(summary.declined) == 6 and len(summary.overdue) == 6
    assert summary.cards["assignments_declined"] == 6 and summary.cards["alerts_unverified"] == 3


def test_the_coordinator_home_caps_its_lists_and_links_to_the_full_list(cast, client):
    make_open_alerts(cast, 0, 22)
    client.force_login(cast.coordinator)
    response = client.get(reverse("home"))
    summary = response.context["summary"]
    assert len(summary.alerts) == 20 and summary.cards["alerts_open"] == 22
    page = response.content.decode()
    assert "The first 20 of 22." in page
    assert f"{reverse('assignments:list')}?state=declined" in page


def test_the_analyst_home_shows_the_risk_of_its_communities_highest_first(cast, raised, client):
    client.force_login(cast.analyst)
    response = client.get(reverse("home"))
    communities = response.context["summary"].communities
    assert communities[0] == cast.places["c1"] and communities[0].risk_level == RiskLevel.CRITICAL
    assert {c.code for c in communities} == {"T-1-1-1", "T-1-1-2"}  # its coverage only
    page = response.content.decode()
    assert "Risk in the communities you monitor" in page
    assert "U village" not in page
    assert f'href="{reverse("analytics:community", args=["T-1-1-1"])}"' in page
    assert f'href="{reverse("analytics:heatmap")}"' in page  # the risk map button
