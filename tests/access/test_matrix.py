"""The access matrix: every role × every page and API endpoint × objects inside and outside
the role's share (QUALITY.md, "Access matrix"; PRODUCT.md, "Who sees what").

The world is built through the services, so the alerts and assignments are the ones the
pipeline and routing really make. Each cell states the status a role must get; lists must
hold exactly the permitted rows; the protected source references must never appear in a
body served to someone not entitled to them. A URL added to the project without a row
here fails ``test_it_covers_every_url``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from django.test import Client

from alerts.choices import NoteAudience
from alerts.models import Alert, Assignment, Handoff, Notification
from alerts.services import alert_note_add, assignment_acknowledge, assignment_hand_off
from ewers.choices import HandlingLevel, Role
from ewers.models import Region, User
from ewers.services import gateway_token_issue
from indicators.models import FieldReport
from indicators.services import report_score
from intake.models import TriageItem
from intake.services import sender_number_register, sms_receive
from learning.models import Incident
from learning.services import incident_record
from tests import factories
from tests.conftest import Cast
from tests.securitykey import SoftKey
from training.models import TrainingAttempt, Vignette
from training.services import TrainingValue, training_attempt_submit, vignette_save

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "analyst", "other_analyst", "police", "cso", "coordinator", "admin")
SECRET_IN = "SRC-IN-7731"
SECRET_OUT = "SRC-OUT-5512"
# Who may read which source reference (FieldReport.source_reference_visible_to).
ENTITLED = {SECRET_IN: {"analyst", "coordinator"}, SECRET_OUT: {"other_analyst"}}


# Protected by need-to-know within the share (PRODUCT.md, "Trust between sectors"): who may
# read each marker in a body.
NARRATIVE_POLICE = "NARR-POLICE-ONLY-6621"  # report_in's narrative, handling level "police only"
REPORTER = "reporter-ident-4471"  # the username of report_in's author (the analyst)
NOTE_ORG = "NOTE-CSO-OWN-3318"  # a note of the CSO for its own organisation
NOTE_COORD = "NOTE-COORD-ONLY-9027"  # a note of the coordinator for the coordinators
NOTE_ALL = "NOTE-ALL-ON-ALERT-5140"  # a note of the CSO for every organisation on the alert
INCIDENT_IN = "INCIDENT-T-CLASH-2207"  # the T incident's description
KEY_COORD = "KEY-COORD-7781"  # the name of the coordinator's security key
KEY_POLICE = "KEY-POLICE-3392"  # the name of the police responder's security key
WITHHELD_ENTITLED = {
    NARRATIVE_POLICE: {"analyst", "coordinator"},
    # Administrators manage the accounts (the admin lists every username), never reports.
    REPORTER: {"analyst", "coordinator", "admin"},
    NOTE_ORG: {"cso"},
    NOTE_COORD: {"coordinator"},
    NOTE_ALL: {"cso", "coordinator"},
    # The coordinators covering T, and the CSO, which holds the alert it is linked to.
    INCIDENT_IN: {"cso", "coordinator"},
    # A security key is its owner's alone, administrators' included.
    KEY_COORD: {"coordinator"},
    KEY_POLICE: {"police"},
}
# Phone numbers are never shown in clear to anyone (issue 15): the digits after the country
# code of the analyst's registered number and of an unregistered sender's.
PHONE_REGISTERED, PHONE_STRANGER = "+60123456789", "+60198765432"
NOBODY: set[str] = set()
PHONES_CLEAR = {"123456789": NOBODY, "198765432": NOBODY}


@dataclass
class World:
    """The cast, plus one report → alert → assignment chain inside the T tree (routed to the
    CSO) and one in the U tree (routed to the police); each assignment acknowledged and a
    handover of it proposed (T: the CSO to the police; U: the police to a U-side CSO), and
    notes of each audience on the T alert."""

    cast: Cast
    users: dict[str, User]
    report_in: FieldReport
    report_out: FieldReport
    alert_in: Alert
    alert_out: Alert
    assignment_in: Assignment
    assignment_out: Assignment
    handoff_in: Handoff
    handoff_out: Handoff
    # Security keys are no share's: "in" is the coordinator's, "out" the police responder's.
    key_in: Authenticator
    key_out: Authenticator
    triage_in: TriageItem
    triage_out: TriageItem
    c_in: Region
    c_out: Region
    notifications: dict[str, int] = field(default_factory=dict)
    incident_in: Incident | None = None
    incident_out: Incident | None = None
    # Training (docs/learning.md): "in" the desk's vignette offered for practice and the lab
    # analyst's attempt at it; "out" a police vignette not offered and the U analyst's attempt.
    vignette_in: Vignette | None = None
    vignette_out: Vignette | None = None
    attempt_in: TrainingAttempt | None = None
    attempt_out: TrainingAttempt | None = None
    trainee_in: User | None = None
    trainee_out: User | None = None


@pytest.fixture
def world(cast: Cast) -> World:
    weapons = factories.make_theme("weapons")
    gun = factories.make_indicator("W01", theme=weapons)
    c_in, c_out = cast.places["c1"], cast.other_places["c1"]
    strong = {"value": 4, "source_reliability": "A", "information_credibility": 1}
    report_in = factories.make_report(cast.analyst, c_in, cast.indicator, source_reference=SECRET_IN, **strong)
    report_out = factories.make_report(cast.other_analyst, c_out, gun, source_reference=SECRET_OUT, **strong)
    reports = [report_in, report_out]
    for _ in range(4):
        reports.append(factories.make_report(cast.analyst, c_in, cast.indicator, **strong))
        reports.append(factories.make_report(cast.other_analyst, c_out, gun, **strong))
    # The suite's transaction never commits, so the queued scoring is run here.
    for report in reports:
        report_score(report_id=report.pk)
    alert_in = Alert.objects.get(community=c_in)
    alert_out = Alert.objects.get(community=c_out)
    # Need-to-know within the share: the T report is for the police's eyes (and its own
    # organisation's and the coordinators'), its author's name for the lab and coordinators.
    FieldReport.objects.filter(pk=report_in.pk).update(handling_level=HandlingLevel.POLICE, narrative=NARRATIVE_POLICE)
    User.objects.filter(pk=cast.analyst.pk).update(username=REPORTER)
    cast.analyst.refresh_from_db()
    # A U-side partner for the police's handover.
    peace_u = factories.make_organisation(code="peace-u", sector="cso", coverage=[cast.other_places["country"]])
    factories.make_user("peace", peace_u, Role.RESPONDER)
    assignment_in = Assignment.objects.get(alert=alert_in)
    assignment_out = Assignment.objects.get(alert=alert_out)
    assignment_acknowledge(assignment=assignment_in, user=cast.cso_user)
    assignment_acknowledge(assignment=assignment_out, user=cast.police_user)
    handoff_in = assignment_hand_off(
        assignment=assignment_in, user=cast.cso_user, organisation=cast.police, note="Weapons seen: yours."
    )
    handoff_out = assignment_hand_off(
        assignment=assignment_out, user=cast.police_user, organisation=peace_u, note="Community follow-up."
    )
    alert_note_add(alert=alert_in, user=cast.cso_user, text=NOTE_ORG, audience=NoteAudience.ORGANISATION)
    alert_note_add(alert=alert_in, user=cast.coordinator, text=NOTE_COORD, audience=NoteAudience.COORDINATORS)
    alert_note_add(alert=alert_in, user=cast.cso_user, text=NOTE_ALL, audience=NoteAudience.ASSIGNED)
    # SMS: the analyst's number registered; a message from an unregistered number naming a
    # community on each side, waiting in the triage queue.
    gateway, _key = gateway_token_issue(name="matrix-sms", user=cast.coordinator)
    sender_number_register(user=cast.analyst, number=PHONE_REGISTERED)
    triage = {
        side: sms_receive(
            gateway=gateway, sender=PHONE_STRANGER, text=f"{c.code} P01 2 C3 seen", message_id=f"matrix-{side}"
        ).triage
        for side, c in (("in", c_in), ("out", c_out))
    }
    triage_in, triage_out = (TriageItem.objects.get(pk=int(str(triage[side])[1:])) for side in ("in", "out"))
    users = {
        "analyst": cast.analyst,
        "other_analyst": cast.other_analyst,
        "police": cast.police_user,
        "cso": cast.cso_user,
        "coordinator": cast.coordinator,
        "admin": cast.admin,
    }
    world = World(
        cast=cast,
        users=users,
        report_in=report_in,
        report_out=report_out,
        alert_in=alert_in,
        alert_out=alert_out,
        assignment_in=Assignment.objects.get(pk=assignment_in.pk),
        assignment_out=Assignment.objects.get(pk=assignment_out.pk),
        handoff_in=handoff_in,
        handoff_out=handoff_out,
        key_in=security_key_add(cast.coordinator, KEY_COORD),
        key_out=security_key_add(cast.police_user, KEY_POLICE),
        triage_in=triage_in,
        triage_out=triage_out,
        c_in=c_in,
        c_out=c_out,
    )
    # An incident in each tree: the coordinator's in T (warned by the T alert), the police's
    # in U (warned by the U alert).
    world.incident_in = incident_record(
        user=cast.coordinator,
        community=c_in,
        occurred_at=alert_in.opened_at,
        kind="clash",
        severity="high",
        description=INCIDENT_IN,
        alert_ids=[alert_in.pk],
    )
    world.incident_out = incident_record(
        user=cast.police_user,
        community=c_out,
        occurred_at=alert_out.opened_at,
        kind="attack",
        severity="critical",
        description="Shots fired at the U market.",
        alert_ids=[alert_out.pk],
    )
    training_world_add(world)
    world.notifications = {
        name: Notification.objects.filter(user=user).values_list("pk", flat=True).first() or 0
        for name, user in users.items()
    }
    return world


def training_world_add(world: World) -> None:
    cast = world.cast
    world.vignette_in = vignette_save(
        user=cast.coordinator,
        title="Matrix vignette",
        situation="Posters.",
        readings=[TrainingValue(cast.indicator, 3)],
    )
    world.vignette_out = Vignette.objects.create(
        title="Police vignette",
        situation="Rifles.",
        organisation=cast.police,
        created_by=cast.police_user,
        is_active=False,
    )
    world.attempt_in, world.attempt_out = (
        training_attempt_submit(
            user=user,
            vignette=world.vignette_in,
            readings=[TrainingValue(cast.indicator, 2)],
            source_reliability="B",
            information_credibility=2,
        )
        for user in (cast.analyst, cast.other_analyst)
    )
    world.trainee_in, world.trainee_out = cast.analyst, cast.other_analyst


def security_key_add(user: User, name: str) -> Authenticator:
    """A security key of ``user``'s (a key in software, added as the add-a-key page would)."""
    from allauth.mfa.webauthn.internal.auth import WebAuthn

    options = {"publicKey": {"challenge": "bWF0cml4", "rp": {"id": "testserver"}}}
    credential = json.loads(SoftKey().register(options, origin="http://testserver"))
    return WebAuthn.add(user, name, credential).instance


