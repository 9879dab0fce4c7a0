"""The coordinator's overview against hand-computed values (analytics/selectors/overview.py):
rising communities, open alerts, each organisation's response times, the alerts' outcomes."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from alerts.choices import AssignmentState
from analytics.selectors import overview_build, response_performance
from ewers.choices import RegionLevel
from ewers.services import region_upsert


def test_it_computes_the_overview_by_hand(cast, response_story):
    overview = overview_build(cast.coordinator, days=30)
    assert [(r.code, r.rise) for r in overview.rising[7]] == [("T-1-1-1", 50), ("T-1-1-2", 30)]
    assert [(r.code, r.rise) for r in overview.rising[30]] == [("T-1-1-1", 60), ("T-1-1-2", 30)]
    assert overview.alerts_by_level == {"moderate": 0, "high": 0, "critical": 1}
    assert overview.alerts_by_region == [("T-1", "T region", 1)]
    cso, police = overview.performance
    assert police.organisation == "Organisation police"
    assert (police.assignments, police.acknowledged, police.completed, police.overdue) == (2, 2, 1, 0)
    assert police.median_acknowledge == timedelta(hours=2)
    assert police.median_complete == timedelta(hours=5)
    assert (cso.assignments, cso.overdue, cso.median_acknowledge) == (1, 2, None)
    assert cso.organisation_id == cast.cso.pk
    quality = overview.quality
    assert (quality.resolved, quality.dismissed, quality.incident_yes, quality.incident_no) == (3, 1, 1, 1)
    assert quality.share_followed == 0.5 and quality.share_percent == 50


def test_it_filters_the_overview_by_region(cast, response_story):
    other = overview_build(cast.coordinator, days=30, region=cast.places["c1"].district)
    assert [r.code for r in other.rising[7]] == ["T-1-1-1", "T-1-1-2"]
    region_upsert(code="T-9", name="Empty region", level=RegionLevel.REGION, parent=cast.places["country"])
    from ewers.models import Region

    empty = overview_build(cast.coordinator, days=30, region=Region.objects.get(code="T-9"))
    assert empty.rising[7] == [] and empty.performance == [] and empty.alerts_by_level["critical"] == 0


def test_it_takes_medians_of_plain_rows():
    now = timezone.now()
    rows = [
        {
            "organisation_id": 1,
            "organisation__name": "A",
            "state": AssignmentState.ACKNOWLEDGED,
            "created_at": now,
            "acknowledged_at": now + timedelta(minutes=m),
            "finished_at": None,
            "due_at": now,
        }
        for m in (10, 20, 90)
    ]
    (a,) = response_performance(rows)
    assert a.median_acknowledge == timedelta(minutes=20)
    assert a.median_complete is None and a.overdue == 0


def test_it_groups_performance_by_organisation_id_and_adds_the_overdue_ones():
    now = timezone.now()
    row = {"state": AssignmentState.PENDING, "created_at": now, "acknowledged_at": None, "finished_at": None}
    rows = [
        {**row, "organisation_id": 1, "organisation__name": "Same"},
        {**row, "organisation_id": 2, "organisation__name": "Same"},
    ]
    result = response_performance(rows, overdue=[(2, "Same", 3), (7, "Late only", 1)])
    assert [(r.organisation_id, r.assignments, r.overdue) for r in result] == [(7, 0, 1), (1, 1, 0), (2, 1, 3)]
