"""Many reports at once (indicators/services/reports_bulk.py): each checked as one report,
the valid ones written together in a bounded number of queries whatever their number,
with their history rows and readings, and one scoring task for all of them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ewers.exceptions import IdempotencyKeyReused
from ewers.models import User
from ewers.versions import ROLLUPS, renewer
from indicators.choices import ReportStatus
from indicators.models import FieldReport, Reading
from indicators.services import ReadingInput, ReportDraft, field_reports_create, field_reports_validate
from indicators.services.reports_write import DUPLICATE_CANDIDATES, NewReport
from tests import factories
from tests.commits import tasks_queued
from tests.conftest import bulk_writes_only

pytestmark = pytest.mark.django_db


def draft(cast, *, minutes: int = 0, value: float = 3, **overrides) -> ReportDraft:
    values = {
        "community": cast.places["c1"],
        "observed_at": timezone.now() - timedelta(hours=2) + timedelta(minutes=minutes),
        "readings": [ReadingInput(indicator="P01", value=value)],
        "source_reliability": "B",
        "information_credibility": 2,
        "narrative": f"Visit {minutes}.",
    }
    values.update(overrides)
    return ReportDraft(**values)


def queries_to_create(cast, count: int) -> int:
    drafts = [draft(cast, minutes=-7 * n, value=n % 5, idempotency_key=f"k-{count}-{n}") for n in range(count)]
    # The user as each request loads it: what it reads once per user object, it reads each time.
    user = User.objects.get(pk=cast.analyst.pk)
    with CaptureQueriesContext(connection) as captured:
        outcomes = field_reports_create(user=user, drafts=drafts)
    assert [outcome.created for outcome in outcomes] == [True] * count
    return len(captured.captured_queries)


@bulk_writes_only
def test_it_writes_any_number_of_reports_in_the_same_number_of_queries(cast):
    few = queries_to_create(cast, 3)
    many = queries_to_create(cast, 60)
    assert few == many
    assert FieldReport.objects.count() == 63
    assert Reading.objects.count() == 63
    # Every report has its history row, as one saved alone has.
    assert FieldReport.history.filter(history_type="+").count() == 63  # type: ignore[attr-defined]


@bulk_writes_only
def test_it_writes_a_batch_in_at_most_a_dozen_queries(cast, django_assert_max_num_queries):
    drafts = [draft(cast, minutes=-7 * n) for n in range(40)]
    with django_assert_max_num_queries(12):
        outcomes = field_reports_create(user=cast.analyst, drafts=drafts)
    assert all(outcome.created for outcome in outcomes)


def test_it_queues_one_scoring_task_for_the_whole_batch(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        outcomes = field_reports_create(user=cast.analyst, drafts=[draft(cast, minutes=-9 * n) for n in range(5)])
    scoring = tasks_queued(callbacks)
    assert len(scoring) == 1
    # The rollups' version moves once on commit, however many reports (learning.kept).
    assert callbacks.count(renewer(ROLLUPS)) == 1
    scoring[0]()  # the eager broker of the tests scores them at once
    ids = [outcome.report_id for outcome in outcomes]
    assert set(FieldReport.objects.filter(pk__in=ids).values_list("status", flat=True)) == {ReportStatus.SCORED}


def test_an_invalid_report_is_answered_and_the_others_saved(cast):
    outcomes = field_reports_create(
        user=cast.analyst,
        drafts=[
            draft(cast),
            draft(cast, community=cast.other_places["c1"]),
            draft(cast, minutes=5, readings=[ReadingInput(indicator="P01", value=99)]),
            draft(cast, minutes=10, readings=[ReadingInput(indicator="NOPE", value=1)]),
        ],
    )
    assert [outcome.created for outcome in outcomes] == [True, False, False, False]
    assert isinstance(outcomes[1].error, ValidationError)
    assert outcomes[1].error.message_dict == {"community": ["Unknown community."]}
    assert outcomes[2].error.message_dict["readings"] == ["Reading 1: P01 takes values from 0 to 4, not 99."]
    assert outcomes[3].error.message_dict["readings"] == ["Reading 1: unknown indicator NOPE."]
    assert list(FieldReport.objects.values_list("pk", flat=True)) == [outcomes[0].report_id]


def test_a_key_sent_twice_in_one_batch_makes_one_report(cast):
    same = draft(cast, idempotency_key="twice")
    other = draft(cast, minutes=30, idempotency_key="twice")
    outcomes = field_reports_create(user=cast.analyst, drafts=[same, same, other])
    first = outcomes[0].report_id
    assert (outcomes[0].created, outcomes[1].created, outcomes[1].report_id) == (True, False, first)
    assert isinstance(outcomes[2].error, IdempotencyKeyReused)
    assert outcomes[2].error.first_id == first
    assert FieldReport.objects.count() == 1
    again = field_reports_create(user=cast.analyst, drafts=[same])
    assert (again[0].created, again[0].report_id) == (False, first)


def test_a_later_report_of_the_batch_is_flagged_as_a_possible_duplicate(cast):
    earlier = factories.make_report(
        cast.analyst, cast.places["c1"], cast.indicator, value=2, observed_at=timezone.now() - timedelta(hours=2)
    )
    outcomes = field_reports_create(
        user=cast.analyst, drafts=[draft(cast, minutes=10), draft(cast, minutes=20), draft(cast, minutes=25, value=2)]
    )
    reports = FieldReport.objects.in_bulk([outcome.report_id for outcome in outcomes])
    first, second, third = (reports[outcome.report_id] for outcome in outcomes)
    assert first.possible_duplicate_of_id is None
    assert second.possible_duplicate_of_id == first.pk
    assert third.possible_duplicate_of_id == earlier.pk


def test_validating_writes_nothing_and_gives_each_report_its_messages(cast):
    errors = field_reports_validate(
        user=cast.analyst, drafts=[draft(cast), draft(cast, source_reliability="Z"), draft(cast, narrative="\x00")]
    )
    assert errors[0] is None
    assert errors[1] is not None and errors[1].message_dict == {
        "source_reliability": ["Source reliability is a grade from A to F."]
    }
    assert errors[2] is not None and errors[2].message_dict == {"narrative": ["The text contains a NUL character."]}
    assert FieldReport.objects.count() == 0


def test_the_duplicate_window_holds_its_edges_to_the_microsecond(cast, settings):
    """A saved report exactly at the window's edge is a candidate, one a microsecond
    beyond is not, whether it lies before or after the new one."""
    settings.EWERS_DUPLICATE_WINDOW_MINUTES = 60
    window = timedelta(minutes=60)
    moment = timezone.now() - timedelta(hours=5)

    def saved(at, value):
        return factories.make_report(cast.analyst, cast.places["c1"], cast.indicator, value=value, observed_at=at)

    inside_before, outside_before = saved(moment - window, 1), saved(moment - window - timedelta(microseconds=1), 2)
    inside_after, outside_after = saved(moment + window, 3), saved(moment + window + timedelta(microseconds=1), 4)
    outcomes = field_reports_create(
        user=cast.analyst,
        drafts=[draft(cast, observed_at=moment, value=value, narrative=f"edge {value}") for value in (1, 2, 3, 4)],
    )
    flagged = [FieldReport.objects.get(pk=outcome.report_id).possible_duplicate_of_id for outcome in outcomes]
    assert flagged == [inside_before.pk, None, inside_after.pk, None]
    assert {outside_before.pk, outside_after.pk}.isdisjoint(flagged)


def new_report(cast, observed_at) -> NewReport:
    """A report about to be written in c1, one P01 reading at 1, as the bulk writer takes it."""
    return NewReport(
        pk=None,
        community_id=cast.places["c1"].pk,
        observed_at=observed_at,
        source_reliability="B",
        information_credibility=2,
        narrative="",
        source_reference=None,
        handling_level="partners",
        idempotency_key=None,
        idempotency_fingerprint=None,
        readings=[(cast.indicator.pk, 1.0)],
    )


@bulk_writes_only
def test_a_busy_window_is_read_to_its_latest_twenty_reports_and_flags_as_one_report_alone(cast, settings):
    """However many reports the author filed in a window (a gateway's account files every
    SMS of a district), each new report is compared with the latest twenty of them, as
    one sent alone is (``_possible_duplicate``), and no more of them are read."""
    from indicators.services.reports import _possible_duplicate
    from indicators.services.reports_write import _neighbours, readings_digest

    settings.EWERS_DUPLICATE_WINDOW_MINUTES = 120
    moment = timezone.now() - timedelta(hours=5)

    def saved(minutes, value):
        at = moment + timedelta(minutes=minutes)
        return factories.make_report(cast.analyst, cast.places["c1"], cast.indicator, value=value, observed_at=at)

    beyond = saved(-100, 1)  # the same readings, but older than twenty others of the window
    later = [saved(-90 + n, 2) for n in range(DUPLICATE_CANDIDATES)]
    among = saved(-95, 3)  # the same readings as the third draft, yet also beyond the latest twenty
    read = _neighbours(cast.analyst, [new_report(cast, moment)], timedelta(minutes=120))
    assert sorted(row[0] for row in read) == sorted(r.pk for r in later)

    alone = FieldReport(created_by=cast.analyst, community=cast.places["c1"], observed_at=moment)
    digests = [readings_digest([(cast.indicator.pk, value)]) for value in (1.0, 2.0, 3.0)]
    one_by_one = [_possible_duplicate(alone, digest) for digest in digests]
    assert one_by_one == [None, later[-1].pk, None]

    drafts = [draft(cast, observed_at=moment, value=value, narrative=f"busy {value}") for value in (1, 2, 3)]
    outcomes = field_reports_create(user=cast.analyst, drafts=drafts)
    flagged = [FieldReport.objects.get(pk=outcome.report_id).possible_duplicate_of_id for outcome in outcomes]
    assert flagged == one_by_one
    assert {beyond.pk, among.pk}.isdisjoint(flagged)


@bulk_writes_only
@pytest.mark.parametrize("others", [DUPLICATE_CANDIDATES - 1, DUPLICATE_CANDIDATES])
def test_reports_of_the_same_moment_are_candidates_latest_id_first(cast, settings, others):
    """Twenty saved reports observed at one moment: the earliest saved of them is the
    twenty-first candidate once there are twenty others, as for one report alone."""
    from indicators.services.reports import _possible_duplicate
    from indicators.services.reports_write import _neighbours, readings_digest

    settings.EWERS_DUPLICATE_WINDOW_MINUTES = 120
    moment = timezone.now() - timedelta(hours=5)
    at = moment - timedelta(minutes=10)
    first = factories.make_report(cast.analyst, cast.places["c1"], cast.indicator, value=1, observed_at=at)
    for _n in range(others):
        factories.make_report(cast.analyst, cast.places["c1"], cast.indicator, value=2, observed_at=at)
    # Every report of the shared moment is read, the ids choose among them (a plain limit
    # would read an arbitrary twenty).
    read = _neighbours(cast.analyst, [new_report(cast, moment)], timedelta(minutes=120))
    assert len(read) == others + 1
    alone = FieldReport(created_by=cast.analyst, community=cast.places["c1"], observed_at=moment)
    expected = first.pk if others < DUPLICATE_CANDIDATES else None
    assert _possible_duplicate(alone, readings_digest([(cast.indicator.pk, 1.0)])) == expected
    [outcome] = field_reports_create(user=cast.analyst, drafts=[draft(cast, observed_at=moment, value=1)])
    assert FieldReport.objects.get(pk=outcome.report_id).possible_duplicate_of_id == expected
