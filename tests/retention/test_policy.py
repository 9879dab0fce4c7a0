"""The retention policy's pure rules (retention/policy.py): due on the day, not a day before;
a report counted from the last close since it came in, else its scoring; kept whole while
its community has an open alert or before it is scored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from retention.policy import KINDS, RetentionPolicy, is_due, report_counted_from, retention_cutoff

moments = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC))
days = st.integers(min_value=1, max_value=3650)


@given(moments, days)
def test_a_thing_is_due_on_the_day_and_not_a_day_before(counted_from, kept):
    on_the_day = counted_from + timedelta(days=kept)
    assert is_due(counted_from, on_the_day, kept)
    assert is_due(counted_from, on_the_day + timedelta(days=3), kept)
    assert not is_due(counted_from, on_the_day - timedelta(days=1), kept)
    assert not is_due(counted_from, on_the_day - timedelta(microseconds=1), kept)


@given(moments, st.integers(min_value=0, max_value=10_000))
def test_zero_days_keeps_for_ever(counted_from, later):
    assert retention_cutoff(counted_from, 0) is None
    assert not is_due(counted_from, counted_from + timedelta(days=later), 0)


@given(moments, moments, st.lists(moments, max_size=5))
def test_a_report_counts_from_the_last_close_since_it_came_in_else_its_scoring(received, scored, closes):
    counted = report_counted_from(received_at=received, scored_at=scored, closes=closes, open_alert=False)
    since = [c for c in closes if c >= received]
    assert counted == (max(since) if since else scored)
    assert report_counted_from(received_at=received, scored_at=scored, closes=closes, open_alert=True) is None
    assert report_counted_from(received_at=received, scored_at=None, closes=closes, open_alert=False) is None
    # Kept whole is never due, whatever the days.
    assert not is_due(None, received + timedelta(days=10_000), 1)


def test_the_policy_names_each_kind():
    policy = RetentionPolicy(
        narrative_days=365, source_reference_days=90, notification_days=180, refused_access_days=0, batch=10
    )
    now = datetime(2026, 6, 1, tzinfo=UTC)
    assert [policy.days(kind) for kind in KINDS] == [365, 90, 180, 0]
    assert policy.cutoff("source_references", now) == now - timedelta(days=90)
    assert policy.cutoff("refused_access", now) is None
