"""The dashboard part's planned country (bench/dashboard_seed.py)."""

from __future__ import annotations

from bench import dashboard_seed


def test_it_plans_a_country_parents_first_with_a_square_per_community():
    plan = dashboard_seed.places_plan("BZ", 45, lon=110.0, lat=5.0)
    levels = [p.level for p in plan]
    assert levels.count("community") == 45
    assert levels.count("district") == 3  # 20 per district
    assert levels.count("region") == 1
    assert len({p.code for p in plan}) == len(plan)
    seen = set()
    for place in plan:
        assert place.parent is None or place.parent in seen
        seen.add(place.code)
    ring = plan[-1].boundary["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) == 5
