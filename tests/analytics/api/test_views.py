"""The heatmap API (analytics/api/views.py): the hand-computed numbers, each user's coverage
exactly, bad parameters as field messages."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from analytics import heatmap


def api(client, user, **params):
    client.force_login(user)
    return client.get(reverse("api-heatmap"), params)


def test_it_answers_the_api_with_the_hand_computed_numbers(client, cast, tree):
    response = api(client, cast.coordinator, level="district", weeks=3, stat="mean")
    assert response.status_code == 200
    body = response.json()
    assert (body["level"], body["weeks"], body["stat"]) == ("district", 3, "mean")
    assert body["areas"][0] == {
        "code": "T-1-1",
        "name": "T district",
        "level": "high",
        "score": 60.0,
        "communities": 2,
        "assessed": 2,
        "open_alerts": 0,
    }
    assert body["matrix"]["areas"] == ["T-1-1", "T-1-2", "T-2-1"]
    weeks = heatmap.week_window(timezone.now(), 3, timezone.get_default_timezone())
    assert body["matrix"]["weeks"] == [d.isoformat() for d in weeks]
    assert body["matrix"]["values"] == [[None, 35.0, 60.0], [60.0, None, 10.0], [None, None, None]]


@pytest.mark.parametrize(
    ("who", "codes"),
    [
        ("coordinator", ["T-1-1-1", "T-1-1-2", "T-1-2-1", "T-2-1-1"]),
        ("analyst", ["T-1-1-1", "T-1-1-2", "T-1-2-1"]),  # the lab covers region T-1
        ("cso_user", ["T-1-1-1"]),  # the CSO covers one community
        ("other_analyst", ["U-1-1-1", "U-1-1-2"]),
    ],
)
def test_it_shows_each_user_exactly_their_coverage(client, cast, tree, who, codes):
    body = api(client, getattr(cast, who)).json()
    assert [a["code"] for a in body["areas"]] == codes
    assert body["matrix"]["areas"] == codes


def test_it_refuses_a_region_outside_the_coverage(client, cast, tree):
    response = api(client, cast.other_analyst, region="T-1")
    assert response.status_code == 400
    assert "region" in response.json()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"level": "country"}, "level"),
        ({"weeks": "0"}, "weeks"),
        ({"weeks": "53"}, "weeks"),
        ({"weeks": "twelve"}, "weeks"),
        ({"stat": "median"}, "stat"),
        ({"theme": "no-such-theme"}, "theme"),
        ({"category": "imminent"}, "category"),
        ({"region": "T-1-1-1"}, "region"),  # a community is not a region filter
        ({"region": "bad\x00code"}, "region"),
    ],
)
def test_it_answers_bad_parameters_with_field_messages(client, cast, params, field):
    response = api(client, cast.coordinator, **params)
    assert response.status_code == 400
    assert field in response.json()


def test_it_asks_for_a_sign_in(client):
    assert client.get(reverse("api-heatmap")).status_code in (401, 403)
    assert client.get(reverse("analytics:heatmap")).status_code == 302


def test_the_heatmap_is_built_with_the_cyclic_collector_paused_and_it_runs_again_after(client, cast, tree, monkeypatch):
    # A map's thousands of rows, none in a cycle: young collections walking them again and
    # again cost the API and the page more than a third of their time (ewers.runtime.collector_paused).
    import gc

    import analytics.api.views
    import analytics.selectors

    seen = []
    build = analytics.selectors.heatmap_build

    def recording(*args, **kwargs):
        seen.append(gc.isenabled())
        return build(*args, **kwargs)

    monkeypatch.setattr(analytics.api.views, "heatmap_build", recording)
    monkeypatch.setattr(analytics.selectors, "heatmap_build", recording)  # the page's
    assert gc.isenabled()
    assert api(client, cast.coordinator).status_code == 200
    assert client.get(reverse("analytics:heatmap")).status_code == 200
    assert api(client, cast.coordinator, weeks=99).status_code == 400  # refused before any build
    assert seen == [False, False]
    assert gc.isenabled()
