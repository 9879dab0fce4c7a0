"""A responder holding an alert reads every report behind it, as the per-reading
contributions of a full recompute gave: scoring by state keeps one contribution per
indicator for most assessments, and the full evidence for those an alert points to."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from alerts.models import Alert, Assignment
from indicators import scoring
from indicators.models import Contribution, FieldReport, Indicator, Reading
from indicators.services import ReadingInput, report_score, scoring_config
from tests import factories

pytestmark = pytest.mark.django_db


def per_reading_reports(community_id: int, at) -> set[int]:
    """The reports the old per-reading rows named: those with a reading whose contribution
    at ``at`` reaches ``min_stored_contribution``, over the scoring window."""
    config = scoring_config()
    plain = {i.pk: i.scoring_settings() for i in Indicator.objects.all()}
    window = timedelta(days=settings.EWERS_SCORING_WINDOW_DAYS)
    found = set()
    for r in Reading.objects.filter(
        report__community_id=community_id, report__observed_at__gte=at - window
    ).select_related("report"):
        fact = scoring.ReadingFact(
            r.report_id,
            r.indicator_id,
            r.value,
            r.report.observed_at,
            r.report.source_reliability,
            r.report.information_credibility,
            r.report.verification,
        )
        if abs(scoring.reading_contribution(fact, plain[r.indicator_id], at)) >= config.min_stored_contribution:
            found.add(r.report_id)
    return found


def test_the_responder_reads_every_report_behind_its_alert(cast):
    c1 = cast.places["c1"]
    strong = {"value": 4, "source_reliability": "A", "information_credibility": 1}
    now = timezone.now()
    # Several reports of one indicator (per indicator, only the largest reading's report
    # would be kept), of different ages, and one whose reading adds nothing.
    behind = [
        factories.make_report(cast.analyst, c1, cast.indicator, observed_at=now - timedelta(days=d), **strong)
        for d in (0.1, 1, 2, 5, 9, 30)
    ]
    nothing = factories.make_report(cast.analyst, c1, cast.indicator, value=0, source_reliability="A")
    elsewhere = factories.make_report(cast.analyst, cast.places["c2"], cast.indicator, **strong)
    for report in [*behind, nothing, elsewhere]:
        report_score(report_id=report.pk)
    alert = Alert.objects.get(community=c1)
    assert Assignment.objects.filter(alert=alert, organisation=cast.cso).exists()
    expected = per_reading_reports(c1.pk, alert.assessment.assessed_at)
    assert expected == {r.pk for r in behind}
    seen = set(FieldReport.objects.visible_to(cast.cso_user).values_list("pk", flat=True))
    assert seen == expected
    assert set(Contribution.objects.filter(assessment__alerts=alert).values_list("report", flat=True)) == expected
    # The assessments no alert points to keep one contribution per indicator.
    other = Contribution.objects.exclude(assessment__alerts__isnull=False)
    assert other.filter(assessment__community=cast.places["c2"]).count() == 1


def test_an_escalation_keeps_the_evidence_of_the_escalating_assessment(cast, strong):
    c1 = cast.places["c1"]
    grade = {"source_reliability": "A", "information_credibility": 1}
    readings = [ReadingInput(indicator=i, value=4) for i in strong]
    first = factories.make_report(cast.analyst, c1, strong[0], readings=readings, **grade)
    report_score(report_id=first.pk)
    alert = Alert.objects.get(community=c1)
    opened_by = alert.assessment_id
    later = [factories.make_report(cast.analyst, c1, cast.indicator, value=4, **grade) for _ in range(4)]
    for report in later:
        report_score(report_id=report.pk)
    alert.refresh_from_db()
    assert alert.assessment_id != opened_by, "the alert escalated"
    expected = per_reading_reports(c1.pk, alert.assessment.assessed_at)
    assert expected == {first.pk, *(r.pk for r in later)}
    assert set(FieldReport.objects.visible_to(cast.cso_user).values_list("pk", flat=True)) == expected
