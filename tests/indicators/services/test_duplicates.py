"""Possible duplicates across channels: the same author, community and readings within
EWERS_DUPLICATE_WINDOW_MINUTES are flagged on the later report (nothing is merged)."""

from __future__ import annotations

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.db import connection
from django.test import override_settings
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from indicators.models import FieldReport
from indicators.services import ReadingInput, ReportDraft
from indicators.services.reports_bulk import field_reports_create
from indicators.services.reports_write import readings_digest
from tests import factories

migration_digest = importlib.import_module("indicators.migrations.0014_readings_digest").readings_digest

pytestmark = pytest.mark.django_db


def _report(cast, *, user=None, community=None, value=3, minutes=0, indicator=None):
    return factories.make_report(
        user or cast.analyst,
        community or cast.places["c1"],
        indicator or cast.indicator,
        value=value,
        observed_at=timezone.now() - timedelta(hours=3) + timedelta(minutes=minutes),
    )


def test_it_flags_the_same_readings_by_the_same_author_within_the_window(cast):
    first = _report(cast)
    again = _report(cast, minutes=30)
    assert first.possible_duplicate_of is None
    assert again.possible_duplicate_of == first


def test_it_does_not_flag_other_readings_places_authors_or_times(cast):
    first = _report(cast)
    other_indicator = factories.make_indicator("P02", theme=cast.indicator.theme)
    assert _report(cast, value=2).possible_duplicate_of is None
    assert _report(cast, community=cast.places["c2"]).possible_duplicate_of is None
    assert _report(cast, user=cast.coordinator).possible_duplicate_of is None
    assert _report(cast, minutes=180).possible_duplicate_of is None
    two = factories.make_report(
        cast.analyst,
        cast.places["c1"],
        cast.indicator,
        readings=[ReadingInput(indicator=cast.indicator, value=3), ReadingInput(indicator=other_indicator, value=1)],
        observed_at=first.observed_at,
    )
    assert two.possible_duplicate_of is None


@override_settings(EWERS_DUPLICATE_WINDOW_MINUTES=0)
def test_a_window_of_zero_turns_the_flag_off(cast):
    _report(cast)
    assert _report(cast).possible_duplicate_of is None


def test_the_report_page_shows_the_flag_to_the_coordinator(cast, client):
    first = _report(cast)
    again = _report(cast, minutes=5)
    client.force_login(cast.coordinator)
    page = client.get(f"/reports/{again.pk}/").content.decode()
    assert "Possible duplicate" in page and f"/reports/{first.pk}/" in page
    assert "Possible duplicate" not in client.get(f"/reports/{first.pk}/").content.decode()
    assert client.get(f"/api/v1/reports/{again.pk}/").json()["possible_duplicate_of"] == first.pk
    # Not for those who may not know who reported (it says "the same person").
    client.force_login(cast.cso_user)
    assert "Possible duplicate" not in client.get(f"/reports/{again.pk}/").content.decode()


def test_the_readings_digest_is_that_of_the_set_of_readings():
    assert readings_digest([(1, 3.0), (2, 0.5)]) == readings_digest([(2, 0.5), (1, 3.0)])
    assert readings_digest([(1, -0.0)]) == readings_digest([(1, 0.0)])  # equal in a set too
    assert readings_digest([(1, 3)]) == readings_digest([(1, 3.0)])
    different = [[(1, 3.0)], [(1, 2.0)], [(2, 3.0)], [(1, 3.0), (2, 0.5)], [(1, 3.0000000000000004)], []]
    assert len({readings_digest(readings) for readings in different}) == len(different)


def test_each_report_keeps_the_digest_of_its_readings(cast):
    report = _report(cast, value=2)
    report.refresh_from_db()
    assert report.readings_digest == readings_digest([(cast.indicator.pk, 2.0)])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the bulk writer's comparison (PostgreSQL)")
def test_a_report_written_before_the_digest_is_compared_by_its_readings(cast):
    # Reports saved before the digest was kept have none: their readings are read instead.
    first = _report(cast)
    FieldReport.objects.filter(pk=first.pk).update(readings_digest=None)
    again = _report(cast, minutes=30)
    assert again.possible_duplicate_of == first
    other = _report(cast, value=1, minutes=-20)
    FieldReport.objects.filter(pk=other.pk).update(readings_digest=None)
    assert _report(cast, value=2, minutes=10).possible_duplicate_of is None
    batch = field_reports_create(
        user=cast.analyst,
        drafts=[
            ReportDraft(
                community=cast.places["c1"],
                observed_at=first.observed_at + timedelta(minutes=value),
                readings=[ReadingInput(indicator=cast.indicator, value=value)],
                source_reliability="B",
                information_credibility=2,
            )
            for value in (1, 3)
        ],
    )
    # The latest report with the same readings: one with its digest or one without.
    assert [FieldReport.objects.get(pk=o.report_id).possible_duplicate_of_id for o in batch] == [other.pk, again.pk]


@given(st.lists(st.tuples(st.integers(1, 10**6), st.floats(allow_nan=False, allow_infinity=False)), max_size=6))
def test_the_migration_back_fills_the_digest_the_writers_keep(readings):
    assert migration_digest(readings) == readings_digest(readings)


def test_the_migration_gives_the_reports_already_there_their_digest(cast):
    report = _report(cast, value=2)
    FieldReport.objects.filter(pk=report.pk).update(readings_digest=None)
    importlib.import_module("indicators.migrations.0014_readings_digest").backfill(apps, None)
    report.refresh_from_db()
    assert report.readings_digest == readings_digest([(cast.indicator.pk, 2.0)])


def test_the_migration_writes_the_digests_a_batch_at_a_time(cast, monkeypatch):
    """The back-fill reads the readings in the reports' order and writes BATCH digests at a
    time: with batches of two, five reports (the last batch short) all get theirs."""
    migration = importlib.import_module("indicators.migrations.0014_readings_digest")
    monkeypatch.setattr(migration, "BATCH", 2)
    reports = [_report(cast, value=value, minutes=value) for value in range(5)]
    FieldReport.objects.filter(pk__in=[r.pk for r in reports]).update(readings_digest=None)
    migration.backfill(apps, None)
    stored = dict(FieldReport.objects.filter(pk__in=[r.pk for r in reports]).values_list("pk", "readings_digest"))
    assert stored == {r.pk: readings_digest([(cast.indicator.pk, float(v))]) for v, r in enumerate(reports)}
