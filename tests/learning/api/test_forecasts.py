"""GET /api/v1/forecasts/ and /api/v1/forecasts/{id or code}/: the districts of the user's
share, a forecast shown only where it beat the naive one, always with its accuracy; 400
for a bad level, 404 outside the share; queries constant in the number of districts; and
the forecasts beside the heatmap's districts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from ewers.choices import RegionLevel
from ewers.models import Region, User
from ewers.services import region_upsert
from indicators.models import RiskAssessment
from indicators.scoring import band_level
from indicators.services.risk import risk_record, week_of
from learning.forecast import backtest
from tests.queries import count_queries

pytestmark = pytest.mark.django_db

# Thirteen weeks of a steady climb (the current week last): the damped trend sees the
# crossing into moderate coming, "same as now" does not.
CLIMB = [2.0 + 3.5 * n for n in range(13)]
FLAT = [30.0] * 13


def plant(community, series):
    """One assessment a week, Wednesday noon local time, the last in the current week."""
    monday = week_of(timezone.now())
    for back, score in enumerate(reversed(series)):
        at = timezone.localtime(timezone.now()).replace(hour=12, minute=0, second=0, microsecond=0)
        at = at - timedelta(days=at.weekday()) + timedelta(days=2) - timedelta(weeks=back)
        at = min(at, timezone.now())
        assert week_of(at) == monday - timedelta(weeks=back)
        assessment = RiskAssessment.objects.create(
            community=community, assessed_at=at, score=score, raw_score=0.0, level=band_level(score, (25, 50, 75))
        )
        risk_record(assessment=assessment)


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def listed(body):
    return {row["area"]: row for row in body["results"] + body["hidden"]}


def test_it_shows_a_forecast_that_beats_the_naive_one_with_both_accuracies(cast):
    plant(cast.places["c1"], CLIMB)
    plant(cast.places["c2"], [1.0] * 13)  # calm: the district's weekly highest is c1's
    body = api(cast.coordinator).get("/api/v1/forecasts/", {"level": "district"}).json()
    district = cast.places["district"].code
    assert [row["area"] for row in body["results"]] == [district]
    row = body["results"][0]
    expected = backtest(CLIMB, (25.0, 50.0, 75.0))
    assert row["shown"] is True and row["hidden"] is None
    assert row["now"] == {"week": week_of(timezone.now()).isoformat(), "score": 44.0, "level": "moderate"}
    assert len(row["weeks"]) == 4 and row["weeks"][-1]["level"] == "high"
    assert row["accuracy"]["horizon_weeks"] == 4
    assert row["accuracy"]["model"]["origins"] == row["accuracy"]["naive"]["origins"] == 6
    assert row["accuracy"]["model"]["hits"] == expected.model.hits
    assert row["accuracy"]["naive"]["hits"] == expected.naive.hits
    assert row["accuracy"]["model"]["level_error"] < row["accuracy"]["naive"]["level_error"]
    assert (body["level"], body["horizon_weeks"], body["min_origins"]) == ("district", 4, 4)


def test_a_forecast_that_does_not_beat_the_naive_one_is_listed_hidden_without_weeks(cast):
    plant(cast.places["c1"], FLAT)
    body = api(cast.coordinator).get("/api/v1/forecasts/").json()
    assert body["results"] == []
    hidden = listed(body)[cast.places["district"].code]
    assert (hidden["shown"], hidden["hidden"], hidden["weeks"]) == (False, "naive", [])
    assert hidden["accuracy"]["model"]["level_error"] == hidden["accuracy"]["naive"]["level_error"] == 0
    # A district with no assessment yet: listed, no data.
    other = listed(api(cast.police_user).get("/api/v1/forecasts/").json())[cast.other_places["district"].code]
    assert (other["hidden"], other["accuracy"], other["now"]) == ("no_data", None, None)


def test_it_lists_exactly_the_districts_of_the_users_share(cast):
    plant(cast.places["c1"], CLIMB)
    plant(cast.other_places["c1"], CLIMB)
    t, u = cast.places["district"].code, cast.other_places["district"].code
    assert set(listed(api(cast.coordinator).get("/api/v1/forecasts/").json())) == {t}
    assert set(listed(api(cast.police_user).get("/api/v1/forecasts/").json())) == {t, u}
    assert set(listed(api(cast.other_analyst).get("/api/v1/forecasts/").json())) == {u}
    # The CSO covers one community, not its district: no district of its own to forecast.
    assert listed(api(cast.cso_user).get("/api/v1/forecasts/").json()) == {}
    regions = listed(api(cast.coordinator).get("/api/v1/forecasts/", {"level": "region"}).json())
    assert set(regions) == {cast.places["region"].code}


def test_one_district_answers_inside_the_share_and_404_outside(cast):
    plant(cast.places["c1"], CLIMB)
    district = cast.places["district"]
    for ref in (district.code, district.pk):
        body = api(cast.police_user).get(f"/api/v1/forecasts/{ref}/").json()
        assert body["area"] == district.code and body["shown"] is True
    assert api(cast.other_analyst).get(f"/api/v1/forecasts/{district.code}/").status_code == 404
    assert api(cast.cso_user).get(f"/api/v1/forecasts/{district.pk}/").status_code == 404
    coordinator = api(cast.coordinator)
    assert coordinator.get("/api/v1/forecasts/NOPE-9/").status_code == 404
    assert coordinator.get(f"/api/v1/forecasts/{cast.places['c1'].code}/").status_code == 404  # a community
    assert coordinator.get("/api/v1/forecasts/%00/").status_code == 404


@pytest.mark.parametrize("level", ["community", "country", "DISTRICT", "x" * 300, "district\x00"])
def test_a_bad_level_answers_400_with_a_field_message(cast, level):
    client = api(cast.coordinator)
    for url in ("/api/v1/forecasts/", f"/api/v1/forecasts/{cast.places['district'].code}/"):
        response = client.get(url, {"level": level})
        assert response.status_code == 400
        assert list(response.json()) == ["level"] and response.json()["level"]


def test_it_needs_a_signed_in_user():
    assert APIClient().get("/api/v1/forecasts/").status_code in (401, 403)


def add_districts(count, start):
    """Districts under the T region, each with two communities assessed for 13 weeks."""
    region = Region.objects.get(code="T-1")
    for n in range(start, start + count):
        district, _ = region_upsert(code=f"T-1-{n}", name=f"District {n}", level=RegionLevel.DISTRICT, parent=region)
        for m in (1, 2):
            community, _ = region_upsert(
                code=f"T-1-{n}-{m}", name=f"Village {n}.{m}", level=RegionLevel.COMMUNITY, parent=district
            )
            plant(community, CLIMB if m == 1 else [1.0] * 13)


def test_its_queries_do_not_grow_with_the_number_of_districts(cast):
    # Each request with the user loaded afresh, as a served request loads it: what is read
    # once per user object (its coverage) is read by each.
    def coordinator():
        return api(User.objects.get(pk=cast.coordinator.pk))

    add_districts(2, start=2)
    few = count_queries(coordinator(), "/api/v1/forecasts/")
    add_districts(6, start=4)
    assert len(coordinator().get("/api/v1/forecasts/").json()["results"]) == 8
    assert count_queries(coordinator(), "/api/v1/forecasts/") == few


def test_the_heatmap_shows_the_forecasts_beside_its_districts(cast, client):
    plant(cast.places["c1"], CLIMB)
    client.force_login(cast.coordinator)
    page = client.get("/heatmap/", {"level": "district"})
    assert [area.code for area in page.context["forecasts"]] == [cast.places["district"].code]
    html = page.content.decode()
    assert 'id="forecasts"' in html and "Accuracy vs naive" in html
    assert "Level right 4 of 6 times (naive: 2); mean error 0.33 levels (naive: 0.67)" in html
    communities = client.get("/heatmap/", {"level": "community"})
    assert "forecasts" not in communities.context and 'id="forecasts"' not in communities.content.decode()


def test_the_heatmap_says_when_no_forecast_beats_the_naive_one(cast, client):
    plant(cast.places["c1"], FLAT)
    client.force_login(cast.coordinator)
    html = client.get("/heatmap/", {"level": "district"}).content.decode()
    assert "1 area has no forecast shown" in html and "No forecast beats the naive one here yet." in html
