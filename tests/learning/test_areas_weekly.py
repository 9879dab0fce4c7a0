"""An area's weekly values as the forecasts read them (learning.selectors.areas_weekly): the
highest of its communities' weekly highest scores, aggregated by the database, equal to
the same taken in Python from every community's rollup, and only of communities the user
covers."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from django.utils import timezone

from ewers.choices import RegionLevel
from ewers.models import Region
from ewers.services import region_upsert
from indicators.models import CurrentRisk, RiskAssessment
from learning.selectors import areas_weekly

pytestmark = pytest.mark.django_db

MONDAY = date(2026, 3, 2)


def rollup_set(community: Region, weekly: dict[str, float | None]) -> None:
    """The community's current risk with this weekly rollup (as the scorer keeps it)."""
    assessment = RiskAssessment.objects.create(
        community=community, assessed_at=timezone.now(), score=1.0, raw_score=0.1, level="low"
    )
    CurrentRisk.objects.update_or_create(
        community=community,
        defaults={
            "assessment": assessment,
            "assessed_at": assessment.assessed_at,
            "score": 1.0,
            "level": "low",
            "weekly": weekly,
        },
    )


def python_areas(rollups: dict[Region, dict[str, float | None]], parent: str) -> dict[int, dict[date, float]]:
    """The rule in plain Python: per area and week, the highest community's value."""
    result: dict[int, dict[date, float]] = {}
    for community, weekly in rollups.items():
        values = result.setdefault(getattr(community, f"{parent}_id"), {})
        for key, score in weekly.items():
            if score is not None:
                week = date.fromisoformat(key)
                values[week] = max(score, values.get(week, score))
    return {area: values for area, values in result.items() if values}


def test_an_area_takes_its_highest_community_of_each_week(cast):
    c1, c2 = cast.places["c1"], cast.places["c2"]
    rollup_set(c1, {"2026-03-02": 10.0, "2026-03-09": 40.0})
    rollup_set(c2, {"2026-03-02": 30.0, "2026-03-09": None})
    rollup_set(cast.other_places["c1"], {"2026-03-02": 90.0})  # another country's district
    district = cast.places["district"]
    assert areas_weekly(cast.coordinator, RegionLevel.DISTRICT, [district.pk]) == {
        district.pk: {date(2026, 3, 2): 30.0, date(2026, 3, 9): 40.0}
    }
    # A responder covering c1 alone: c2 never counts in what it is shown.
    assert areas_weekly(cast.cso_user, RegionLevel.DISTRICT, [district.pk]) == {
        district.pk: {date(2026, 3, 2): 10.0, date(2026, 3, 9): 40.0}
    }
    assert areas_weekly(cast.coordinator, RegionLevel.DISTRICT, []) == {}


@pytest.mark.parametrize("seed", range(3))
def test_it_equals_the_rule_taken_in_python_on_random_rollups(cast, seed):
    rng = random.Random(seed)
    places = cast.places
    d2, _ = region_upsert(code="T-1-2", name="T district two", level=RegionLevel.DISTRICT, parent=places["region"])
    communities = [places["c1"], places["c2"]]
    for n in range(6):
        parent = rng.choice([places["district"], d2])
        community, _ = region_upsert(
            code=f"{parent.code}-R{n}", name=f"R {n}", level=RegionLevel.COMMUNITY, parent=parent
        )
        communities.append(community)
    rollups: dict[Region, dict[str, float | None]] = {}
    for community in communities:
        weeks = rng.sample(range(53), rng.randint(0, 12))
        rollups[community] = {
            (MONDAY + timedelta(weeks=w)).isoformat(): None if rng.random() < 0.1 else round(rng.uniform(0, 100), 2)
            for w in weeks
        }
        rollup_set(community, rollups[community])
    communities = list(Region.objects.filter(pk__in=[c.pk for c in communities]))  # parents loaded
    rollups = {c: rollups[next(k for k in rollups if k.pk == c.pk)] for c in communities}
    districts = [places["district"].pk, d2.pk]
    assert areas_weekly(cast.coordinator, RegionLevel.DISTRICT, districts) == python_areas(rollups, "district")
    assert areas_weekly(cast.coordinator, RegionLevel.REGION, [places["region"].pk]) == python_areas(rollups, "region")
