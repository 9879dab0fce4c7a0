"""Routing on the database (alerts/services/routing.py): an opened or escalated alert goes to
the active organisations whose coverage, mandate and level fit, with their deadlines.

Tasks run in-process (eager); callbacks queued on commit are run with
``django_capture_on_commit_callbacks(execute=True)``, so e-mails land in ``mailoutbox``."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.forms.models import model_to_dict
from django.utils import timezone

from alerts.choices import AlertEventKind, AssignmentState, NotificationKind
from alerts.models import Alert, Assignment, Notification
from alerts.services import assignment_acknowledge
from audit.choices import AuditAction
from audit.models import AuditEvent
from ewers.choices import RiskLevel, Role, Sector
from tests import factories
from tests.alerts.services.conftest import audit_details
from tests.conftest import report


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
    assert audit_details("assignment", assignment.pk) == ["routed at tier 1 → pending", "level high → critical"]


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


def test_routing_weighs_every_contribution_and_routes_only_themes_with_a_real_share(cast, settings):
    """Six tension readings outweigh one small weapons reading: the explanation keeps the
    top five, the shares count every contribution, and the weapons theme (under 1% of the
    score) does not bring the police in; a trigger of it would."""
    from alerts.services import alert_explanation, alert_theme_shares
    from alerts.services.routing import alert_routing_themes
    from indicators.scoring import ContributionFact

    weapons = factories.make_indicator("W09", theme=factories.make_theme("weapons"))
    tension = [factories.make_indicator(f"X0{n}", theme=cast.indicator.theme) for n in range(6)]
    indicators = {i.pk: i for i in [*tension, weapons]}
    contributions = [ContributionFact(i.pk, 1, 1, 2.0) for i in tension] + [
        ContributionFact(weapons.pk, 1, 1, 0.1),
        ContributionFact(cast.indicator.pk, 1, 1, -1.0),  # resilience lowers the score: not a driver
    ]
    assert {row["theme"] for row in alert_explanation(contributions, indicators)} == {"tension"}
    shares = alert_theme_shares(contributions, indicators)
    assert shares == {"tension": round(12 / 12.1, 4), "weapons": round(0.1 / 12.1, 4)}
    settings.EWERS_ROUTE_MIN_SHARE = 0.2
    assert alert_routing_themes(shares, [], indicators) == ({"tension"}, set())
    assert alert_routing_themes(shares, [weapons.pk], indicators) == ({"tension", "weapons"}, set())


def _covering_as_data(covering):
    """A Covering as plain values: the facts, the organisations' columns, the responders' ids and languages."""
    return (
        covering.facts,
        {pk: model_to_dict(o) for pk, o in covering.organisations.items()},
        {pk: [(u.pk, u.language) for u in users] for pk, users in covering.responders.items()},
    )


def test_the_organisations_covering_a_place_are_read_in_one_statement(cast, django_assert_num_queries):
    from alerts.services.routing_reads import covering_orm, organisations_covering
    from ewers.models import Organisation

    cast.lab.is_active = False  # covers the region: left out
    cast.lab.save()
    # Not told on the CSO's behalf: a responder no longer active, a member in another role.
    gone = factories.make_user("gone", cast.cso, Role.RESPONDER)
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    factories.make_user("cso-analyst", cast.cso, Role.ANALYST)
    second = factories.make_user("cso2", cast.cso, Role.RESPONDER)
    second.language = "ms"
    second.save(update_fields=["language"])
    places = frozenset(cast.places["c1"].lineage_ids)
    # PostgreSQL: one statement; elsewhere the coverage with its organisations, the mandates, the responders.
    with django_assert_num_queries(1 if connection.vendor == "postgresql" else 3):
        covering = organisations_covering(places)
    active = Organisation.objects.filter(is_active=True, coverage__in=places).distinct()
    expected = sorted(active.values_list("pk", flat=True))
    assert expected == sorted([cast.police.pk, cast.cso.pk, cast.desk.pk])
    assert [fact.id for fact in covering.facts] == expected
    assert {pk: o.code for pk, o in covering.organisations.items()} == {o.pk: o.code for o in active}
    by_id = {fact.id: fact for fact in covering.facts}
    assert by_id[cast.cso.pk].covers == {cast.places["c1"].pk} and by_id[cast.cso.pk].themes == {"tension"}
    assert by_id[cast.police.pk].responds and not by_id[cast.desk.pk].responds
    assert [(u.pk, u.language) for u in covering.responders[cast.cso.pk]] == [(cast.cso_user.pk, ""), (second.pk, "ms")]
    assert _covering_as_data(covering) == _covering_as_data(covering_orm(places))


def test_the_routing_facts_of_a_batch_are_read_in_one_statement(cast, django_assert_num_queries):
    from alerts.services.routing_reads import routing_facts, routing_facts_orm
    from ewers.models import Theme, ThemeTier

    Theme.objects.filter(code="weapons").update(police_at_once=True)
    ThemeTier.objects.create(theme=cast.indicator.theme, sector=Sector.POLICE, tier=2)
    communities = [cast.places["c1"].pk, cast.other_places["c1"].pk]
    with django_assert_num_queries(1 if connection.vendor == "postgresql" else 6):
        read = routing_facts(communities)
    assert sorted(read.communities) == sorted(communities)
    assert read.communities[cast.places["c1"].pk].lineage_ids == cast.places["c1"].lineage_ids
    assert read.police == {"weapons"}
    assert read.tiers == {"tension": {Sector.POLICE: 2}}
    # The police cover both countries, the CSO the first community only.
    assert cast.police.pk in read.covering.organisations and cast.cso.pk in read.covering.organisations
    orm = routing_facts_orm(communities)
    columns = ("id", "code", "name", "level", "parent_id", "country_id", "region_id", "district_id")
    assert {pk: [getattr(c, name) for name in columns] for pk, c in read.communities.items()} == {
        pk: [getattr(c, name) for name in columns] for pk, c in orm.communities.items()
    }
    assert (read.police, dict(read.tiers)) == (orm.police, dict(orm.tiers))
    assert _covering_as_data(read.covering) == _covering_as_data(orm.covering)
