"""The heatmap's numbers against hand-computed values (analytics/selectors/heatmap.py): each
community's latest assessment, districts and regions, filters, the open alerts counted."""

from __future__ import annotations

import math

import pytest
from django.utils import timezone

from analytics import heatmap
from analytics.selectors import HeatmapQuery, heatmap_build
from analytics.selectors.heatmap import _community_rows, _week_columns, communities_covered
from ewers.choices import RiskLevel
from indicators.choices import Category
from indicators.models import Contribution, CurrentRisk, RiskAssessment
from tests import factories


def by_code(data):
    return {area.code: area for area in data.areas}


def test_it_gives_each_community_its_latest_assessment(cast, tree):
    data = heatmap_build(cast.coordinator, HeatmapQuery(level="community", weeks=3))
    areas = by_code(data)
    assert [a.code for a in data.areas] == ["T-1-1-1", "T-1-1-2", "T-1-2-1", "T-2-1-1"]
    assert (areas["T-1-1-1"].score, areas["T-1-1-1"].level) == (40, "moderate")
    assert (areas["T-1-1-2"].score, areas["T-1-1-2"].level) == (80, "critical")
    assert (areas["T-2-1-1"].score, areas["T-2-1-1"].level) == (None, None)
    assert data.matrix == [[None, 50, 40], [None, 20, 80], [60, None, 10], [None, None, None]]


def test_it_averages_districts_and_regions(cast, tree):
    data = heatmap_build(cast.coordinator, HeatmapQuery(level="district", weeks=3))
    assert data.weeks == heatmap.week_window(timezone.now(), 3, timezone.get_default_timezone())
    areas = by_code(data)
    assert [a.code for a in data.areas] == ["T-1-1", "T-1-2", "T-2-1"]
    assert (areas["T-1-1"].score, areas["T-1-1"].level, areas["T-1-1"].assessed) == (60, "high", 2)
    assert (areas["T-1-2"].score, areas["T-1-2"].level) == (10, "low")
    assert (areas["T-2-1"].score, areas["T-2-1"].level, areas["T-2-1"].communities) == (None, None, 1)
    assert data.matrix == [[None, 35, 60], [60, None, 10], [None, None, None]]

    regions = heatmap_build(cast.coordinator, HeatmapQuery(level="region", weeks=3))
    areas = by_code(regions)
    assert areas["T-1"].score == pytest.approx(43.33, abs=0.01)
    assert areas["T-1"].level == "moderate"
    assert areas["T-2"].score is None
    assert regions.matrix == [[60, 35, pytest.approx(43.33, abs=0.01)], [None, None, None]]


def test_it_takes_the_highest_with_stat_max(cast, tree):
    data = heatmap_build(cast.coordinator, HeatmapQuery(level="region", weeks=3, stat="max"))
    areas = by_code(data)
    assert (areas["T-1"].score, areas["T-1"].level) == (80, "critical")
    assert data.matrix[0] == [60, 50, 80]


def test_it_limits_to_the_region_filter(cast, tree):
    data = heatmap_build(cast.coordinator, HeatmapQuery(level="community", weeks=3, region=tree["district"]))
    assert [a.code for a in data.areas] == ["T-1-1-1", "T-1-1-2"]
    districts = heatmap_build(cast.coordinator, HeatmapQuery(level="district", weeks=3, region=tree["region"]))
    assert [a.code for a in districts.areas] == ["T-1-1", "T-1-2"]


