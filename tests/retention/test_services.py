"""Retention that forgets on time (issue 14): each kind purged on its day and not a day
before, with the clock given explicitly; nothing an open alert still needs; the batch; the
history tables never holding a purged narrative; the run recorded and audited by count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import models
from django.utils import timezone

from alerts.choices import AlertState, NotificationKind
from alerts.models import Alert, Notification
from audit.choices import AuditAction
from audit.models import AuditEvent
from audit.services import audit_record
from ewers.choices import RiskLevel
from indicators.models import FieldReport
from retention.models import RetentionRun
from retention.policy import RetentionPolicy
from retention.services import retention_due, retention_purge
from tests import factories
from tests.conftest import NARRATIVE, SOURCE

pytestmark = pytest.mark.django_db

# A fixed clock: every run below is told the moment it runs at.
T0 = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
POLICY = RetentionPolicy(
    narrative_days=365, source_reference_days=90, notification_days=180, refused_access_days=365, batch=5000
)


def scored_report(cast, community=None, *, received=T0, scored=T0 + timedelta(hours=1), narrative=NARRATIVE):
    """A report received and scored at the given moments, with a narrative, a source and a
    request fingerprint."""
    report = factories.make_report(
        cast.analyst, community or cast.places["c1"], cast.indicator, narrative=narrative, source_reference=SOURCE
    )
    FieldReport.objects.filter(pk=report.pk).update(
        received_at=received, status="scored", scored_at=scored, idempotency_fingerprint="f" * 64
    )
    return FieldReport.objects.get(pk=report.pk)


def closed_alert(community, *, opened, closed):
    return Alert.objects.create(
        community=community,
        level=RiskLevel.HIGH,
        state=AlertState.DISMISSED,
        opened_at=opened,
        closed_at=closed,
    )


def notification(cast, alert, made):
    return Notification.objects.create(
        user=cast.coordinator, kind=NotificationKind.ASSIGNED, alert=alert, subject="s", body="b", created_at=made
    )


def purged(report) -> bool:
    report.refresh_from_db()
    return report.narrative == "" and report.narrative_purged_at is not None


def test_a_narrative_goes_365_days_after_scoring_and_not_a_day_before(cast):
    report = scored_report(cast)
    history = FieldReport.history.count()
    retention_purge(now=report.scored_at + 365 * DAY - DAY, policy=POLICY)
    report.refresh_from_db()
    assert report.narrative == NARRATIVE and report.narrative_purged_at is None
    on_the_day = report.scored_at + 365 * DAY
    retention_purge(now=on_the_day, policy=POLICY)
    report.refresh_from_db()
    assert (report.narrative, report.narrative_purged_at, report.idempotency_fingerprint) == ("", on_the_day, None)
    # The report itself stays: its readings, grading and scoring; no history row added.
    assert report.readings.count() == 1 and report.source_reliability == "B" and report.status == "scored"
    assert FieldReport.history.count() == history


def test_a_narrative_counts_from_the_last_close_since_the_report_came_in(cast):
    c1 = cast.places["c1"]
    report = scored_report(cast)
    closed_alert(c1, opened=T0 - 50 * DAY, closed=T0 - 10 * DAY)  # closed before the report: not counted
    closed_alert(c1, opened=T0 + 2 * DAY, closed=T0 + 30 * DAY)
    last = closed_alert(c1, opened=T0 + 40 * DAY, closed=T0 + 100 * DAY)
    retention_purge(now=report.scored_at + 365 * DAY, policy=POLICY)
    assert not purged(report)
    retention_purge(now=last.closed_at + 364 * DAY, policy=POLICY)
    assert not purged(report)
    retention_purge(now=last.closed_at + 365 * DAY, policy=POLICY)
    assert purged(report)


def test_a_source_reference_goes_after_90_days_and_the_narrative_stays(cast):
    report = scored_report(cast)
    retention_purge(now=report.scored_at + 89 * DAY, policy=POLICY)
    report.refresh_from_db()
    assert report.source_reference == SOURCE
    retention_purge(now=report.scored_at + 90 * DAY, policy=POLICY)
    report.refresh_from_db()
    assert report.source_reference is None and report.narrative == NARRATIVE


def test_a_notification_goes_after_180_days_and_not_a_day_before(cast):
    alert = closed_alert(cast.places["c2"], opened=T0, closed=T0 + DAY)
    old = notification(cast, alert, T0)
    retention_purge(now=T0 + 179 * DAY, policy=POLICY)
    assert Notification.objects.filter(pk=old.pk).exists()
    retention_purge(now=T0 + 180 * DAY, policy=POLICY)
    assert not Notification.objects.filter(pk=old.pk).exists()


def test_nothing_an_open_alert_still_needs_goes(cast):
    """A report whose community has an open alert is kept whole, however old; a report not
    scored yet is kept; a notification of an open alert is kept."""
    c1, c2 = cast.places["c1"], cast.places["c2"]
    watched = scored_report(cast, c1, received=T0 - 900 * DAY, scored=T0 - 900 * DAY)
    open_alert = Alert.objects.create(community=c1, level=RiskLevel.HIGH, opened_at=T0 - 800 * DAY)
    kept_note = notification(cast, open_alert, T0 - 800 * DAY)
    unscored = factories.make_report(cast.analyst, c2, cast.indicator, narrative=NARRATIVE, source_reference=SOURCE)
    FieldReport.objects.filter(pk=unscored.pk).update(received_at=T0 - 900 * DAY)
    run = retention_purge(now=T0, policy=POLICY)
    assert run.total == 0
    for report in (watched, unscored):
        report.refresh_from_db()
        assert (report.narrative, report.source_reference) == (NARRATIVE, SOURCE)
    assert Notification.objects.filter(pk=kept_note.pk).exists()
    # Once the alert closes, the clock starts from its close.
    Alert.objects.filter(pk=open_alert.pk).update(state=AlertState.DISMISSED, closed_at=T0)
    retention_purge(now=T0 + 364 * DAY, policy=POLICY)
    assert not purged(watched)
    retention_purge(now=T0 + 365 * DAY, policy=POLICY)
    assert purged(watched)
    assert not Notification.objects.filter(pk=kept_note.pk).exists()


def test_the_batch_takes_the_oldest_first_and_the_next_run_the_rest(cast):
    reports = [scored_report(cast, scored=T0 + n * DAY) for n in range(3)]
    small = RetentionPolicy(
        narrative_days=365, source_reference_days=0, notification_days=0, refused_access_days=0, batch=2
    )
    now = T0 + 400 * DAY
    assert retention_purge(now=now, policy=small).narratives == 2
    assert [purged(r) for r in reports] == [True, True, False]
    assert retention_purge(now=now, policy=small).narratives == 1
    assert purged(reports[2])


def test_zero_days_keeps_for_ever(cast):
    report = scored_report(cast)
    never = RetentionPolicy(
        narrative_days=0, source_reference_days=0, notification_days=0, refused_access_days=0, batch=10
    )
    assert retention_purge(now=T0 + 9000 * DAY, policy=never).total == 0
    report.refresh_from_db()
    assert (report.narrative, report.source_reference) == (NARRATIVE, SOURCE)


def test_no_history_table_holds_a_purged_narrative(cast):
    """Every django-simple-history table, every text column: the purged narrative is nowhere."""
    report = scored_report(cast)
    FieldReport.objects.get(pk=report.pk).save()  # one more history row, as an edit makes
    retention_purge(now=T0 + 400 * DAY, policy=POLICY)
    assert purged(report)
    history_models = [m for m in apps.get_models() if m.__name__.startswith("Historical")]
    assert FieldReport.history.model in history_models
    for model in history_models:
        for field in model._meta.concrete_fields:
            if isinstance(field, models.CharField | models.TextField):
                assert not model.objects.filter(**{f"{field.name}__contains": NARRATIVE[:30]}).exists(), (model, field)
    assert not FieldReport.objects.filter(narrative__contains=NARRATIVE[:30]).exists()


def test_a_run_is_recorded_and_audited_by_count_only(cast):
    now = timezone.now()
    report = scored_report(cast, received=now - 400 * DAY, scored=now - 400 * DAY)
    alert = closed_alert(cast.places["c2"], opened=now - 300 * DAY, closed=now - 299 * DAY)
    notification(cast, alert, now - 200 * DAY)
    refused = audit_record(action=AuditAction.ACCESS_DENIED, actor=cast.analyst, status=404, at=now - 366 * DAY)
    run = retention_purge(now=now, policy=POLICY)
    assert (run.narratives, run.source_references, run.notifications, run.refused_access) == (1, 1, 1, 1)
    assert run.policy["narrative_days"] == 365
    row = AuditEvent.objects.get(action=AuditAction.RETENTION_PURGE)
    assert row.detail == "narratives 1, source_references 1, notifications 1, refused_access 1"
    assert row.object_id == str(run.pk)
    assert NARRATIVE not in row.detail and SOURCE not in row.detail
    assert not AuditEvent.objects.filter(pk=refused.pk).exists()
    assert purged(report)
    call_command("audit_verify", verbosity=0)  # the chain still verifies after the purge
    # Nothing left: a run is still recorded, without an audit row.
    assert retention_purge(now=now, policy=POLICY).total == 0
    assert RetentionRun.objects.count() == 2
    assert AuditEvent.objects.filter(action=AuditAction.RETENTION_PURGE).count() == 1


def test_a_refused_access_row_goes_after_365_days_and_not_a_day_before(cast):
    made = timezone.now() - 400 * DAY  # PostgreSQL's function checks the floor on its own clock
    refused = audit_record(action=AuditAction.ACCESS_DENIED, actor=cast.analyst, status=404, at=made)
    kept = audit_record(action=AuditAction.STATE_CHANGE, object_type="alert", object_id=1, at=made - DAY)
    retention_purge(now=made + 364 * DAY, policy=POLICY)
    assert AuditEvent.objects.filter(pk=refused.pk).exists()
    retention_purge(now=made + 365 * DAY, policy=POLICY)
    assert not AuditEvent.objects.filter(pk=refused.pk).exists()
    assert AuditEvent.objects.filter(pk=kept.pk).exists()
    call_command("audit_verify", verbosity=0)


def test_what_would_go_is_what_goes(cast):
    report = scored_report(cast)
    due = retention_due(now=T0 + 400 * DAY, policy=POLICY)
    assert due.ids["narratives"] == [report.pk] and due.ids["source_references"] == [report.pk]
    assert retention_due(now=T0 + 364 * DAY, policy=POLICY).ids["narratives"] == []
    run = retention_purge(now=T0 + 400 * DAY, policy=POLICY)
    assert (run.narratives, run.source_references) == (len(due.ids["narratives"]), len(due.ids["source_references"]))


def test_a_report_without_a_narrative_loses_only_its_fingerprint_uncounted(cast):
    report = scored_report(cast, narrative="")
    run = retention_purge(now=report.scored_at + 365 * DAY, policy=POLICY)
    report.refresh_from_db()
    assert (report.idempotency_fingerprint, report.narrative_purged_at) == (None, None)
    assert run.narratives == 0


def test_the_database_selects_what_the_pure_rule_says(cast):
    """Random reports and alerts across three communities: the narratives the queries find
    due are exactly those retention.policy.report_counted_from and is_due name."""
    import random

    from django.db import transaction

    from retention.policy import is_due, report_counted_from

    rng = random.Random(14)
    communities = [cast.places["c1"], cast.places["c2"], cast.other_places["c1"]]
    base = factories.make_report(cast.analyst, communities[0], cast.indicator, narrative=NARRATIVE)
    due_seen = kept_seen = 0
    for _ in range(12):
        with transaction.atomic():
            reports = []
            for _ in range(4):
                received = T0 + rng.randint(0, 300) * DAY
                scored = None if rng.random() < 0.2 else received + timedelta(hours=rng.randint(0, 48))
                report = FieldReport.objects.get(pk=base.pk)
                report.pk = None
                report.community = rng.choice(communities)
                report.received_at, report.scored_at = received, scored
                report.status = "received" if scored is None else "scored"
                report.save()
                reports.append(report)
            alerts = []
            for community in communities:
                opened = T0
                for _ in range(rng.randint(0, 3)):
                    opened += rng.randint(1, 150) * DAY
                    closed = opened + rng.randint(1, 60) * DAY
                    alerts.append(closed_alert(community, opened=opened, closed=closed))
                    opened = closed
                if rng.random() < 0.3:
                    Alert.objects.create(community=community, level=RiskLevel.HIGH, opened_at=opened + DAY)
            now = T0 + rng.randint(300, 900) * DAY
            expected = {
                r.pk
                for r in reports
                if is_due(
                    report_counted_from(
                        received_at=r.received_at,
                        scored_at=r.scored_at,
                        closes=[a.closed_at for a in alerts if a.community_id == r.community_id],
                        open_alert=Alert.objects.filter(community=r.community, state=AlertState.OPEN).exists(),
                    ),
                    now,
                    POLICY.narrative_days,
                )
            }
            found = set(retention_due(now=now, policy=POLICY).ids["narratives"]) - {base.pk}
            assert found == expected
            due_seen += len(expected)
            kept_seen += len(reports) - len(expected)
            transaction.set_rollback(True)
    assert due_seen > 5 and kept_seen > 5  # the cases cover both