def client_for(world: World, role: str) -> Client:
    client = Client()
    if role != "anonymous":
        client.force_login(world.users[role])
    return client


def test_it_routes_the_world_as_the_matrix_expects(world):
    """The matrix below relies on this routing: the tension alert goes to the CSO alone,
    the weapons alert to the police alone (mandate and coverage decide)."""
    assert world.assignment_in.organisation == world.cast.cso
    assert world.assignment_out.organisation == world.cast.police
    assert Assignment.objects.count() == 2
    assert {world.handoff_in.state, world.handoff_out.state} == {"proposed"}
    assert world.users["coordinator"].role == Role.COORDINATOR


# --- The matrix -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One URL and method; ``target`` names the object its URL addresses (its ``in`` copy lies
    in the T tree, its ``out`` copy in the U tree). ``expect`` maps in/out to each role's status."""

    name: str
    expect: dict[str, str]
    method: str = "get"
    target: str | None = None
    body: dict[str, Any] | str | Callable[[World, str], dict[str, Any] | str] | None = None
    api: bool = False
    query: str = ""


def statuses(spec: str) -> dict[str, int]:
    """``"302 200 …"``: one status per role, in the order of ROLES."""
    codes = [int(code) for code in spec.split()]
    assert len(codes) == len(ROLES), f"every role needs a status: {spec}"
    return dict(zip(ROLES, codes, strict=True))


