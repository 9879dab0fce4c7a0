"""Scoring claims own their reports (indicators/services/scoring_claims.py): a report a
scorer holds is left to it, by other scorers and by the sweep, until its lease lapses; the
scorer's own message, coming back, takes it again; a task of ``scoring_wake`` scores every
report waiting, batch after batch."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from indicators.choices import ReportStatus
from indicators.models import FieldReport, RiskAssessment
from indicators.services import report_score, reports_sweep, reports_waiting_score
from indicators.services.scoring_claims import claim
from tests.indicators.services.conftest import report

pytestmark = pytest.mark.django_db


def held(report_pk: int, by: str, seconds_ago: float = 0) -> None:
    FieldReport.objects.filter(pk=report_pk).update(
        scoring_claim=by, scoring_claimed_at=timezone.now() - timedelta(seconds=seconds_ago)
    )


def test_it_leaves_a_report_held_by_another_scorer_alone(cast):
    saved = report(cast, [cast.indicator], value=2)
    held(saved.pk, "task-a")
    assert report_score(report_id=saved.pk, claim_id="task-b") is None
    assert reports_waiting_score(claim_id="task-b") == 0
    saved.refresh_from_db()
    # Not claimed again: no attempt counted twice, the claim still the first scorer's.
    assert (saved.status, saved.scoring_attempts, saved.scoring_claim) == (ReportStatus.RECEIVED, 0, "task-a")


def test_it_takes_a_report_over_once_the_lease_has_lapsed(cast, settings):
    saved = report(cast, [cast.indicator], value=2)
    held(saved.pk, "task-a", seconds_ago=settings.EWERS_SCORING_LEASE_SECONDS + 1)
    assessment = report_score(report_id=saved.pk, claim_id="task-b")
    assert assessment is not None and assessment.key == f"report:{saved.pk}"
    saved.refresh_from_db()
    assert (saved.status, saved.scoring_attempts, saved.scoring_claim) == (ReportStatus.SCORED, 1, None)


def test_a_message_that_comes_back_takes_its_own_reports_again(cast):
    first, second = (report(cast, [cast.indicator], value=v) for v in (1, 2))
    assert sorted(pk for pk, _ in claim("task-a", limit=10)) == [first.pk, second.pk]
    # Another scorer finds nothing to take; the same task id (its message redelivered) does.
    assert claim("task-b", limit=10) == []
    assert reports_waiting_score(claim_id="task-a") == 2
    assert set(FieldReport.objects.values_list("status", "scoring_attempts")) == {(ReportStatus.SCORED, 2)}
    assert RiskAssessment.objects.get().key == f"report:{second.pk}"


def test_the_sweep_leaves_held_reports_to_their_scorer(cast, settings):
    saved = report(cast, [cast.indicator], value=2)
    now = timezone.now()
    FieldReport.objects.filter(pk=saved.pk).update(received_at=now - timedelta(hours=1))
    held(saved.pk, "task-a", seconds_ago=10)
    assert reports_sweep(now=now) == 0
    held(saved.pk, "task-a", seconds_ago=settings.EWERS_SCORING_LEASE_SECONDS + 1)
    assert reports_sweep(now=now) == 1  # the lease lapsed: its scorer is gone
    saved.refresh_from_db()
    assert saved.status == ReportStatus.SCORED


def test_a_waiting_task_scores_every_report_waiting_in_batches(cast, settings):
    settings.EWERS_SCORING_BATCH = 2
    c1, c2 = cast.places["c1"], cast.places["c2"]
    reports = [report(cast, [cast.indicator], value=2, community=c) for c in (c1, c2, c1, c2, c1)]
    assert reports_waiting_score() == 5
    assert set(FieldReport.objects.values_list("status", "scoring_attempts", "scoring_claim")) == {
        (ReportStatus.SCORED, 1, None)
    }
    # Three batches (2 + 2 + 1), one assessment per community in each.
    assert RiskAssessment.objects.count() == 5
    assert RiskAssessment.objects.filter(key=f"report:{reports[4].pk}").exists()
    assert reports_waiting_score() == 0


def _synchronous_commit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return str(cursor.fetchone()[0])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="synchronous_commit is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_a_claim_of_its_own_does_not_wait_for_the_disk_and_leaves_the_session_as_it_was(cast):
    saved = report(cast, [cast.indicator], value=2)
    # Committed, its eager task scored it: waiting again, as if no worker had come yet.
    FieldReport.objects.filter(pk=saved.pk).update(status=ReportStatus.RECEIVED, scoring_attempts=0)
    with CaptureQueriesContext(connection) as queries:
        assert claim("task-a", among=[saved.pk], limit=1) == [(saved.pk, saved.community_id)]
    # One statement in autocommit (no BEGIN … COMMIT around it), the setting local to its transaction.
    assert [q["sql"] for q in queries.captured_queries if "set_config('synchronous_commit', 'off', true)" in q["sql"]]
    assert len(queries.captured_queries) == 1
    assert _synchronous_commit() == "on"  # local: gone with the claim's commit
    saved.refresh_from_db()
    assert (saved.scoring_attempts, saved.scoring_claim) == (1, "task-a")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="synchronous_commit is PostgreSQL's")
def test_a_claim_inside_a_callers_transaction_leaves_its_commit_synchronous(cast):
    saved = report(cast, [cast.indicator], value=2)
    with transaction.atomic():
        assert claim("task-a", among=[saved.pk], limit=1) == [(saved.pk, saved.community_id)]
        assert _synchronous_commit() == "on"
