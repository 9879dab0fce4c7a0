"""The precomputed risk (indicators/services/risk.py): the current risk and weekly rollup
the scorer keeps with each assessment equal a recompute from the assessments, whatever
the order the assessments come in, and they follow the same access rule."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ewers.choices import RiskLevel
from indicators.models import KEPT_WEEKS, CurrentRisk, RiskAssessment
from indicators.services import community_assess, risk_rebuild, risk_recompute, risk_record
from indicators.services.risk import week_of, weekly_pruned
from tests.indicators.services.conftest import report

pytestmark = pytest.mark.django_db


def as_tuples(rows):
    return sorted((r.community_id, r.assessment_id, r.assessed_at, r.score, r.level, r.weekly) for r in rows)


def kept():
    return as_tuples(CurrentRisk.objects.all())


def recomputed():
    return as_tuples(risk_recompute())


def test_it_takes_the_monday_of_the_local_week(settings):
    settings.TIME_ZONE = "Asia/Kuala_Lumpur"
    assert week_of(datetime(2024, 6, 13, 15, 30, tzinfo=UTC)) == date(2024, 6, 10)
    # Monday 00:00 in Kuala Lumpur is Sunday 16:00 UTC.
    assert week_of(datetime(2024, 6, 9, 16, 0, tzinfo=UTC)) == date(2024, 6, 10)
    assert week_of(datetime(2024, 6, 9, 15, 59, tzinfo=UTC)) == date(2024, 6, 3)
    # Sunday 23:30 UTC is Monday 07:30 local: the local Monday's week.
    assert week_of(datetime(2024, 6, 9, 23, 30, tzinfo=UTC)) == date(2024, 6, 10)
    # A zone activated for a request (a user's) does not move the deployment's weeks.
    with timezone.override("UTC"):
        assert week_of(datetime(2024, 6, 9, 23, 30, tzinfo=UTC)) == date(2024, 6, 10)
    settings.TIME_ZONE = "UTC"
    assert week_of(datetime(2024, 6, 9, 23, 30, tzinfo=UTC)) == date(2024, 6, 3)


def test_it_keeps_the_weeks_a_year_long_matrix_needs():
    latest = date(2024, 6, 10)
    weekly = {(latest - timedelta(weeks=n)).isoformat(): float(n) for n in range(KEPT_WEEKS + 3)}
    pruned = weekly_pruned(weekly, latest)
    assert len(pruned) == KEPT_WEEKS + 1 > 52
    assert min(pruned) == (latest - timedelta(weeks=KEPT_WEEKS)).isoformat()


def test_the_scorer_keeps_the_rows_a_recompute_gives(cast, strong):
    c1, c2 = cast.places["c1"], cast.places["c2"]
    now = timezone.now()
    first = report(cast, strong, enqueue_scoring=False)
    community_assess(community_id=c1.pk, key="a", cause="report", report=first)
    report(cast, strong, community=c2, enqueue_scoring=False)
    community_assess(community_id=c2.pk, key="b", cause="report")
    # Replayed at past moments (as the demo seed does): a week ago, and a month ago.
    community_assess(community_id=c1.pk, key="c", cause="report", at=now - timedelta(days=7))
    community_assess(community_id=c1.pk, key="d", cause="report", at=now - timedelta(days=30))
    # A task run twice changes nothing.
    community_assess(community_id=c1.pk, key="a", cause="report", report=first)

    assert kept() == recomputed()
    latest = RiskAssessment.objects.filter(community=c1).order_by("-assessed_at", "-id").first()
    row = CurrentRisk.objects.get(community=c1)
    assert (row.assessment_id, row.score, row.level) == (latest.pk, latest.score, latest.level)
    assert len(row.weekly) >= 2
    assert CurrentRisk.objects.count() == 2


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 1),  # which community
            st.integers(0, 7 * (KEPT_WEEKS + 3)),  # days back: some fall off the kept weeks
            st.sampled_from([0, 1, 3600]),  # seconds: equal times happen (ties go to the higher id)
            st.floats(0, 100, allow_nan=False),
        ),
        min_size=1,
        max_size=25,
    )
)
def test_any_sequence_of_assessments_keeps_what_a_recompute_gives(cast, assessments):
    communities = [cast.places["c1"], cast.places["c2"]]
    base = datetime(2024, 6, 9, 15, 0, tzinfo=UTC)  # near a local week's edge (Monday 00:00 is 16:00 UTC)
    with transaction.atomic():
        for which, days, seconds, score in assessments:
            assessment = RiskAssessment.objects.create(
                community=communities[which],
                assessed_at=base - timedelta(days=days) + timedelta(seconds=seconds),
                score=score,
                raw_score=score / 10,
                level=RiskLevel.LOW,
            )
            risk_record(assessment=assessment)
        assert kept() == recomputed()
        transaction.set_rollback(True)


def test_a_rebuild_replaces_rows_that_drifted(cast):
    c1, c2 = cast.places["c1"], cast.places["c2"]
    at = timezone.now()
    for community, score in ((c1, 30.0), (c1, 60.0), (c2, 10.0)):
        risk_record(
            assessment=RiskAssessment.objects.create(
                community=community, assessed_at=at, score=score, raw_score=1, level=RiskLevel.LOW
            )
        )
    # Written behind the scorer's back (a bulk load): the kept rows are stale.
    RiskAssessment.objects.create(
        community=c2, assessed_at=at + timedelta(hours=1), score=90, raw_score=9, level=RiskLevel.CRITICAL
    )
    CurrentRisk.objects.filter(community=c1).update(weekly={})
    assert kept() != recomputed()
    assert risk_rebuild(community_ids=[c1.pk]) == 1
    assert CurrentRisk.objects.get(community=c1).weekly == {week_of(at).isoformat(): 60.0}
    assert kept() != recomputed()  # c2 not rebuilt yet
    assert risk_rebuild() == 2
    assert kept() == recomputed()
    assert CurrentRisk.objects.get(community=c2).level == RiskLevel.CRITICAL


def test_the_kept_rows_follow_coverage(cast):
    for community in (cast.places["c1"], cast.other_places["c1"]):
        risk_record(
            assessment=RiskAssessment.objects.create(community=community, score=10, raw_score=1, level=RiskLevel.LOW)
        )
    visible = CurrentRisk.objects.visible_to(cast.analyst)
    assert list(visible.values_list("community", flat=True)) == [cast.places["c1"].pk]
    assert CurrentRisk.objects.visible_to(cast.other_analyst).count() == 1
    assert CurrentRisk.objects.visible_to(cast.police_user).count() == 2


def test_the_migration_to_local_weeks_rewrites_kept_utc_weeks(cast, settings):
    """indicators/migrations/0008_local_weeks: rows kept with UTC weeks become the
    rollup a recompute gives in TIME_ZONE."""
    import importlib

    from django.apps import apps

    settings.TIME_ZONE = "Asia/Kuala_Lumpur"
    c1 = cast.places["c1"]
    at = datetime(2024, 6, 9, 23, 30, tzinfo=UTC)  # Monday 07:30 in Kuala Lumpur
    risk_record(
        assessment=RiskAssessment.objects.create(
            community=c1, assessed_at=at, score=50, raw_score=5, level=RiskLevel.MODERATE
        )
    )
    CurrentRisk.objects.filter(community=c1).update(weekly={"2024-06-03": 50.0})  # the UTC week
    importlib.import_module("indicators.migrations.0008_local_weeks").local_weeks(apps, None)
    assert CurrentRisk.objects.get(community=c1).weekly == {"2024-06-10": 50.0}
    assert kept() == recomputed()