def url_of(case: Case, world: World, side: str) -> str:
    from django.urls import reverse

    kwargs: dict[str, Any] = {}
    if case.target == "community":
        community = world.c_in if side == "in" else world.c_out
        kwargs = {"ref": community.code}
    elif case.target == "district":
        tree = world.cast.places if side == "in" else world.cast.other_places
        kwargs = {"ref": tree["district"].code}
    elif case.target == "indicator":
        kwargs = {"ref": world.cast.indicator.code}  # the catalogue is shared: no outside
    elif case.target == "reset_key":
        kwargs = {"uidb36": "zz", "key": "not-a-real-key"}  # a link that opens nothing
    elif case.target is not None:
        obj = getattr(world, f"{case.target}_{side}")
        kwargs = {"pk": obj.pk}
    return reverse(case.name, kwargs=kwargs) + case.query


def body_of(case: Case, world: World, side: str) -> dict[str, Any] | str | None:
    if callable(case.body):
        return case.body(world, side)
    return case.body


def request(world: World, role: str, case: Case, side: str) -> tuple[int, bytes]:
    """Make the request inside a savepoint rolled back afterwards: every cell starts from the
    same world, whatever the action before it changed."""
    from django.db import transaction

    client = client_for(world, role)
    url = url_of(case, world, side)
    body = body_of(case, world, side)
    with transaction.atomic():
        if case.method == "get":
            response = client.get(url)
        elif isinstance(body, str):
            response = client.post(url, body, content_type="text/csv")
        elif case.api:
            response = client.post(url, body or {}, content_type="application/json")
        else:
            response = client.post(url, body or {})
        content = response.content if not response.streaming else b"".join(response.streaming_content)
        transaction.set_rollback(True)
    return response.status_code, content


def leaks(role: str, content: bytes) -> list[str]:
    """Source references, withheld narratives, reporters' names and notes served to a role
    not entitled to them."""
    protected = ENTITLED | WITHHELD_ENTITLED | PHONES_CLEAR
    return [secret for secret, entitled in protected.items() if secret.encode() in content and role not in entitled]


def _org(code: str) -> Callable[[World, str], dict[str, Any]]:
    def body(world: World, side: str) -> dict[str, Any]:
        from ewers.models import Organisation

        # The police's mandate (weapons) does not meet a tension alert: a note overrides it.
        return {"organisation": Organisation.objects.get(code=code).pk, "note": "Weapons were seen too."}

    return body


def _report_body(world: World, side: str) -> dict[str, Any]:
    community = world.c_in if side == "in" else world.c_out
    return {
        "community": community.code,
        "observed_at": "2026-01-01T10:00:00Z",
        "readings": [{"indicator": "P01", "value": 2}],
        "source_reliability": "B",
        "information_credibility": 2,
        "narrative": "Matrix probe.",
    }


def _page_report_body(world: World, side: str) -> dict[str, Any]:
    community = world.c_in if side == "in" else world.c_out
    return {
        "community": community.code,
        "observed_at": "2026-01-01T10:00",
        "source_reliability": "B",
        "information_credibility": "2",
        "narrative": "Matrix probe.",
        f"reading_{world.cast.indicator.code}": "2",
    }


def _csv_body(world: World, side: str) -> str:
    community = world.c_in if side == "in" else world.c_out
    header = "community,observed_at,source_reliability,information_credibility,P01"
    return f"{header}\n{community.code},2026-01-01T10:00:00Z,B,2,2\n"


def _incident_body(world: World, side: str) -> dict[str, Any]:
    community = world.c_in if side == "in" else world.c_out
    return {
        "community": community.code,
        "occurred_at": "2026-01-01T10:00:00Z",
        "kind": "clash",
        "severity": "moderate",
        "description": "Matrix probe.",
    }


def _page_incident_body(world: World, side: str) -> dict[str, Any]:
    community = world.c_in if side == "in" else world.c_out
    return {
        "community": community.pk,
        "occurred_at": "2026-01-01T10:00",
        "kind": "clash",
        "severity": "moderate",
        "description": "Matrix probe.",
    }


