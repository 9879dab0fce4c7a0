"""Surges, silence and forecasts kept in the cache (learning.kept): what a page found is
reused for EWERS_DASHBOARD_CACHE_SECONDS, and never once a report, a verification, a new
score or a rebuild changed what it was computed from, nor for another set of communities,
nor after its time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ewers.choices import RegionLevel
from ewers.models import Region
from ewers.versions import KEY, ROLLUPS, version
from indicators.choices import Verification
from indicators.models import FieldReport
from indicators.services.reports import field_report_verify
from indicators.services.rollups import rollups_rebuild
from learning.selectors import forecasts_build, stale_community_ids, surges_build
from tests.learning.api.test_forecasts import CLIMB, plant
from tests.learning.test_surges_selectors import plant_surge, readings

# Real commits: the versions are renewed when a writer commits (ewers.versions).
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def kept(settings):
    settings.EWERS_SURGE_MULTIPLE, settings.EWERS_SURGE_MIN_READINGS = 2.0, 5
    settings.EWERS_DASHBOARD_CACHE_SECONDS = 60
    return settings


def flagged(user, **kwargs):
    return [(row.community_code, row.theme_code, row.surge.recent) for row in surges_build(user, **kwargs)]


def rollup_queries(call) -> int:
    """The statements of ``call`` that read the rollups (the counting itself)."""
    with CaptureQueriesContext(connection) as captured:
        call()
    return sum("rollup" in (query["sql"] or "") for query in captured.captured_queries)


def test_the_counts_of_a_page_are_kept_and_reused(cast, kept):
    c1, _flat = plant_surge(cast)
    assert rollup_queries(lambda: flagged(cast.coordinator)) == 1
    assert rollup_queries(lambda: flagged(cast.coordinator)) == 0
    assert flagged(cast.coordinator) == [(c1.code, "tension", 6)]
    # The same for silence: its counts are kept under their own key.
    assert rollup_queries(lambda: stale_community_ids(cast.coordinator)) == 1
    assert rollup_queries(lambda: stale_community_ids(cast.coordinator)) == 0


def test_a_new_report_shows_at_once(cast, kept):
    c1, c2 = plant_surge(cast)
    assert flagged(cast.coordinator) == [(c1.code, "tension", 6)]
    readings(cast, c2, days_ago=1, count=7)  # c2 surges now: 9 this week against 2 a week
    assert {code for code, _theme, _n in flagged(cast.coordinator)} == {c1.code, c2.code}


def test_a_disputed_report_leaves_the_counts_at_once(cast, kept):
    c1, _flat = plant_surge(cast)
    assert flagged(cast.coordinator) == [(c1.code, "tension", 6)]
    recent = FieldReport.objects.filter(community=c1, observed_at__gte=timezone.now() - timedelta(days=3))
    for report in recent[:2]:
        field_report_verify(report=report, user=cast.coordinator, verification=Verification.DISPUTED)
    assert flagged(cast.coordinator) == []  # 4 left this week: under the floor of 5


def test_a_rebuild_makes_a_new_version(cast, kept):
    before = version(ROLLUPS)
    assert before is not None and version(ROLLUPS) == before
    rollups_rebuild([cast.places["c1"].pk])
    assert version(ROLLUPS) not in (None, before)


def test_a_writer_renews_the_version_when_it_commits(cast, kept):
    before = version(ROLLUPS)
    with transaction.atomic():
        readings(cast, cast.places["c2"], days_ago=1, count=3)
        # The writer's own transaction keeps nothing and reads nothing kept; the others
        # still read the data before it, under the token before.
        assert version(ROLLUPS) is None
        assert cache.get(KEY.format(name=ROLLUPS)) == before
    assert version(ROLLUPS) not in (None, before)


def test_a_write_rolled_back_leaves_the_version(cast, kept):
    before = version(ROLLUPS)
    with transaction.atomic():
        with pytest.raises(RuntimeError), transaction.atomic():
            readings(cast, cast.places["c2"], days_ago=1, count=1)
            raise RuntimeError  # the savepoint rolls back, and its renewal with it
        assert version(ROLLUPS) == before
    assert version(ROLLUPS) == before


def test_another_set_of_communities_never_gets_the_counts_kept_for_one(cast, kept):
    c1, c2 = plant_surge(cast)
    assert flagged(cast.coordinator) == [(c1.code, "tension", 6)]
    only_c2 = Region.objects.filter(pk=c2.pk)
    assert rollup_queries(lambda: flagged(cast.coordinator, communities=only_c2)) == 1
    assert flagged(cast.coordinator, communities=only_c2) == []
    # Outside the coverage: the other analyst's share holds neither community.
    assert flagged(cast.other_analyst) == []


def test_kept_counts_serve_for_their_time_only(cast, kept, monkeypatch):
    c1, _flat = plant_surge(cast)
    start = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: start)
    assert flagged(cast.coordinator) == [(c1.code, "tension", 6)]
    monkeypatch.setattr(timezone, "now", lambda: start + timedelta(seconds=30))
    assert rollup_queries(lambda: flagged(cast.coordinator)) == 0
    monkeypatch.setattr(timezone, "now", lambda: start + timedelta(seconds=61))
    assert rollup_queries(lambda: flagged(cast.coordinator)) == 1
    # A clock set back is not trusted either.
    monkeypatch.setattr(timezone, "now", lambda: start - timedelta(seconds=1))
    assert rollup_queries(lambda: flagged(cast.coordinator)) == 1
    # A week on, the surge is over: counted afresh, not served from before.
    monkeypatch.setattr(timezone, "now", lambda: start + timedelta(days=8))
    assert flagged(cast.coordinator) == []


def test_counts_at_a_given_moment_are_never_kept(cast, kept):
    plant_surge(cast)
    now = timezone.now()
    assert rollup_queries(lambda: flagged(cast.coordinator, now=now)) == 1
    assert rollup_queries(lambda: flagged(cast.coordinator, now=now)) == 1


def test_nothing_is_kept_when_switched_off_or_while_the_cache_is_away(cast, kept, monkeypatch):
    c1, _flat = plant_surge(cast)
    kept.EWERS_DASHBOARD_CACHE_SECONDS = 0
    assert rollup_queries(lambda: flagged(cast.coordinator)) == 1
    assert rollup_queries(lambda: flagged(cast.coordinator)) == 1
    kept.EWERS_DASHBOARD_CACHE_SECONDS = 60
    # A cache that keeps nothing (Redis away: ewers.cache answers every read with a miss).
    monkeypatch.setattr(cache, "get", lambda key, default=None, version=None: default)
    assert version(ROLLUPS) is None
    assert rollup_queries(lambda: flagged(cast.coordinator)) == 1
    assert flagged(cast.coordinator) == [(c1.code, "tension", 6)]
    monkeypatch.undo()
    cache.delete(KEY.format(name=ROLLUPS))  # a version lost with the cache: a new one, not an old one back
    assert version(ROLLUPS) is not None


def forecast_queries(call) -> int:
    """The statements of ``call`` that read the communities' weekly rollups."""
    with CaptureQueriesContext(connection) as captured:
        call()
    return sum("jsonb_each" in (q["sql"] or "") or "json_each" in (q["sql"] or "") for q in captured.captured_queries)


def forecast_now(user):
    return {area.code: area.forecast for area in forecasts_build(user, level=RegionLevel.DISTRICT)}


def test_forecasts_are_kept_until_a_new_score(cast, kept):
    plant(cast.places["c1"], CLIMB)
    district = cast.places["district"].code
    first = forecast_now(cast.coordinator)
    assert first[district] is not None and first[district].now_score == CLIMB[-1]
    assert forecast_queries(lambda: forecast_now(cast.coordinator)) == 0
    assert forecast_now(cast.coordinator) == first
    # A new score this week (the scorer's current risk and weekly rollup): current at once.
    plant(cast.places["c2"], [90.0])
    assert forecast_queries(lambda: forecast_now(cast.coordinator)) == 1
    assert forecast_now(cast.coordinator)[district].now_score == 90.0
    # Another share: its own areas, nothing kept for the coordinator's.
    assert district not in forecast_now(cast.other_analyst)
    # At a given moment (the API): never kept.
    now = timezone.now()
    assert forecast_queries(lambda: forecasts_build(cast.coordinator, now=now)) == 1
    assert forecast_queries(lambda: forecasts_build(cast.coordinator, now=now)) == 1
