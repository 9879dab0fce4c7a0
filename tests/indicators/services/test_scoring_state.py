"""Scoring by state on the database (indicators/services/scoring_state.py): each live
assessment equals a full recompute from the readings, through new reports, a batch, a
verification and an indicator's new settings; explanations stay one row per indicator."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from indicators import scoring
from indicators.choices import AssessmentCause, ReportStatus, Verification
from indicators.models import Contribution, FieldReport, RiskAssessment, ScoringState
from indicators.services import (
    community_assess,
    field_report_verify,
    indicator_update_settings,
    report_score,
    reports_score,
    scoring_config,
)
from indicators.services.scoring import _indicator_settings, _reading_facts
from tests.indicators.services.conftest import report


def full_recompute(assessment: RiskAssessment) -> tuple[scoring.Assessment, tuple[scoring.ContributionFact, ...]]:
    """The assessment a full recompute makes, and its per-reading evidence."""
    at = assessment.assessed_at
    facts = _reading_facts(assessment.community_id, at)
    plain, _ = _indicator_settings({f.indicator_id for f in facts})
    config = scoring_config()
    return scoring.assess(facts, plain, at=at, config=config), scoring.reading_evidence(
        facts, plain, at=at, config=config
    )


def assert_as_recomputed(assessment: RiskAssessment) -> None:
    want, evidence = full_recompute(assessment)
    assert assessment.raw_score == pytest.approx(want.raw_score, rel=1e-9, abs=1e-9)
    assert assessment.score == pytest.approx(want.score, abs=1e-4)
    stored = sorted((c.indicator_id, c.report_id, round(c.amount, 9)) for c in assessment.contributions.all())
    # By indicator; one row per reading for an assessment an alert points to (its evidence).
    expected = evidence if assessment.alerts.exists() else want.contributions
    assert stored == sorted((c.indicator_id, c.report_id, round(c.amount, 9)) for c in expected)


def test_each_live_assessment_equals_a_full_recompute(cast, strong, django_capture_on_commit_callbacks):
    now = timezone.now()
    old = report(cast, strong, observed_at=now - timedelta(days=20))
    report_score(report_id=old.pk)
    for days, value in ((10, 2), (3, 4), (1, 1)):
        saved = report(cast, [strong[0]], value=value, observed_at=now - timedelta(days=days))
        assert_as_recomputed(report_score(report_id=saved.pk))
    assert ScoringState.objects.filter(community=cast.places["c1"]).exists()
    # A verification: the sums are rebuilt.
    with django_capture_on_commit_callbacks(execute=True):
        field_report_verify(report=old, user=cast.coordinator, verification=Verification.DISPUTED)
    assert_as_recomputed(RiskAssessment.objects.filter(cause=AssessmentCause.VERIFICATION).get())
    # New settings for an indicator: a new version, the sums rebuilt.
    indicator_update_settings(indicator=strong[0], changed_by=cast.admin, half_life_days=2.0)
    again = report(cast, [strong[1]], value=3)
    assert_as_recomputed(report_score(report_id=again.pk))
    decay = community_assess(community_id=again.community_id, key="decay:test", cause=AssessmentCause.DECAY)
    assert_as_recomputed(decay)


def test_a_batch_makes_one_assessment_per_community(cast, strong):
    first = [report(cast, strong, value=v) for v in (2, 3)]
    other = report(cast, [cast.indicator], value=4, community=cast.places["c2"])
    reports_score([r.pk for r in first] + [other.pk])
    assert set(FieldReport.objects.values_list("status", flat=True)) == {ReportStatus.SCORED}
    ones = RiskAssessment.objects.order_by("community_id")
    assert [a.key for a in ones] == [f"report:{first[1].pk}", f"report:{other.pk}"]
    for assessment in ones:
        assert_as_recomputed(assessment)
    # One row per indicator, whatever the number of readings (unless an alert points to it).
    if not ones[0].alerts.exists():
        assert Contribution.objects.filter(assessment=ones[0]).count() == len(strong)
    reports_score([r.pk for r in first])  # again: nothing left to do
    assert RiskAssessment.objects.count() == 2


def test_unscored_reports_of_the_community_count_as_in_a_full_recompute(cast, strong):
    waiting = report(cast, strong, value=4)  # received, its task not run
    FieldReport.objects.filter(pk=waiting.pk).update(scoring_attempts=99)  # and never will be
    saved = report(cast, [cast.indicator], value=2)
    assessment = report_score(report_id=saved.pk)
    assert_as_recomputed(assessment)
    assert waiting.pk in {c.report_id for c in assessment.contributions.all()}