NOTE = {"note": "Reviewed by the desk."}
# Statuses in the order of ROLES:
#              anonymous analyst other_analyst police cso coordinator admin
# "in": objects in the T tree (the analyst's, the CSO's, the coordinator's share; police too);
# "out": objects in the U tree (the other analyst's and the police's share only).
CASES: list[Case] = [
    # Pages
    Case("home", {"in": "302 200 200 200 200 200 200"}),
    Case("login", {"in": "200 302 302 302 302 302 302"}),
    Case("reports:list", {"in": "302 200 200 200 200 200 200"}),
    Case("reports:new", {"in": "302 200 200 403 403 200 403"}),
    Case("reports:new", {"in": "302 302 400 403 403 302 403"}, method="post", body=_page_report_body, target=None),
    # The offline form's data: the user's own communities and the catalogue (docs/offline.md).
    Case("reports:offline-data", {"in": "302 200 200 403 403 200 403"}),
    Case("reports:import", {"in": "302 200 200 403 403 200 403"}),
    Case("reports:import-template", {"in": "302 200 200 403 403 200 403"}),
    Case(
        "reports:detail", {"in": "302 200 404 404 200 200 404", "out": "302 404 200 200 404 404 404"}, target="report"
    ),
    Case(
        "reports:status", {"in": "302 200 404 404 200 200 404", "out": "302 404 200 200 404 404 404"}, target="report"
    ),
    # Four eyes: the author (the analyst in T, the other analyst in U) may not verify.
    Case(
        "reports:verify",
        {"in": "302 403 404 404 403 302 404", "out": "302 404 403 403 404 404 404"},
        method="post",
        target="report",
    ),
    Case(
        "reports:dispute",
        {"in": "302 403 404 404 403 302 404", "out": "302 404 403 403 404 404 404"},
        method="post",
        target="report",
    ),
    Case("alerts:list", {"in": "302 200 200 200 200 200 200"}),
    Case("alerts:detail", {"in": "302 404 404 404 200 200 404", "out": "302 404 404 200 404 404 404"}, target="alert"),
    Case(
        "alerts:verify",
        {"in": "302 404 404 404 403 302 404", "out": "302 404 404 403 404 404 404"},
        method="post",
        target="alert",
    ),
    Case(
        "alerts:resolve",
        {"in": "302 404 404 404 403 302 404", "out": "302 404 404 403 404 404 404"},
        method="post",
        target="alert",
        body={**NOTE, "outcome": "no"},
    ),
    Case(
        "alerts:dismiss",
        {"in": "302 404 404 404 403 302 404", "out": "302 404 404 403 404 404 404"},
        method="post",
        target="alert",
        body=NOTE,
    ),
    Case(
        "alerts:assign",
        {"in": "302 404 404 404 403 302 404", "out": "302 404 404 403 404 404 404"},
        method="post",
        target="alert",
        body=_org("police"),
    ),
    Case("assignments:list", {"in": "302 200 200 200 200 200 200"}),
    Case(
        "assignments:acknowledge",
        {"in": "302 404 404 404 302 403 404", "out": "302 404 404 302 404 404 404"},
        method="post",
        target="assignment",
    ),
    Case(
        "assignments:start",
        {"in": "302 404 404 404 302 403 404", "out": "302 404 404 302 404 404 404"},
        method="post",
        target="assignment",
    ),
    Case(
        "assignments:complete",
        {"in": "302 404 404 404 302 403 404", "out": "302 404 404 302 404 404 404"},
        method="post",
        target="assignment",
        body={"outcome": "Done."},
    ),
    Case(
        "assignments:decline",
        {"in": "302 404 404 404 302 403 404", "out": "302 404 404 302 404 404 404"},
        method="post",
        target="assignment",
        body={"reason": "Not ours."},
    ),
    Case(
        "assignments:move",
        {"in": "302 404 404 404 403 302 404", "out": "302 404 404 403 404 404 404"},
        method="post",
        target="assignment",
        body=_org("police"),
    ),
    Case("notifications:list", {"in": "302 200 200 200 200 200 200"}),
    Case("notifications:read", {"in": "302 302 302 302 302 302 302"}, method="post"),
    # Told of the T alert by its handover proposal, the police get the page saying it is not
    # in their share (200); whoever was never told of an alert gets 404.
    Case(
        "notifications:alert",
        {"in": "302 404 404 200 302 302 404", "out": "302 404 404 302 404 404 404"},
        target="alert",
    ),
    Case(
        "alerts:note",
        {"in": "302 404 404 404 302 302 404", "out": "302 404 404 302 404 404 404"},
        method="post",
        target="alert",
        body={"text": "Matrix note.", "audience": "assigned"},
    ),
    # A second proposal while one waits: a message and back to the alert (302).
    Case(
        "assignments:handoff",
        {"in": "302 404 404 404 302 403 404", "out": "302 404 404 302 404 404 404"},
        method="post",
        target="assignment",
        body=lambda w, side: _org("police" if side == "in" else "peace-u")(w, side),
    ),
    Case(
        "handoffs:detail",
        {"in": "302 404 404 200 200 200 404", "out": "302 404 404 200 404 404 404"},
        target="handoff",
    ),
    Case(
        "handoffs:accept",
        {"in": "302 404 404 302 403 403 404", "out": "302 404 404 403 404 404 404"},
        method="post",
        target="handoff",
    ),
    Case(
        "handoffs:decline",
        {"in": "302 404 404 302 403 403 404", "out": "302 404 404 403 404 404 404"},
        method="post",
        target="handoff",
        body={"note": "Not ours."},
    ),
    Case("incidents:list", {"in": "302 200 200 200 200 200 200"}),
    Case("incidents:new", {"in": "302 403 403 200 200 200 403"}),
    Case("incidents:new", {"in": "302 403 403 302 302 302 403"}, method="post", body=_page_incident_body),
    Case(
        "incidents:detail",
        {"in": "302 404 404 404 200 200 404", "out": "302 404 404 200 404 404 404"},
        target="incident",
    ),
    Case("analytics:heatmap", {"in": "302 200 200 200 200 200 200"}),
    Case("analytics:heatmap", {"in": "302 200 200 200 200 200 200"}, query="?level=district"),
    Case("analytics:heatmap-csv", {"in": "302 200 200 200 200 200 200"}),
    Case("analytics:overview", {"in": "302 403 403 403 403 200 403"}),
    Case(
        "analytics:community",
        {"in": "302 200 404 200 200 200 200", "out": "302 404 200 200 404 404 200"},
        target="community",
    ),
    Case("healthz", {"in": "200 200 200 200 200 200 200"}),
    # The service worker and the manifest hold nothing of anyone: the same for all.
    Case("service-worker", {"in": "200 200 200 200 200 200 200"}),
    Case("web-manifest", {"in": "200 200 200 200 200 200 200"}),
    Case("api-docs", {"in": "401 200 200 200 200 200 200"}),
    Case("api-schema", {"in": "401 200 200 200 200 200 200"}),
    # API
    Case("api-me", {"in": "401 200 200 200 200 200 200"}),
    Case("api-region-list", {"in": "401 200 200 200 200 200 200"}),
    Case("api-region-detail", {"in": "401 200 404 200 200 200 200", "out": "401 404 200 200 404 404 200"}, target="c"),
    Case("api-community-list", {"in": "401 200 200 200 200 200 200"}),
    Case(
        "api-community-detail",
        {"in": "401 200 404 200 200 200 200", "out": "401 404 200 200 404 404 200"},
        target="community",
    ),
    Case(
        "api-community-assessment",
        {"in": "401 200 404 200 200 200 200", "out": "401 404 200 200 404 404 200"},
        target="community",
    ),
    Case(
        "api-community-history",
        {"in": "401 200 404 200 200 200 200", "out": "401 404 200 200 404 404 200"},
        target="community",
    ),
    Case("api-indicator-list", {"in": "401 200 200 200 200 200 200"}),
    Case("api-indicator-detail", {"in": "401 200 200 200 200 200 200"}, target="indicator"),
    Case("api-report-list", {"in": "401 200 200 200 200 200 200"}),
    Case("api-report-list", {"in": "401 201 400 403 403 201 403"}, method="post", api=True, body=_report_body),
    Case(
        "api-report-batch",
        {"in": "401 200 200 403 403 200 403"},
        method="post",
        api=True,
        body=lambda w, s: {"reports": [_report_body(w, s)]},
    ),
    Case("api-report-import-csv", {"in": "401 200 200 403 403 200 403"}, method="post", api=True, body=_csv_body),
    Case(
        "api-report-detail",
        {"in": "401 200 404 404 200 200 404", "out": "401 404 200 200 404 404 404"},
        target="report",
    ),
    Case(
        "api-report-verify",
        {"in": "401 403 404 404 403 200 404", "out": "401 404 403 403 404 404 404"},
        method="post",
        api=True,
        target="report",
    ),
    Case(
        "api-report-dispute",
        {"in": "401 403 404 404 403 200 404", "out": "401 404 403 403 404 404 404"},
        method="post",
        api=True,
        target="report",
    ),
    Case("api-alert-list", {"in": "401 200 200 200 200 200 200"}),
    Case(
        "api-alert-detail", {"in": "401 404 404 404 200 200 404", "out": "401 404 404 200 404 404 404"}, target="alert"
    ),
    Case(
        "api-alert-verify",
        {"in": "401 404 404 404 403 200 404", "out": "401 404 404 403 404 404 404"},
        method="post",
        api=True,
        target="alert",
    ),
    Case(
        "api-alert-resolve",
        {"in": "401 404 404 404 403 200 404", "out": "401 404 404 403 404 404 404"},
        method="post",
        api=True,
        target="alert",
        body={**NOTE, "outcome": "no"},
    ),
    Case(
        "api-alert-dismiss",
        {"in": "401 404 404 404 403 200 404", "out": "401 404 404 403 404 404 404"},
        method="post",
        api=True,
        target="alert",
        body=NOTE,
    ),
    Case(
        "api-alert-assign",
        {"in": "401 404 404 404 403 201 404", "out": "401 404 404 403 404 404 404"},
        method="post",
        api=True,
        target="alert",
        body={"organisation": "police", "note": "Weapons were seen too."},
    ),
    Case("api-assignment-list", {"in": "401 200 200 200 200 200 200"}),
    Case(
        "api-assignment-detail",
        {"in": "401 404 404 404 200 200 404", "out": "401 404 404 200 404 404 404"},
        target="assignment",
    ),
    # The world's assignments are acknowledged (their handovers are proposed): a second
    # acknowledgement is refused by the state (409), the start allowed.
    Case(
        "api-assignment-acknowledge",
        {"in": "401 404 404 404 409 403 404", "out": "401 404 404 409 404 404 404"},
        method="post",
        api=True,
        target="assignment",
    ),
    Case(
        "api-assignment-start",
        {"in": "401 404 404 404 200 403 404", "out": "401 404 404 200 404 404 404"},
        method="post",
        api=True,
        target="assignment",
    ),
    Case(
        "api-assignment-complete",
        {"in": "401 404 404 404 409 403 404", "out": "401 404 404 409 404 404 404"},
        method="post",
        api=True,
        target="assignment",
        body={"outcome": "Done."},
    ),
    Case(
        "api-assignment-decline",
        {"in": "401 404 404 404 200 403 404", "out": "401 404 404 200 404 404 404"},
        method="post",
        api=True,
        target="assignment",
        body={"reason": "Not ours."},
    ),
    Case(
        "api-assignment-move",
        {"in": "401 404 404 404 403 201 404", "out": "401 404 404 403 404 404 404"},
        method="post",
        api=True,
        target="assignment",
        body={"organisation": "police", "note": "Weapons were seen too."},
    ),
    Case(
        "api-alert-notes",
        {"in": "401 404 404 404 200 200 404", "out": "401 404 404 200 404 404 404"},
        target="alert",
    ),
    Case(
        "api-alert-notes",
        {"in": "401 404 404 404 201 201 404", "out": "401 404 404 201 404 404 404"},
        method="post",
        api=True,
        target="alert",
        body={"text": "Matrix note.", "audience": "assigned"},
    ),
    Case(
        "api-assignment-handoff",
        {"in": "401 404 404 404 409 403 404", "out": "401 404 404 409 404 404 404"},
        method="post",
        api=True,
        target="assignment",
        body={"organisation": "police", "note": "Yours."},
    ),
    Case("api-handoff-list", {"in": "401 200 200 200 200 200 200"}),
    Case(
        "api-handoff-detail",
        {"in": "401 404 404 200 200 200 404", "out": "401 404 404 200 404 404 404"},
        target="handoff",
    ),
    Case(
        "api-handoff-accept",
        {"in": "401 404 404 200 403 403 404", "out": "401 404 404 403 404 404 404"},
        method="post",
        api=True,
        target="handoff",
    ),
    Case(
        "api-handoff-decline",
        {"in": "401 404 404 200 403 403 404", "out": "401 404 404 403 404 404 404"},
        method="post",
        api=True,
        target="handoff",
        body={"note": "Not ours."},
    ),
    Case("api-notification-list", {"in": "401 200 200 200 200 200 200"}),
    Case("api-notification-mark-read", {"in": "401 200 200 200 200 200 200"}, method="post", api=True),
    Case("api-incident-list", {"in": "401 200 200 200 200 200 200"}),
    Case("api-incident-list", {"in": "401 403 403 201 201 201 403"}, method="post", api=True, body=_incident_body),
    Case(
        "api-incident-detail",
        {"in": "401 404 404 404 200 200 404", "out": "401 404 404 200 404 404 404"},
        target="incident",
    ),
    Case("api-alert-quality", {"in": "401 403 403 403 403 200 403"}),
    Case("api-surges", {"in": "401 200 200 200 200 200 200"}),
    Case("api-forecasts", {"in": "401 200 200 200 200 200 200"}, query="?level=district"),
    Case(
        "api-forecast",
        {"in": "401 200 404 200 404 200 200", "out": "401 404 200 200 404 404 200"},
        target="district",
    ),
    Case("api-heatmap", {"in": "401 200 200 200 200 200 200"}),
    Case("api-heatmap", {"in": "401 200 200 200 200 200 200"}, query="?level=district&weeks=12"),
    # Signing in and out, accounts and two-factor pages (issue 12)
    Case("account_login", {"in": "200 302 302 302 302 302 302"}),
    Case("logout", {"in": "302 200 200 200 200 200 200"}),
    Case("account_logout", {"in": "302 200 200 200 200 200 200"}),
    Case("account_inactive", {"in": "200 200 200 200 200 200 200"}),
    Case("account_reauthenticate", {"in": "302 200 200 200 200 200 200"}),
    Case("account_change_password", {"in": "302 200 200 200 200 200 200"}),
    Case("account_reset_password", {"in": "200 200 200 200 200 200 200"}),
    Case("account_reset_password_done", {"in": "200 200 200 200 200 200 200"}),
    Case("account_reset_password_from_key", {"in": "200 200 200 200 200 200 200"}, target="reset_key"),
    Case("account_reset_password_from_key_done", {"in": "200 200 200 200 200 200 200"}),
    Case("mfa_index", {"in": "302 200 200 200 200 200 200"}),
    Case("mfa_authenticate", {"in": "302 302 302 302 302 302 302"}),
    Case("mfa_reauthenticate", {"in": "302 302 302 302 302 200 200"}),
    Case("mfa_activate_totp", {"in": "302 302 302 302 302 302 302"}),
    # Users without an authenticator app have nothing to deactivate or view (404); those with
    # one are asked for their password again first (a fresh sign-in would be let through).
    Case("mfa_deactivate_totp", {"in": "302 404 404 404 404 302 302"}),
    Case("mfa_view_recovery_codes", {"in": "302 404 404 404 404 302 302"}),
    Case("mfa_generate_recovery_codes", {"in": "302 302 302 302 302 302 302"}),
    Case("mfa_download_recovery_codes", {"in": "302 404 404 404 404 302 302"}),
    # Security keys: each user lists their own; adding, renaming and removing one asks for
    # the password or a second factor again first (owner or not: a stranger's key is a 404
    # after that, tests/ewers/test_security_keys.py).
    Case("mfa_list_webauthn", {"in": "302 200 200 200 200 200 200"}),
    Case("mfa_add_webauthn", {"in": "302 302 302 302 302 302 302"}),
    Case("mfa_add_webauthn", {"in": "302 302 302 302 302 302 302"}, method="post", body={"name": "Probe"}),
    # Confirming with a key: for those who have one (the others are sent to another way).
    Case("mfa_reauthenticate_webauthn", {"in": "302 302 302 200 302 200 302"}),
    Case(
        "mfa_edit_webauthn", {"in": "302 302 302 302 302 302 302", "out": "302 302 302 302 302 302 302"}, target="key"
    ),
    Case(
        "mfa_edit_webauthn",
        {"in": "302 302 302 302 302 302 302", "out": "302 302 302 302 302 302 302"},
        method="post",
        target="key",
        body={"name": "Renamed"},
    ),
    Case(
        "mfa_remove_webauthn", {"in": "302 302 302 302 302 302 302", "out": "302 302 302 302 302 302 302"}, target="key"
    ),
    Case(
        "mfa_remove_webauthn",
        {"in": "302 302 302 302 302 302 302", "out": "302 302 302 302 302 302 302"},
        method="post",
        target="key",
    ),
    Case("api-logout", {"in": "401 401 401 401 401 401 401"}, method="post", api=True),
    # The triage queue of SMS from unregistered numbers: coordinators covering the community
    Case("triage:list", {"in": "302 403 403 403 403 200 403"}),
    Case("triage:list", {"in": "302 403 403 403 403 200 403"}, query="?state=all"),
    Case(
        "triage:detail",
        {"in": "302 404 404 404 404 200 404", "out": "302 404 404 404 404 404 404"},
        target="triage",
    ),
    Case(
        "triage:accept",
        {"in": "302 404 404 404 404 302 404", "out": "302 404 404 404 404 404 404"},
        method="post",
        target="triage",
        body={"source_reliability": "B", "information_credibility": "2"},
    ),
    Case(
        "triage:discard",
        {"in": "302 404 404 404 404 302 404", "out": "302 404 404 404 404 404 404"},
        method="post",
        target="triage",
    ),
    # The SMS gateway: a gateway's named token only (tests/intake/api/test_gateway.py), never a user
    Case(
        "api-gateway-sms",
        {"in": "401 403 403 403 403 403 403"},
        method="post",
        api=True,
        body={"from": "+60111222333", "text": "T-1-1-1 P01 2 B2", "id": "matrix-1"},
    ),
    # The admin's token and audit pages: administrators only (others go to the sign-in,
    # which refuses a signed-in user who is not staff: tests/ewers/test_security_two_factor.py)
    Case("admin:ewers_gatewaytoken_changelist", {"in": "302 302 302 302 302 302 200"}),
    Case("admin:ewers_gatewaytoken_add", {"in": "302 302 302 302 302 302 200"}),
    Case("admin:ewers_apitoken_changelist", {"in": "302 302 302 302 302 302 200"}),
    Case("admin:audit_auditevent_changelist", {"in": "302 302 302 302 302 302 200"}),
    Case("admin:intake_sendernumber_changelist", {"in": "302 302 302 302 302 302 200"}),
    Case("admin:intake_sendernumber_add", {"in": "302 302 302 302 302 302 200"}),
    # Monitors' expected check-ins (docs/learning.md, "Missed check-ins"): administrators only.
    Case("admin:learning_checkinexpectation_changelist", {"in": "302 302 302 302 302 302 200"}),
    Case("admin:learning_checkinexpectation_add", {"in": "302 302 302 302 302 302 200"}),
    Case("admin:audit_auditevent_verify", {"in": "302 302 302 302 302 302 200"}),
    Case("admin:retention_retentionrun_changelist", {"in": "302 302 302 302 302 302 200"}),
]

