"""Weeks and chart times in the deployment's TIME_ZONE (issue 14): a reading at Sunday
23:30 UTC is Monday 07:30 in Kuala Lumpur and lands in that local Monday's week alike in
the heatmap, its API, its CSV export and the kept weekly rollup; the community page's
chart axis is in local time."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from analytics import figures, heatmap
from analytics.selectors import HeatmapQuery, heatmap_build
from indicators.models import Contribution, CurrentRisk, RiskAssessment
from indicators.services import risk_recompute
from tests import factories
from tests.analytics.conftest import assess

KL = ZoneInfo("Asia/Kuala_Lumpur")


@pytest.fixture
def kuala_lumpur(settings):
    settings.TIME_ZONE = "Asia/Kuala_Lumpur"
    settings.EWERS_EXPORT_MIN_REPORTS = 1


@pytest.fixture
def edge(cast, kuala_lumpur):
    """c1 assessed (and reported on) at Sunday 23:30 UTC of last week's end — Monday 07:30
    local — and at Sunday 23:59 local time the week before."""
    this_monday = heatmap.monday_midnight(heatmap.week_start(timezone.now(), KL), KL)
    monday = this_monday - timedelta(weeks=1)  # last week's local Monday 00:00: in the past
    late_sunday_utc = monday + timedelta(hours=7, minutes=30)
    assert (late_sunday_utc.astimezone(UTC).weekday(), late_sunday_utc.astimezone(UTC).hour) == (6, 23)
    before = monday - timedelta(minutes=1)  # Sunday 23:59 local: the week before
    c1 = cast.places["c1"]
    for score, at in ((20.0, before), (70.0, late_sunday_utc)):
        report = factories.make_report(cast.analyst, c1, cast.indicator, observed_at=at, enqueue_scoring=False)
        assessment = assess(c1, score, at)
        Contribution.objects.create(
            assessment=assessment, indicator=cast.indicator, indicator_version=1, report=report, amount=score / 10
        )
    return monday.date()


def test_a_reading_at_sunday_2330_utc_lands_in_the_local_mondays_week(client, cast, edge):
    monday = edge
    weeks = [monday - timedelta(weeks=1), monday, monday + timedelta(weeks=1)]
    # The kept rollup, as a recompute gives it.
    kept = CurrentRisk.objects.get(community=cast.places["c1"]).weekly
    assert kept == {weeks[0].isoformat(): 20.0, weeks[1].isoformat(): 70.0}
    assert [r.weekly for r in risk_recompute(community_ids=[cast.places["c1"].pk])] == [kept]
    # The page's selector (no filter: from the rollup; a theme filter: the database's weeks).
    data = heatmap_build(cast.coordinator, HeatmapQuery(level="community", weeks=3))
    assert data.weeks == weeks
    row = data.matrix[[a.code for a in data.areas].index("T-1-1-1")]
    assert row == [20.0, 70.0, None]
    themed = heatmap_build(cast.coordinator, HeatmapQuery(level="community", weeks=3, theme=cast.indicator.theme))
    themed_row = themed.matrix[[a.code for a in themed.areas].index("T-1-1-1")]
    assert [value is not None for value in themed_row] == [True, True, False]
    assert themed_row[0] < themed_row[1]
    # The API.
    client.force_login(cast.coordinator)
    body = client.get(reverse("api-heatmap"), {"level": "community", "weeks": 3}).json()
    assert body["matrix"]["weeks"] == [w.isoformat() for w in weeks]
    assert body["matrix"]["values"][body["matrix"]["areas"].index("T-1-1-1")] == [20.0, 70.0, None]
    # The CSV export: the week values stand on the reports observed in those local weeks.
    response = client.get(reverse("analytics:heatmap-csv"), {"level": "community", "weeks": 3})
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][4:7] == [w.isoformat() for w in weeks]
    c1 = next(r for r in rows if r[0] == "T-1-1-1")
    assert c1[4:8] == ["20.0", "70.0", "", ""]
    # The page says which weeks it means.
    page = client.get(reverse("analytics:heatmap"), {"level": "community", "weeks": 3})
    assert "Weeks start on Monday 00:00, Asia/Kuala_Lumpur time" in page.content.decode()
    assert "(UTC)" not in page.content.decode()


def test_the_community_charts_axis_is_in_local_time(client, cast, kuala_lumpur):
    sunday_late = datetime(2024, 6, 9, 23, 30, tzinfo=UTC)
    trend = figures.community_trend([RiskAssessment(assessed_at=sunday_late, score=40.0)], [])
    assert trend["data"][0]["x"] == ["2024-06-10 07:30:00"]
    # On the page: the latest assessment's time on the axis is its Kuala Lumpur wall-clock time.
    at = timezone.now() - timedelta(hours=1)
    assess(cast.places["c1"], 55.0, at)
    client.force_login(cast.coordinator)
    response = client.get(reverse("analytics:community", args=[cast.places["c1"].code]))
    axis = response.context["trend_figure"]["data"][0]["x"]
    assert axis[-1] == at.astimezone(KL).strftime("%Y-%m-%d %H:%M:%S")
    assert at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") not in axis
