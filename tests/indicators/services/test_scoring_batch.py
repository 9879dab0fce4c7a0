"""Micro-batches: a scoring task takes along the reports waiting, of any community, up to
EWERS_SCORING_BATCH, and stores one assessment per community in one transaction; the
tasks of the reports taken along find nothing left to do."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ewers.choices import RegionLevel
from ewers.services import region_upsert
from indicators.choices import ReportStatus
from indicators.models import FieldReport, RiskAssessment
from indicators.services import report_score, reports_score
from tests import factories
from tests.indicators.services.conftest import report

pytestmark = pytest.mark.django_db


def statuses(reports) -> list[str]:
    found = dict(FieldReport.objects.filter(pk__in=[r.pk for r in reports]).values_list("pk", "status"))
    return [found[r.pk] for r in reports]


def test_a_task_takes_the_waiting_reports_of_every_community_along(cast, strong):
    c1, c2 = cast.places["c1"], cast.places["c2"]
    waiting = [report(cast, [cast.indicator], value=2, community=c) for c in (c2, c1, c2)]
    mine = report(cast, [cast.indicator], value=1)
    assessment = report_score(report_id=mine.pk)
    assert assessment is not None and assessment.community_id == c1.pk
    assert statuses([*waiting, mine]) == [ReportStatus.SCORED] * 4
    # One assessment per community, keyed by its highest report.
    keys = dict(RiskAssessment.objects.values_list("community_id", "key"))
    assert keys == {c1.pk: f"report:{mine.pk}", c2.pk: f"report:{waiting[2].pk}"}
    # The tasks of the reports taken along have nothing left to do.
    for r in waiting:
        assert report_score(report_id=r.pk) is None
    assert RiskAssessment.objects.count() == 2
    assert [r.scoring_attempts for r in FieldReport.objects.order_by("pk")] == [1, 1, 1, 1]


def test_the_batch_setting_bounds_what_a_task_takes(cast, settings):
    settings.EWERS_SCORING_BATCH = 2
    first, second, third = (report(cast, [cast.indicator], value=2) for _ in range(3))
    report_score(report_id=third.pk)
    # Its own report, and the oldest one waiting.
    assert statuses([first, second, third]) == [ReportStatus.SCORED, ReportStatus.RECEIVED, ReportStatus.SCORED]
    assert FieldReport.objects.get(pk=second.pk).scoring_attempts == 0
    reports_score([second.pk])
    assert statuses([second]) == [ReportStatus.SCORED]


def test_a_batch_reads_and_writes_set_based(cast):
    """The states, readings, previous levels and assessments of a batch are read and written
    in the same queries whatever the number of communities: what grows with them is the
    current risk and the alerting layer's look at each (four queries a community)."""
    district = cast.places["district"]
    extra = [
        region_upsert(
            code=f"T-1-1-{n}",
            name=f"Village {n}",
            level=RegionLevel.COMMUNITY,
            parent=district,
            boundary=factories.square(101 + n, 1),
        )[0]
        for n in range(3, 8)
    ]

    def queries_for(communities) -> int:
        reports = [report(cast, [cast.indicator], value=1, community=c) for c in communities]
        with CaptureQueriesContext(connection) as done:
            reports_score([r.pk for r in reports])
        assert statuses(reports) == [ReportStatus.SCORED] * len(reports)
        return len(done)

    few = queries_for(extra[:1])
    many = queries_for(extra[1:])
    assert many - few <= 4 * (len(extra) - 2)


def test_a_batch_appends_its_alerts_audit_rows_at_its_end_on_one_chain(cast, strong):
    """The audit rows of a batch's alerts are written together at its end (the chain's lock
    is held from there to the commit): every alert has its row, and the chain verifies."""
    from io import StringIO

    from django.core.management import call_command

    from alerts.models import Alert
    from audit.models import AuditEvent

    c1, c2 = cast.places["c1"], cast.places["c2"]
    reports = [report(cast, strong, community=c) for c in (c1, c2)]
    reports_score([r.pk for r in reports])
    alerts = list(Alert.objects.order_by("community_id"))
    assert [a.community_id for a in alerts] == sorted([c1.pk, c2.pk])
    opened = AuditEvent.objects.filter(object_type="alert", detail__startswith="opened").order_by("id")
    assert [row.object_id for row in opened] == [str(a.pk) for a in alerts]
    out = StringIO()
    call_command("audit_verify", stdout=out)  # raises on a broken chain
    assert f"intact: {AuditEvent.objects.count()} rows" in out.getvalue()


def test_a_batch_escalates_one_alert_and_opens_another_on_one_chain(cast, strong):
    """Escalations go one by one, the batch's openings together after them: each alert as
    it would be alone, and their audit rows on a chain that verifies."""
    from alerts.choices import AlertEventKind
    from alerts.models import Alert
    from audit.models import AuditEvent
    from audit.selectors import audit_chain_verify
    from ewers.choices import RiskLevel

    c1, c2 = cast.places["c1"], cast.places["c2"]
    first = report(cast, strong, community=c1)
    reports_score([first.pk])
    high = Alert.objects.get(community=c1)
    assert high.level == RiskLevel.HIGH
    batch = [report(cast, strong, community=c) for c in (c1, c1, c2)]
    reports_score([r.pk for r in batch])
    assert statuses(batch) == [ReportStatus.SCORED] * 3
    high.refresh_from_db()
    assert high.level == RiskLevel.CRITICAL
    assert list(high.events.values_list("kind", flat=True))[-2:] == [AlertEventKind.ESCALATED, AlertEventKind.ESCALATED]
    opened = Alert.objects.get(community=c2)
    assert opened.events.values_list("kind", flat=True).first() == AlertEventKind.OPENED
    assert opened.routing["themes"] == [cast.indicator.theme.code]
    rows = list(AuditEvent.objects.filter(object_type="alert").order_by("id").values_list("object_id", "detail"))
    assert rows == [
        (str(high.pk), "opened (high)"),
        (str(high.pk), "escalated high → critical"),
        (str(opened.pk), f"opened ({opened.level})"),
    ]
    assert audit_chain_verify().intact