# Training and calibration (docs/learning.md): vignettes are a shared library for analysts,
# written and read with their expert readings by coordinators; an attempt and a calibration
# are the analyst's own and their organisation's coordinators'.
_VIGNETTE_BODY = {"title": "Matrix", "situation": "Probe.", "reading_P01": "2"}
_ATTEMPT_BODY = {"reading_P01": "2", "source_reliability": "B", "information_credibility": "2"}
CASES += [
    Case("training:list", {"in": "302 200 200 403 403 200 403"}),
    Case("training:calibration", {"in": "302 200 200 403 403 200 403"}),
    Case("training:vignette-new", {"in": "302 403 403 403 403 200 403"}),
    Case("training:vignette-new", {"in": "302 403 403 403 403 302 403"}, method="post", body=_VIGNETTE_BODY),
    Case(
        "training:vignette",
        {"in": "302 403 403 404 404 200 403", "out": "302 404 404 404 404 404 403"},
        target="vignette",
    ),
    Case(
        "training:vignette-edit",
        {"in": "302 403 403 404 404 200 403", "out": "302 404 404 404 404 404 403"},
        target="vignette",
    ),
    Case(
        "training:vignette-edit",
        {"in": "302 403 403 404 404 302 403", "out": "302 404 404 404 404 404 403"},
        method="post",
        target="vignette",
        body=_VIGNETTE_BODY,
    ),
    Case(
        "training:practise",
        {"in": "302 200 200 404 404 403 403", "out": "302 404 404 404 404 404 403"},
        target="vignette",
    ),
    Case(
        "training:practise",
        {"in": "302 302 302 404 404 403 403", "out": "302 404 404 404 404 404 403"},
        method="post",
        target="vignette",
        body=_ATTEMPT_BODY,
    ),
    Case(
        "training:attempt",
        {"in": "302 200 404 404 404 404 404", "out": "302 404 200 404 404 404 404"},
        target="attempt",
    ),
    Case(
        "training:calibration-analyst",
        {"in": "302 200 404 403 403 404 403", "out": "302 404 200 403 403 404 403"},
        target="trainee",
    ),
]


