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
from hypothesis import given
from hypothesis import strategies as st

from indicators.choices import ReportStatus
from indicators.models import FieldReport, RiskAssessment
from indicators.services import report_score, reports_sweep, reports_waiting_score
from indicators.services.scoring_claims import by_community, claim
from indicators.services.scoring_wake import scoring_wake_another
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
    # Three batches of whole communities, the oldest first, cut at the limit: c1's two
    # oldest (c1 has three), then c2's two, then c1's last: one assessment each.
    keys = set(RiskAssessment.objects.values_list("key", flat=True))
    assert keys == {f"report:{reports[n].pk}" for n in (2, 3, 4)}
    assert reports_waiting_score() == 0


def _backlog(cast):
    """Three reports waiting, oldest first: c1, c2, c1."""
    c1, c2 = cast.places["c1"], cast.places["c2"]
    saved = [report(cast, [cast.indicator], value=2, community=c) for c in (c1, c2, c1)]
    # Their eager tasks scored them: waiting again, received in this order.
    now = timezone.now()
    for n, row in enumerate(saved):
        FieldReport.objects.filter(pk=row.pk).update(
            status=ReportStatus.RECEIVED, scoring_attempts=0, received_at=now - timedelta(minutes=10 - n)
        )
    return [row.pk for row in saved]


def test_a_backlog_claim_takes_whole_communities_oldest_first(cast):
    r0, r1, r2 = _backlog(cast)
    # c1 (the oldest report) with both of its reports: the limit is reached before c2.
    assert sorted(pk for pk, _ in claim("task-a", limit=2, whole=True)) == [r0, r2]
    assert claim("task-a", limit=2, whole=True, own=False) == [(r1, cast.places["c2"].pk)]


def test_a_backlog_claim_cuts_only_its_last_community_at_the_limit(cast):
    r0, _r1, _r2 = _backlog(cast)
    assert claim("task-a", limit=1, whole=True) == [(r0, cast.places["c1"].pk)]


def test_a_backlog_claim_leaves_the_communities_another_scorer_holds(cast, settings):
    r0, r1, r2 = _backlog(cast)
    held(r2, "task-b")  # one of c1's reports: c1 is task-b's until it is done
    # More wait (r0, r1) than the limit: a backlog, claimed by community, c1 left to task-b.
    assert claim("task-a", limit=1, whole=True) == [(r1, cast.places["c2"].pk)]
    held(r2, "task-b", seconds_ago=settings.EWERS_SCORING_LEASE_SECONDS + 1)  # its scorer is gone
    assert claim("task-c", limit=1, whole=True) == [(r0, cast.places["c1"].pk)]


def test_a_claim_of_all_that_waits_takes_every_report(cast):
    r0, r1, r2 = _backlog(cast)
    held(r2, "task-b")
    # No backlog (two free reports, a limit of ten): both, as a plain claim takes them.
    assert sorted(pk for pk, _ in claim("task-a", limit=10, whole=True)) == [r0, r1]
    assert claim("task-a", limit=10, whole=True, own=False) == []


@given(
    communities=st.lists(st.integers(min_value=1, max_value=5), max_size=30),
    limit=st.integers(min_value=1, max_value=12),
)
def test_by_community_takes_whole_communities_in_order_up_to_the_limit(communities, limit):
    waiting = list(enumerate(communities))  # report n of community c, oldest first
    chosen = by_community(waiting, limit)
    assert len(chosen) == min(limit, len(waiting))
    order = list(dict.fromkeys(communities))
    taken = list(dict.fromkeys(c for _pk, c in chosen))
    assert taken == order[: len(taken)]  # the communities of the oldest reports first
    for n, community in enumerate(taken):
        mine = [pk for pk, c in chosen if c == community]
        waiting_of = [pk for pk, c in waiting if c == community]
        # Whole, but for the last one taken, which may be cut short: its oldest reports.
        assert mine == (waiting_of if n < len(taken) - 1 else waiting_of[: len(mine)])


def test_in_process_a_backlog_wakes_no_scorer_inside_the_scorer():
    assert scoring_wake_another() is False  # tasks run at once here: the scorer goes on alone


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
