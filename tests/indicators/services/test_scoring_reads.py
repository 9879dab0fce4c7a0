"""A scoring batch's fixed reads (indicators/services/scoring_reads.py): plain statements on
PostgreSQL, the ORM elsewhere; both give what the ORM's reads gave (checked here against
the ORM on whichever database runs the suite)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from indicators.choices import AssessmentCause, ReportStatus
from indicators.models import CurrentRisk, FieldReport, RiskAssessment, ScoringState
from indicators.services import reports_score
from indicators.services.risk import risks_record
from indicators.services.scoring_reads import communities_lock, previous_and_states, reports_lock
from tests.indicators.services.conftest import report

pytestmark = pytest.mark.django_db


def assessment(community, at, level, key=None) -> RiskAssessment:
    return RiskAssessment.objects.create(
        community=community, assessed_at=at, score=1, raw_score=1, level=level, cause=AssessmentCause.REPORT, key=key
    )


def test_the_reports_locked_are_the_tokens_received_ones_and_the_keys_taken_are_named(cast):
    c1, c2 = cast.places["c1"], cast.places["c2"]
    mine, taken, scored, other, unclaimed = (
        report(cast, [cast.indicator], value=1, community=c) for c in (c1, c2, c1, c2, c1)
    )
    FieldReport.objects.filter(pk__in=[mine.pk, taken.pk, scored.pk]).update(scoring_claim="tok")
    FieldReport.objects.filter(pk=other.pk).update(scoring_claim="other")
    FieldReport.objects.filter(pk=scored.pk).update(status=ReportStatus.SCORED, scored_at=timezone.now())
    assessment(c2, timezone.now(), "low", key=f"report:{taken.pk}")
    assessment(c1, timezone.now(), "low", key=f"report:{unclaimed.pk}")
    with transaction.atomic():
        communities_lock([c2.pk, c1.pk])
        locked, keyed = reports_lock("tok", [mine.pk, taken.pk, scored.pk, other.pk, unclaimed.pk])
    assert sorted(locked) == sorted([(mine.pk, c1.pk), (taken.pk, c2.pk)])
    assert keyed == {taken.pk}
    assert reports_lock("nobody", [mine.pk]) == ([], set())


def test_previous_levels_and_states_are_the_last_at_or_before_the_moment(cast):
    c1, c2, d = cast.places["c1"], cast.places["c2"], cast.other_places["c1"]
    now = timezone.now()
    first, second = assessment(c1, now - timedelta(hours=2), "low"), assessment(c1, now - timedelta(hours=1), "high")
    assessment(c1, now + timedelta(hours=1), "critical")  # after the moment
    tie = assessment(c2, now - timedelta(hours=3), "moderate")
    assessment(c2, now - timedelta(hours=3), "high")  # same moment, higher id: the last
    ScoringState.objects.create(community=c2, ref_at=now - timedelta(hours=3), window_days=180, sums={"7": {"v": 1}})
    risks_record([second, tie])  # current risk rows for c1 and c2, none for d
    facts = previous_and_states([c1.pk, c2.pk, d.pk], now)
    if connection.vendor == "postgresql":  # read with the rest there; SQLite leaves it to risks_record
        assert facts.risks is not None
        fields = ("community_id", "assessment_id", "assessed_at", "score", "level", "weekly")
        assert {pk: [getattr(r, f) for f in fields] for pk, r in facts.risks.items()} == {
            r.community_id: [getattr(r, f) for f in fields] for r in CurrentRisk.objects.all()
        }
        assert set(facts.risks) == {c1.pk, c2.pk}
    else:
        assert facts.risks is None
    previous, states, fingerprint = facts.previous, facts.states, facts.fingerprint
    assert (fingerprint is not None) == (connection.vendor == "postgresql")  # the catalogue's
    assert previous == {c1.pk: "high", c2.pk: "high", d.pk: None}
    assert first.pk < second.pk and tie.pk
    assert set(states) == {c2.pk}
    state = states[c2.pk]
    stored = ScoringState.objects.get(community=c2)
    assert (state.community_id, state.ref_at, state.window_days, state.sums) == (
        stored.community_id,
        stored.ref_at,
        stored.window_days,
        stored.sums,
    )


def test_a_batch_whose_key_is_taken_keeps_that_assessment_and_marks_its_reports_scored(cast, strong):
    waiting = report(cast, strong, value=2)
    assert waiting.status == ReportStatus.RECEIVED
    kept = assessment(waiting.community, timezone.now() - timedelta(minutes=5), "low", key=f"report:{waiting.pk}")
    reports_score([waiting.pk])
    waiting.refresh_from_db()
    assert (waiting.status, waiting.scored_at, waiting.scoring_claim) == (ReportStatus.SCORED, kept.assessed_at, None)
    assert list(RiskAssessment.objects.filter(community=waiting.community)) == [kept]
    assert not ScoringState.objects.filter(community=waiting.community).exists()  # assessed without it: rebuilt next