# URLs outside the matrix, and why.
UNSHARED = {
    "set_language": "Django's language switch; holds no object",
    "api-token": "trades a password for a token (tests/ewers/api/test_views.py); holds no object",
}


def case_id(case: Case) -> str:
    return f"{case.method} {case.name}{case.query}"


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_it_answers_each_role_as_the_matrix_says(world, case):
    wrong: list[str] = []
    for side, spec in case.expect.items():
        for role, expected in statuses(spec).items():
            status, content = request(world, role, case, side)
            if status != expected:
                wrong.append(f"{side} {role}: {status}, expected {expected}")
            wrong += [f"{side} {role}: LEAK of {secret}" for secret in leaks(role, content)]
    assert not wrong, "\n".join(wrong)


def test_it_covers_every_url():
    """A new page or endpoint must join the matrix (or say here why it holds no share)."""
    from django.urls import URLResolver, get_resolver

    def names(resolver: URLResolver, namespace: str = "") -> set[str]:
        found: set[str] = set()
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                if entry.app_name == "admin":  # the admin has its own rules (tests/ewers/test_admin.py)
                    continue
                inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                found |= names(entry, inner)
            elif entry.name:
                found.add(namespace + entry.name)
        return found

    covered = {case.name for case in CASES} | set(UNSHARED)
    assert names(get_resolver()) - covered == set()
    # Each case addressing an object is tried on both sides of the share.
    assert all(
        set(case.expect) == ({"in", "out"} if case.target not in (None, "indicator", "reset_key") else {"in"})
        for case in CASES
    )