def test_it_rescores_from_the_chosen_theme_and_category(cast, tree):
    weapons = factories.make_theme("weapons")
    w01 = factories.make_indicator("W01", theme=weapons, category=Category.TRIGGER)
    report = factories.make_report(cast.analyst, tree["c1"], cast.indicator, enqueue_scoring=False)
    latest = tree["latest_c1"]
    Contribution.objects.create(
        assessment=latest, indicator=cast.indicator, indicator_version=1, report=report, amount=2.0
    )
    Contribution.objects.create(assessment=latest, indicator=w01, indicator_version=1, report=report, amount=1.0)
    # An older assessment's contribution does not count for the current score.
    old = RiskAssessment.objects.filter(community=tree["c1"], score=50).get()
    Contribution.objects.create(assessment=old, indicator=cast.indicator, indicator_version=1, report=report, amount=9)

    tension = heatmap_build(cast.coordinator, HeatmapQuery(weeks=3, theme=cast.indicator.theme))
    areas = by_code(tension)
    expected = 100 * (1 - math.exp(-2.0 / 4.0))
    assert areas["T-1-1-1"].score == pytest.approx(expected, abs=0.01)
    assert areas["T-1-1-1"].level == "moderate"
    # Assessed, but nothing of this theme: 0, low. Never assessed: still nothing.
    assert (areas["T-1-1-2"].score, areas["T-1-1-2"].level) == (0, "low")
    assert areas["T-2-1-1"].score is None
    # The matrix applies the same rule to each assessment: last week c1's best was the
    # 9.0 of the older assessment, this week the 2.0 of the latest.
    assert tension.matrix[0] == [
        None,
        pytest.approx(100 * (1 - math.exp(-9 / 4)), abs=0.01),
        pytest.approx(expected, abs=0.01),
    ]

    triggers = heatmap_build(cast.coordinator, HeatmapQuery(weeks=3, category=Category.TRIGGER))
    assert by_code(triggers)["T-1-1-1"].score == pytest.approx(100 * (1 - math.exp(-1 / 4)), abs=0.01)
    both = heatmap_build(cast.coordinator, HeatmapQuery(weeks=3, theme=weapons, category=Category.PROXIMATE))
    assert by_code(both)["T-1-1-1"].score == 0


def test_it_counts_the_open_alerts_the_user_may_see(cast, tree):
    from alerts.models import Alert

    Alert.objects.create(community=tree["c2"], level=RiskLevel.CRITICAL)
    Alert.objects.create(community=tree["c3"], level=RiskLevel.HIGH)  # in T-1-2
    coordinator = by_code(heatmap_build(cast.coordinator, HeatmapQuery(level="district", weeks=3)))
    assert coordinator["T-1-1"].open_alerts == 1
    assert coordinator["T-1-2"].open_alerts == 1
    # A map of one district's communities counts only its communities' alerts.
    within = by_code(heatmap_build(cast.coordinator, HeatmapQuery(level="community", weeks=3, region=tree["district"])))
    assert {code: area.open_alerts for code, area in within.items()} == {"T-1-1-1": 0, "T-1-1-2": 1}
    # Analysts see risk, not the response: no alert is theirs to count.
    analyst = by_code(heatmap_build(cast.analyst, HeatmapQuery(level="district", weeks=3)))
    assert analyst["T-1-1"].open_alerts == 0


def test_the_week_values_come_back_as_the_floats_the_rollup_holds(cast, tree):
    """The matrix's weeks are read from the rollup as text (``_WeekValuesText``) and parsed
    together: each value is the float the scorer stored (scores of four decimals), a week
    without one is None, and a community never assessed has no values at all."""
    c1 = cast.places["c1"]
    weeks = heatmap.week_window(timezone.now(), 3, timezone.get_default_timezone())
    stored = {weeks[0].isoformat(): 12.3456, weeks[2].isoformat(): 99.9999}
    CurrentRisk.objects.filter(community=c1).update(weekly=stored)
    rows = _community_rows(communities_covered(cast.coordinator, None), weeks, with_geometry=False, with_times=False)
    columns = _week_columns(rows)
    assert columns[c1.pk] == [12.3456, None, 99.9999]
    assert all(type(value) is float for value in columns[c1.pk] if value is not None)
    assert tree["c4"].pk not in columns  # never assessed
    # The matrix rounds them as before.
    data = heatmap_build(cast.coordinator, HeatmapQuery(level="community", weeks=3))
    assert data.matrix[[a.code for a in data.areas].index(c1.code)] == [12.35, None, 100.0]
