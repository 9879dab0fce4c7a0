"""Surges and silence read from the database: a planted surge of readings is flagged in
/api/v1/surges/, on the community page and in the heatmap's list; a flat series is not;
a community whose reporting stopped is stale, not low."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from learning.selectors import stale_community_ids, surges_build
from tests import factories

pytestmark = pytest.mark.django_db


def readings(cast, community, *, days_ago, count):
    for n in range(count):
        factories.make_report(
            cast.analyst,
            community,
            cast.indicator,
            value=2,
            observed_at=timezone.now() - timedelta(days=days_ago, hours=n + 1),
        )


def plant_surge(cast):
    """c1: one reading a week for eight weeks, then six this week (tension); c2 flat: two a
    week for nine weeks."""
    c1, c2 = cast.places["c1"], cast.places["c2"]
    for week in range(1, 9):
        readings(cast, c1, days_ago=7 * week + 2, count=1)
    readings(cast, c1, days_ago=1, count=6)
    for week in range(9):
        readings(cast, c2, days_ago=7 * week + 2, count=2)
    return c1, c2


def test_a_planted_surge_is_flagged_and_a_flat_series_is_not(cast, settings):
    settings.EWERS_SURGE_MULTIPLE, settings.EWERS_SURGE_MIN_READINGS = 2.0, 5
    c1, _flat = plant_surge(cast)
    rows = surges_build(cast.coordinator)
    assert [(r.community_code, r.theme_code, r.surge.recent, r.surge.baseline) for r in rows] == [
        (c1.code, "tension", 6, 1.0)
    ]
    client = APIClient()
    client.force_authenticate(cast.analyst)
    body = client.get("/api/v1/surges/").json()
    assert [(r["community"], r["theme"], r["ratio"]) for r in body["results"]] == [(c1.code, "tension", 6.0)]
    # Outside the coverage: nothing (the other analyst covers the U tree only).
    client.force_authenticate(cast.other_analyst)
    assert client.get("/api/v1/surges/").json()["results"] == []


def test_the_community_page_and_the_heatmap_show_the_surge(cast, client, settings):
    settings.EWERS_SURGE_MULTIPLE, settings.EWERS_SURGE_MIN_READINGS = 2.0, 5
    c1, c2 = plant_surge(cast)
    client.force_login(cast.coordinator)
    assert "Surge: Tension" in client.get(f"/communities/{c1.code}/").content.decode()
    assert "Surge: Tension" not in client.get(f"/communities/{c2.code}/").content.decode()
    page = client.get("/heatmap/", {"level": "community"})
    rows = {row["area"].code: row for row in page.context["page"].object_list}
    assert [s.theme_code for s in rows[c1.code]["surges"]] == ["tension"] and rows[c2.code]["surges"] == []
    assert "Surge: Tension" in rows[c1.code]["area"].signals  # the map's hover


def test_a_community_whose_reporting_stopped_is_stale_not_low(cast, client, settings):
    settings.EWERS_STALE_DAYS, settings.EWERS_STALE_MIN_WEEKLY_REPORTS = 14, 1.0
    c1, c2 = cast.places["c1"], cast.places["c2"]
    for week in range(8):
        readings(cast, c1, days_ago=14 + 7 * week + 2, count=2)  # reported, then nothing for 2 weeks
        readings(cast, c2, days_ago=7 * week + 1, count=2)  # still reporting
    assert stale_community_ids(cast.coordinator) == {c1.pk}
    client.force_login(cast.coordinator)
    html = client.get(f"/communities/{c1.code}/").content.decode()
    assert "Stale" in html and "read it as unknown, not low" in html
    assert "signal-stale" in html and "badge-large level-low" not in html
    assert "Stale" not in client.get(f"/communities/{c2.code}/").content.decode()
    body = APIClient()
    body.force_authenticate(cast.coordinator)
    assert body.get("/api/v1/surges/").json()["stale"] == [{"community": c1.code, "community_name": c1.name}]