# --- Lists hold exactly the permitted rows -------------------------------------------------------


def api_rows(world: World, role: str, url: str, key: str = "id") -> set[Any]:
    response = client_for(world, role).get(url, {"page_size": 500})
    assert response.status_code == 200, (role, url, response.content[:200])
    return {row[key] for row in response.json()["results"]}


def reports_behind(alert: Alert) -> set[int]:
    from indicators.models import Contribution

    return set(Contribution.objects.filter(assessment__alerts=alert).values_list("report", flat=True))


def test_api_lists_hold_exactly_the_permitted_rows(world):
    w = world
    all_t = set(FieldReport.objects.filter(community=w.c_in).values_list("pk", flat=True))
    all_u = set(FieldReport.objects.filter(community=w.c_out).values_list("pk", flat=True))
    expected_reports = {
        "analyst": all_t,
        "other_analyst": all_u,
        # Responders: the reports behind the alerts assigned to their organisation.
        "police": reports_behind(w.alert_out),
        "cso": reports_behind(w.alert_in),
        "coordinator": all_t,
        "admin": set(),
    }
    assert expected_reports["police"] and expected_reports["cso"]
    expected_alerts = {
        "analyst": set(),
        "other_analyst": set(),
        "police": {w.alert_out.pk},
        "cso": {w.alert_in.pk},
        "coordinator": {w.alert_in.pk},
        "admin": set(),
    }
    expected_assignments = {
        "analyst": set(),
        "other_analyst": set(),
        "police": {w.assignment_out.pk},
        "cso": {w.assignment_in.pk},
        "coordinator": {w.assignment_in.pk},
        "admin": set(),
    }
    t_communities, u_communities = {"T-1-1-1", "T-1-1-2"}, {"U-1-1-1", "U-1-1-2"}
    expected_communities = {
        "analyst": t_communities,
        "other_analyst": u_communities,
        "police": t_communities | u_communities,
        "cso": {"T-1-1-1"},
        "coordinator": t_communities,
        "admin": t_communities | u_communities,
    }
    # Forecasts are by district: a district the user's organisation covers (or a region above it).
    t_district, u_district = {"T-1-1"}, {"U-1-1"}
    expected_districts = {
        "analyst": t_district,
        "other_analyst": u_district,
        "police": t_district | u_district,
        "cso": set(),
        "coordinator": t_district,
        "admin": t_district | u_district,
    }
    for role, user in w.users.items():
        assert api_rows(w, role, "/api/v1/reports/") == expected_reports[role], role
        assert api_rows(w, role, "/api/v1/alerts/") == expected_alerts[role], role
        assert api_rows(w, role, "/api/v1/assignments/") == expected_assignments[role], role
        assert api_rows(w, role, "/api/v1/communities/", "code") == expected_communities[role], role
        own = set(Notification.objects.filter(user=user).values_list("pk", flat=True))
        assert api_rows(w, role, "/api/v1/notifications/") == own, role
        heatmap = client_for(w, role).get("/api/v1/heatmap/", {"level": "community"}).json()
        assert {area["code"] for area in heatmap["areas"]} == expected_communities[role], role
        forecasts = client_for(w, role).get("/api/v1/forecasts/").json()
        listed = {row["area"] for row in forecasts["results"] + forecasts["hidden"]}
        assert listed == expected_districts[role], role
    # Routing notified the assigned organisations' responders; the handovers their recipients
    # (the police, the U-side CSO) and the coordinators covering T; the notes their
    # audiences (the coordinators of the CSO's note to all). Nobody else.
    assert {n.user.username for n in Notification.objects.select_related("user")} == {"pol", "cso", "coord", "peace"}


