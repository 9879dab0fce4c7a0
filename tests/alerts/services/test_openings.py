"""Alerts opened set-based (alerts/services/openings.py) write exactly the rows that
``alert_consider`` writes opening them one by one: alerts, their history, assignments and
theirs, timeline events, notifications (and their e-mails), and audit rows in the same order
on a chain that verifies. Both paths run on the same database and are rolled back; rows are
compared with the ids each path drew replaced by what they stand for."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alerts.models import Alert, AlertEvent, Assignment, Notification
from alerts.services import alert_consider
from alerts.services.openings import Opening, alerts_open
from alerts.services.timeline import audit_deferred
from audit.models import AuditEvent
from audit.selectors import audit_chain_verify
from ewers.choices import RiskLevel, Role, Sector
from ewers.models import Theme, ThemeTier
from indicators.choices import AssessmentCause
from indicators.models import RiskAssessment
from indicators.scoring import ContributionFact
from tests import factories


class _RolledBack(Exception):
    pass


@pytest.fixture
def world(cast):
    """Beside the cast: a third country, an agency and a second police force with
    responders in two languages, a police-at-once theme, a theme's own tier for the police,
    and a weapons indicator."""
    tension = cast.indicator.theme
    weapons = Theme.objects.get(code="weapons")
    Theme.objects.filter(code="weapons").update(police_at_once=True)
    ThemeTier.objects.create(theme=tension, sector=Sector.POLICE, tier=2)
    third = factories.make_tree("V")
    agency = factories.make_organisation(
        code="agency",
        sector=Sector.GOVERNMENT,
        coverage=[cast.places["district"], third["c2"]],
        mandate=[tension, weapons],
        min_alert_level=RiskLevel.HIGH,
    )
    guard = factories.make_organisation(
        code="guard", sector=Sector.POLICE, coverage=[third["country"]], mandate=[tension, weapons]
    )
    for name, organisation, language in (
        ("age1", agency, "ms"),
        ("age2", agency, ""),
        ("gua1", guard, "en"),
        ("cso2", cast.cso, "ms"),
    ):
        user = factories.make_user(name, organisation, Role.RESPONDER)
        user.language = language
        user.email = f"{name}@example.org"
        user.save(update_fields=["language", "email"])
    communities = [cast.places["c1"], cast.places["c2"], cast.other_places["c1"], third["c1"], third["c2"]]
    indicators = {i.pk: i for i in (cast.indicator, factories.make_indicator("W01", theme=weapons, weight=2.0))}
    return communities, indicators


def _openings(world, plan):
    communities, indicators = world
    ids = sorted(indicators)
    now = timezone.now()
    RiskAssessment.objects.filter(key__startswith="openings:").delete()  # the last example's
    openings = []
    for n, (community, (level, amounts, trigger)) in enumerate(zip(communities, plan, strict=False)):
        level = RiskLevel.CRITICAL if trigger else level  # a trigger makes the community critical
        assessment = RiskAssessment.objects.create(
            community=community,
            assessed_at=now - timedelta(minutes=n),
            score=80.0,
            raw_score=7.0,
            level=level,
            cause=AssessmentCause.REPORT,
            key=f"openings:{n}",
            triggered=trigger,
        )
        contributions = [
            ContributionFact(indicator_id=pk, indicator_version=1, report_id=100 + k, amount=amount)
            for k, (pk, amount) in enumerate(zip(ids, amounts, strict=True))
        ]
        triggers = [(ids[1], 101)] if trigger else []
        openings.append(
            Opening(
                assessment=assessment,
                level=level,
                contributions=contributions,
                triggered=trigger,
                indicators=indicators,
                triggers=triggers,
            )
        )
    return openings


def _rows(alerts):
    """Every row the openings wrote, with the ids drawn replaced by what they stand for."""
    alert_key = {a.pk: a.community_id for a in alerts}
    assignments = list(Assignment.objects.filter(alert__in=alerts).order_by("id"))
    assignment_key = {a.pk: (alert_key[a.alert_id], a.organisation_id) for a in assignments}

    def plain(text, alert_id):
        link = reverse("notifications:alert", args=[alert_id])
        return text.replace(link, "<link>").replace(f"#{alert_id} ", "#<alert> ")

    history = Alert.history.model.objects.filter(id__in=alert_key).order_by("history_id")
    assignment_history = Assignment.history.model.objects.filter(id__in=assignment_key).order_by("history_id")
    audit = AuditEvent.objects.filter(object_type__in=("alert", "assignment")).order_by("id")
    return {
        "alerts": [
            (a.community_id, a.level, a.state, a.assessment_id, a.explanation, a.opened_at, a.theme_shares, a.routing)
            for a in Alert.objects.filter(pk__in=alert_key).order_by("id")
        ],
        "alert history": [
            (
                alert_key[h.id],
                h.history_type,
                h.history_user_id,
                h.history_change_reason,
                h.level,
                h.theme_shares,
                h.routing,
                h.assessment_id,
                h.explanation,
                h.opened_at,
                h.state,
            )
            for h in history
        ],
        "assignments": [
            (assignment_key[a.pk], a.state, a.level, a.tier, a.created_at, a.due_at, a.replaced_by_id)
            for a in assignments
        ],
        "assignment history": [
            (
                assignment_key[h.id],
                h.history_type,
                h.history_user_id,
                h.history_change_reason,
                h.state,
                h.level,
                h.tier,
                h.created_at,
                h.due_at,
            )
            for h in assignment_history
        ],
        "events": [
            (alert_key[e.alert_id], e.kind, e.at, e.actor_id, e.organisation_id, e.level, e.note)
            for e in AlertEvent.objects.filter(alert__in=alerts).order_by("id")
        ],
        "notifications": [
            (
                alert_key[n.alert_id],
                assignment_key.get(n.assignment_id),
                n.user_id,
                n.kind,
                n.handoff_id,
                plain(n.subject, n.alert_id),
                plain(n.body, n.alert_id),
                n.created_at,
                n.emailed_at,
            )
            for n in Notification.objects.filter(alert__in=alerts).order_by("id")
        ],
        "audit": [
            (
                alert_key[int(r.object_id)] if r.object_type == "alert" else assignment_key[int(r.object_id)],
                r.object_type,
                r.action,
                r.actor_id,
                r.detail,
                r.at,
            )
            for r in audit
        ],
    }


def _run(openings, open_them, capture):
    """Open the alerts one way inside a transaction rolled back; return what it wrote and
    the e-mails its commit hooks send."""
    found = {}
    try:
        with transaction.atomic():
            with capture() as callbacks, audit_deferred():
                alerts = open_them(openings)
            found["chain"] = audit_chain_verify().intact
            found["rows"] = _rows(alerts)
            mail.outbox = []
            for callback in callbacks:
                callback()
            found["mail"] = sorted((m.to[0], re.sub(r"#[0-9]+ ", "#<alert> ", m.subject)) for m in mail.outbox)
            raise _RolledBack
    except _RolledBack:
        pass
    return found


def _one_by_one(openings):
    return [
        alert_consider(
            assessment=o.assessment,
            previous_level=RiskLevel.LOW,
            contributions=o.contributions,
            triggered=o.triggered,
            indicators=dict(o.indicators),
            triggers=o.triggers,
            known=(None, None),
        )
        for o in openings
    ]


LEVELS = st.sampled_from([RiskLevel.HIGH, RiskLevel.CRITICAL])
AMOUNTS = st.lists(st.floats(min_value=-1.0, max_value=3.0, allow_nan=False), min_size=2, max_size=2)
PLAN = st.lists(st.tuples(LEVELS, AMOUNTS, st.booleans()), min_size=1, max_size=5)


@pytest.mark.django_db
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=PLAN)
def test_opening_set_based_writes_the_rows_of_opening_one_by_one(world, plan, django_capture_on_commit_callbacks):
    openings = _openings(world, plan)
    alone = _run(openings, _one_by_one, django_capture_on_commit_callbacks)
    together = _run(openings, alerts_open, django_capture_on_commit_callbacks)
    assert together["chain"] and alone["chain"]
    assert together["rows"] == alone["rows"]
    assert together["mail"] == alone["mail"]


def test_it_routes_as_one_by_one_for_a_fixed_batch(world, django_capture_on_commit_callbacks):
    """The property's one example spelled out: five communities, triggers and both levels."""
    plan = [
        (RiskLevel.HIGH, [2.0, 0.0], False),
        (RiskLevel.HIGH, [1.0, 1.0], True),
        (RiskLevel.CRITICAL, [0.5, 2.5], False),
        (RiskLevel.HIGH, [2.0, 0.1], False),
        (RiskLevel.CRITICAL, [1.0, 1.0], False),
    ]
    openings = _openings(world, plan)
    alone = _run(openings, _one_by_one, django_capture_on_commit_callbacks)
    together = _run(openings, alerts_open, django_capture_on_commit_callbacks)
    assert together["rows"] == alone["rows"]
    assert together["mail"] == alone["mail"]
    assert len(together["rows"]["alerts"]) == 5
    assert len(together["rows"]["assignments"]) > 5
    assert together["mail"]


def test_every_email_is_queued_when_a_batch_has_more_than_a_task_sends(
    world, monkeypatch, django_capture_on_commit_callbacks, mailoutbox
):
    """A batch's e-mails go in tasks of at most EMAILS_PER_TASK notifications: none left out."""
    monkeypatch.setattr("alerts.services.notifications.EMAILS_PER_TASK", 1)
    plan = [(RiskLevel.CRITICAL, [1.0, 1.0], False), (RiskLevel.HIGH, [1.0, 1.0], True)]
    with django_capture_on_commit_callbacks(execute=True):
        alerts = alerts_open(_openings(world, plan))
    addressed = Notification.objects.filter(alert__in=alerts, user__email__gt="")
    assert addressed.count() > 1
    assert sorted(m.to[0] for m in mailoutbox) == sorted(addressed.values_list("user__email", flat=True))
    assert not addressed.filter(emailed_at__isnull=True).exists()
