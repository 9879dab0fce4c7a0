"""The rollups a batch adds (indicators/services/rollups.py): only the day columns its
reports' days fall in are counted and added to; every other column of a row is left as it
was, and a new row has 0 in them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from indicators.models import ReadingRollup, ReportRollup
from indicators.rollups import DAY_COLUMNS, period_of
from indicators.services import ReadingInput, ReportDraft, field_report_create, field_reports_create
from indicators.services.rollups import day_of, rollups_columns
from tests.conftest import bulk_writes_only

TIMES = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.sampled_from([UTC, None])
).map(lambda at: at if at.tzinfo else at.replace(tzinfo=timezone.get_fixed_timezone(-11 * 60)))


@given(st.lists(TIMES, max_size=6))
def test_the_columns_are_those_of_each_times_utc_day(times):
    expected = {DAY_COLUMNS[(day_of(at) - datetime(1970, 1, 1).date()).days % len(DAY_COLUMNS)] for at in times}
    assert rollups_columns(times) == expected
    assert rollups_columns(times) == {period_of(at.astimezone(UTC).date())[1] for at in times}


def test_a_time_near_midnight_counts_in_its_utc_day():
    late = datetime(2026, 3, 1, 23, 30, tzinfo=timezone.get_fixed_timezone(-120))  # 01:30 UTC on 2 March
    assert rollups_columns([late]) == {period_of(datetime(2026, 3, 2).date())[1]}


def _rows(model, **key):
    return {row.start: [getattr(row, c) for c in DAY_COLUMNS] for row in model.objects.filter(**key)}


@bulk_writes_only
@pytest.mark.django_db
def test_a_batch_adds_to_its_days_columns_and_leaves_the_others(cast):
    community = cast.places["c1"]
    now = timezone.now()
    earlier = now - timedelta(days=3)
    # A report alone first: its day's column holds 1 in both rollups.
    field_report_create(
        user=cast.analyst,
        community=community,
        observed_at=earlier,
        readings=[ReadingInput(indicator="P01", value=3)],
        source_reliability="B",
        information_credibility=2,
    )
    before_readings = _rows(ReadingRollup, community=community)
    before_reports = _rows(ReportRollup, community=community)
    # Then a batch of two reports today, and one 40 days ago (another period: a new row).
    drafts = [
        ReportDraft(
            community=community,
            observed_at=at,
            readings=[ReadingInput(indicator="P01", value=2)],
            source_reliability="B",
            information_credibility=2,
        )
        for at in (now - timedelta(minutes=5), now - timedelta(minutes=9), now - timedelta(days=40))
    ]
    assert all(o.created for o in field_reports_create(user=cast.analyst, drafts=drafts))

    def expected(before: dict) -> dict:
        rows = {start: list(days) for start, days in before.items()}
        for draft in drafts:
            start, column = period_of(day_of(draft.observed_at))
            rows.setdefault(start, [0] * len(DAY_COLUMNS))[DAY_COLUMNS.index(column)] += 1
        return rows

    assert _rows(ReadingRollup, community=community) == expected(before_readings)
    assert _rows(ReportRollup, community=community) == expected(before_reports)