def test_incident_lists_hold_exactly_the_permitted_rows(world):
    w = world
    assert w.incident_in is not None and w.incident_out is not None
    expected = {
        "analyst": set(),
        "other_analyst": set(),
        # The police recorded the U incident; the T one is linked to an alert the CSO holds.
        "police": {w.incident_out.pk},
        "cso": {w.incident_in.pk},
        "coordinator": {w.incident_in.pk},
        "admin": set(),
    }
    for role in w.users:
        assert api_rows(w, role, "/api/v1/incidents/") == expected[role], role
        html = client_for(w, role).get("/incidents/").content.decode()
        for pk in (w.incident_in.pk, w.incident_out.pk):
            assert (f"/incidents/{pk}/" in html) == (pk in expected[role]), (role, pk)


def test_page_lists_hold_exactly_the_permitted_rows(world):
    w = world
    links = {
        "alerts": (f"/alerts/{w.alert_in.pk}/", f"/alerts/{w.alert_out.pk}/"),
        "assignments": (f"/alerts/{w.alert_in.pk}/", f"/alerts/{w.alert_out.pk}/"),
        "reports": (f"/reports/{w.report_in.pk}/", f"/reports/{w.report_out.pk}/"),
    }
    expected = {
        # page: the roles that see the T-side row, the roles that see the U-side row
        "alerts": ({"cso", "coordinator"}, {"police"}),
        "assignments": ({"cso", "coordinator"}, {"police"}),
        "reports": ({"analyst", "cso", "coordinator"}, {"other_analyst", "police"}),
    }
    for page, (inside, outside) in expected.items():
        link_in, link_out = links[page]
        for role in w.users:
            html = client_for(w, role).get(f"/{page}/").content.decode()
            assert (link_in in html) == (role in inside), (page, role, "T side")
            assert (link_out in html) == (role in outside), (page, role, "U side")


def test_handovers_and_notes_list_exactly_the_permitted_rows(world):
    w = world
    expected_handoffs = {
        "analyst": set(),
        "other_analyst": set(),
        "police": {w.handoff_in.pk, w.handoff_out.pk},
        "cso": {w.handoff_in.pk},
        "coordinator": {w.handoff_in.pk},
        "admin": set(),
    }
    for role in w.users:
        assert api_rows(w, role, "/api/v1/handoffs/") == expected_handoffs[role], role
    expected_notes = {"cso": {NOTE_ORG, NOTE_ALL}, "coordinator": {NOTE_COORD, NOTE_ALL}}
    for role, texts in expected_notes.items():
        response = client_for(w, role).get(f"/api/v1/alerts/{w.alert_in.pk}/notes/")
        assert {note["text"] for note in response.json()} == texts, role


def test_a_report_above_the_readers_handling_level_is_withheld_but_its_place_is_not(world):
    w = world
    cso = client_for(w, "cso")
    body = cso.get(f"/api/v1/reports/{w.report_in.pk}/").json()
    assert (body["withheld"], body["narrative"], body["readings"], body["created_by"]) == (True, None, [], None)
    page = cso.get(f"/reports/{w.report_in.pk}/").content.decode()
    assert "Withheld (handling level: Police only)" in page
    # The place's score and its explanation by indicator stay visible.
    assessment = cso.get(f"/api/v1/communities/{w.c_in.code}/assessment/").json()
    assert assessment["contributions"] and assessment["score"] > 0
    coordinator = client_for(w, "coordinator").get(f"/api/v1/reports/{w.report_in.pk}/").json()
    assert (coordinator["narrative"], coordinator["created_by"], coordinator["withheld"]) == (
        NARRATIVE_POLICE,
        REPORTER,
        False,
    )


def test_a_closed_alert_leaves_its_former_holders_its_closing_summary_only(world):
    from alerts.services import alert_resolve

    w = world
    alert_resolve(alert=w.alert_in, user=w.cast.coordinator, note="Calm restored.", outcome="no")
    cso = client_for(w, "cso")
    body = cso.get(f"/api/v1/alerts/{w.alert_in.pk}/").json()
    assert body["summary"] is True and body["explanation"] == [] and body["corroborated_by"] is None
    assert [a["organisation"] for a in body["assignments"]] == ["cso"]
    assert body["assignments"][0]["state"] == "closed"
    assert body["timeline"][-1]["kind"] == "resolved"
    # Nothing of the conversation or the reports behind it any more.
    assert cso.get(f"/api/v1/alerts/{w.alert_in.pk}/notes/").json() == []
    assert api_rows(w, "cso", "/api/v1/reports/") == set()
    page = cso.get(f"/alerts/{w.alert_in.pk}/").content.decode()
    assert "Closing summary" in page and "What the field reports say" not in page
    for marker in (NOTE_ORG, NOTE_ALL, NARRATIVE_POLICE, REPORTER):
        assert marker not in page
    # The coordinator still sees the whole alert.
    assert client_for(w, "coordinator").get(f"/api/v1/alerts/{w.alert_in.pk}/").json()["summary"] is False
