"""The heatmap's numbers against hand-computed values, its access rules, bad input, the CSV
export's suppression and escaping, and a query count that does not grow with communities."""

from __future__ import annotations

import csv
import io
import json
import math
from datetime import UTC, date, datetime, timedelta

import plotly.graph_objects as go
import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from analytics import heatmap
from analytics.selectors import HeatmapQuery, heatmap_build
from ewers.choices import RegionLevel, RiskLevel
from ewers.models import Region
from ewers.services import region_upsert
from indicators.choices import Category
from indicators.models import Contribution, RiskAssessment
from tests import factories
from tests.queries import count_queries

# --- Pure arithmetic ------------------------------------------------------------------


def test_it_starts_weeks_on_monday_utc():
    # Monday 07:59 in Kuala Lumpur is Sunday 23:59 UTC: still the week before.
    kl = timezone.get_fixed_timezone(8 * 60)
    assert heatmap.week_start(datetime(2024, 1, 8, 7, 59, tzinfo=kl)) == date(2024, 1, 1)
    assert heatmap.week_start(datetime(2024, 1, 8, 8, 0, tzinfo=kl)) == date(2024, 1, 8)
    assert heatmap.week_window(datetime(2024, 1, 10, 12, tzinfo=UTC), 3) == [
        date(2023, 12, 25),
        date(2024, 1, 1),
        date(2024, 1, 8),
    ]


def test_it_summarises_mean_and_max_and_leaves_none_for_nothing():
    assert heatmap.summarise([10, 20, 60], "mean") == pytest.approx(30)
    assert heatmap.summarise([10, 20, 60], "max") == 60
    assert heatmap.summarise([], "mean") is None


def test_it_builds_a_discrete_colourscale_from_the_bands():
    scale = heatmap.discrete_colourscale((25, 50, 75), ["a", "b", "c", "d"])
    assert scale == [[0, "a"], [0.25, "a"], [0.25, "b"], [0.5, "b"], [0.5, "c"], [0.75, "c"], [0.75, "d"], [1, "d"]]


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Kampung Melati", "Kampung Melati"),
    ],
)
def test_it_escapes_formula_cells(text, escaped):
    assert heatmap.csv_text(text) == escaped


@given(st.lists(st.floats(min_value=0, max_value=100), max_size=20), st.sampled_from(heatmap.STATS))
def test_it_keeps_area_values_within_the_scale(values, stat):
    result = heatmap.summarise(values, stat)
    if not values:
        assert result is None
    else:
        assert min(values) - 1e-9 <= result <= max(values) + 1e-9


@given(st.lists(st.floats(min_value=-20, max_value=20), max_size=10))
def test_it_maps_a_filtered_sum_like_the_scorer(amounts):
    score = heatmap.filtered_score(amounts, 4.0)
    assert 0 <= score <= 100
    if math.fsum(amounts) <= 0:
        assert score == 0


# --- A small tree with known assessments --------------------------------------------------


def monday() -> datetime:
    return heatmap.monday_midnight(heatmap.week_start(timezone.now()))


def assess(community: Region, score: float, at: datetime, level: str | None = None) -> RiskAssessment:
    return RiskAssessment.objects.create(
        community=community,
        score=score,
        raw_score=score / 10,
        level=level or heatmap.level_of(score, (25, 50, 75)),
        assessed_at=at,
    )


@pytest.fixture
def tree(cast):
    """T-1-1 (c1, c2) and T-1-2 (c3) in region T-1; T-2-1 (c4, never assessed) in T-2."""
    places = cast.places
    d2, _ = region_upsert(code="T-1-2", name="T district two", level=RegionLevel.DISTRICT, parent=places["region"])
    c3, _ = region_upsert(
        code="T-1-2-1",
        name="T village three",
        level=RegionLevel.COMMUNITY,
        parent=d2,
        boundary=factories.square(101, 1),
    )
    r2, _ = region_upsert(code="T-2", name="T region two", level=RegionLevel.REGION, parent=places["country"])
    d3, _ = region_upsert(code="T-2-1", name="T district three", level=RegionLevel.DISTRICT, parent=r2)
    c4, _ = region_upsert(
        code="T-2-1-1", name="T village four", level=RegionLevel.COMMUNITY, parent=d3, boundary=factories.square(102, 1)
    )
    now = monday()
    c1, c2 = places["c1"], places["c2"]
    # c1: last week 30 then 50; this week 40 (current).
    assess(c1, 30, now - timedelta(days=6))
    assess(c1, 50, now - timedelta(seconds=1))  # Sunday 23:59:59 UTC: last week
    latest_c1 = assess(c1, 40, now + timedelta(seconds=1))
    # c2: last week 20; this week 80 (current, critical).
    assess(c2, 20, now - timedelta(days=3))
    assess(c2, 80, now, level=RiskLevel.CRITICAL)  # Monday 00:00 UTC: this week
    # c3: two weeks ago 60; this week 10 (current).
    assess(c3, 60, now - timedelta(days=10))
    assess(c3, 10, now + timedelta(seconds=2))
    # Outside the 3-week window: counts for nothing in the matrix.
    assess(c3, 99, now - timedelta(days=22))
    return {**places, "d2": d2, "c3": c3, "r2": r2, "d3": d3, "c4": c4, "latest_c1": latest_c1}


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
    assert data.weeks == heatmap.week_window(timezone.now(), 3)
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
    coordinator = by_code(heatmap_build(cast.coordinator, HeatmapQuery(level="district", weeks=3)))
    assert coordinator["T-1-1"].open_alerts == 1
    # Analysts see risk, not the response: no alert is theirs to count.
    analyst = by_code(heatmap_build(cast.analyst, HeatmapQuery(level="district", weeks=3)))
    assert analyst["T-1-1"].open_alerts == 0


# --- Access, through the API ------------------------------------------------------------------


def api(client, user, **params):
    client.force_login(user)
    return client.get(reverse("api-heatmap"), params)


def test_it_answers_the_api_with_the_hand_computed_numbers(client, cast, tree):
    response = api(client, cast.coordinator, level="district", weeks=3)
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
    assert body["matrix"]["weeks"] == [d.isoformat() for d in heatmap.week_window(timezone.now(), 3)]
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


def test_it_shows_the_page_of_the_coverage_only(client, cast, tree):
    client.force_login(cast.cso_user)
    response = client.get(reverse("analytics:heatmap"))
    assert response.status_code == 200
    assert [row["area"].code for row in response.context["page"].object_list] == ["T-1-1-1"]
    assert "T village two" not in response.content.decode()
    response = client.get(reverse("analytics:heatmap"), {"weeks": "99"})
    assert response.status_code == 400
    assert "weeks" in response.context["filterset"]["form"].errors


# --- CSV export ---------------------------------------------------------------------------


def read_csv(response):
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_it_suppresses_cells_of_fewer_than_k_reports(client, cast, tree, settings):
    settings.EWERS_EXPORT_MIN_REPORTS = 2
    now = monday()
    # Two reports for c1 this week, read by its latest assessment; one for c2 last week.
    for hours in (1, 2):
        report = factories.make_report(
            cast.analyst,
            tree["c1"],
            cast.indicator,
            observed_at=min(now + timedelta(hours=hours), timezone.now()),
            enqueue_scoring=False,
        )
        contribute(tree["latest_c1"], report, cast.indicator)
    report = factories.make_report(
        cast.analyst, tree["c2"], cast.indicator, observed_at=now - timedelta(days=2), enqueue_scoring=False
    )
    contribute(RiskAssessment.objects.filter(community=tree["c2"]).latest("assessed_at"), report, cast.indicator)
    client.force_login(cast.coordinator)
    response = client.get(reverse("analytics:heatmap-csv"), {"level": "community", "weeks": 3})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    rows = read_csv(response)
    weeks = [d.isoformat() for d in heatmap.week_window(timezone.now(), 3)]
    assert rows[0] == ["code", "name", "score", "level", *weeks, "suppressed"]
    by = {row[0]: row for row in rows[1:]}
    # c1: 2 reports in the scoring window and this week: score and this week shown;
    # last week's value (50) stood on no report: blank and named.
    assert by["T-1-1-1"][2:7] == ["40.0", "moderate", "", "", "40.0"]
    assert by["T-1-1-1"][7] == f"fewer than 2 reports: {weeks[1]}"
    # c2: one report only: every value suppressed.
    assert by["T-1-1-2"][2:7] == ["", "", "", "", ""]
    assert by["T-1-1-2"][7] == f"fewer than 2 reports: score {weeks[1]} {weeks[2]}"
    # c4 was never assessed: blank, but nothing was suppressed.
    assert by["T-2-1-1"][2:] == ["", "", "", "", "", ""]


def contribute(assessment, report, indicator, amount=1.0):
    return Contribution.objects.create(
        assessment=assessment, indicator=indicator, indicator_version=1, report=report, amount=amount
    )


def test_it_withholds_the_score_with_the_week_cell_holding_the_same_assessment(client, cast, tree, settings):
    # c1's latest assessment (40, this week) read two reports observed two weeks ago:
    # the score stands on 2 reports, this week's cell (also 40) on none. Showing the
    # score would give the withheld cell away.
    settings.EWERS_EXPORT_MIN_REPORTS = 2
    for hours in (1, 2):
        report = factories.make_report(
            cast.analyst,
            tree["c1"],
            cast.indicator,
            observed_at=monday() - timedelta(days=10, hours=hours),
            enqueue_scoring=False,
        )
        contribute(tree["latest_c1"], report, cast.indicator)
    client.force_login(cast.coordinator)
    rows = read_csv(client.get(reverse("analytics:heatmap-csv"), {"level": "community", "weeks": 3}))
    by = {row[0]: row for row in rows[1:]}
    assert by["T-1-1-1"][2:4] == ["", ""]
    assert by["T-1-1-1"][6] == ""
    assert "40.0" not in by["T-1-1-1"]
    assert "score" in by["T-1-1-1"][7]


def test_it_withholds_a_district_value_when_a_member_community_would_be(client, cast, tree, settings):
    # District T-1-1: c1 stands on 3 reports, c2 on 1. Together 4 >= k, but the mean
    # with c1's known value would give c2's withheld one away.
    settings.EWERS_EXPORT_MIN_REPORTS = 2
    now = timezone.now()
    latest_c2 = RiskAssessment.objects.filter(community=tree["c2"]).latest("assessed_at")
    for community, latest, count in ((tree["c1"], tree["latest_c1"], 3), (tree["c2"], latest_c2, 1)):
        for minutes in range(count):
            report = factories.make_report(
                cast.analyst,
                community,
                cast.indicator,
                observed_at=max(monday(), now - timedelta(minutes=minutes + 1)),
                enqueue_scoring=False,
            )
            contribute(latest, report, cast.indicator)
    client.force_login(cast.coordinator)
    for stat in ("mean", "max"):
        rows = read_csv(client.get(reverse("analytics:heatmap-csv"), {"level": "district", "weeks": 3, "stat": stat}))
        by = {row[0]: row for row in rows[1:]}
        assert by["T-1-1"][2:4] == ["", ""], stat
        assert by["T-1-1"][6] == "", stat
    rows = read_csv(client.get(reverse("analytics:heatmap-csv"), {"level": "community", "weeks": 3}))
    by = {row[0]: row for row in rows[1:]}
    assert by["T-1-1-1"][2:4] == ["40.0", "moderate"]
    assert by["T-1-1-1"][6] == "40.0"
    assert by["T-1-1-2"][2:4] == ["", ""]


def test_it_counts_only_reports_of_the_filtered_indicators(client, cast, tree, settings):
    # Two reports this week for c1, but only one has a reading of a weapons indicator.
    settings.EWERS_EXPORT_MIN_REPORTS = 2
    weapons = factories.make_theme("weapons")
    w01 = factories.make_indicator("W01", theme=weapons, category=Category.TRIGGER)
    now = timezone.now()
    first = factories.make_report(
        cast.analyst, tree["c1"], w01, observed_at=max(monday(), now - timedelta(minutes=1)), enqueue_scoring=False
    )
    second = factories.make_report(
        cast.analyst,
        tree["c1"],
        cast.indicator,
        observed_at=max(monday(), now - timedelta(minutes=2)),
        enqueue_scoring=False,
    )
    contribute(tree["latest_c1"], first, w01, amount=2.0)
    contribute(tree["latest_c1"], second, cast.indicator, amount=2.0)
    client.force_login(cast.coordinator)
    rows = read_csv(
        client.get(reverse("analytics:heatmap-csv"), {"level": "community", "weeks": 3, "theme": "weapons"})
    )
    by = {row[0]: row for row in rows[1:]}
    assert by["T-1-1-1"][2:4] == ["", ""]
    assert by["T-1-1-1"][6] == ""
    rows = read_csv(client.get(reverse("analytics:heatmap-csv"), {"level": "community", "weeks": 3}))
    assert {row[0]: row for row in rows[1:]}["T-1-1-1"][2] == "40.0"


def test_it_escapes_formulas_in_the_export(client, cast, tree, settings):
    settings.EWERS_EXPORT_MIN_REPORTS = 1
    region_upsert(code="T-1-1-1", name="=cmd|' /C calc'!A0", level=RegionLevel.COMMUNITY, parent=tree["district"])
    region_upsert(code="T-1-1-2", name="+1", level=RegionLevel.COMMUNITY, parent=tree["district"])
    region_upsert(code="T-1-2-1", name="@SUM(A1)", level=RegionLevel.COMMUNITY, parent=tree["d2"])
    client.force_login(cast.coordinator)
    rows = read_csv(client.get(reverse("analytics:heatmap-csv"), {"weeks": 2}))
    names = {row[0]: row[1] for row in rows[1:]}
    assert names["T-1-1-1"] == "'=cmd|' /C calc'!A0"
    assert names["T-1-1-2"] == "'+1"
    assert names["T-1-2-1"] == "'@SUM(A1)"
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_it_exports_the_coverage_only_and_refuses_bad_input(client, cast, tree):
    client.force_login(cast.cso_user)
    rows = read_csv(client.get(reverse("analytics:heatmap-csv")))
    assert [row[0] for row in rows[1:]] == ["T-1-1-1"]
    response = client.get(reverse("analytics:heatmap-csv"), {"level": "planet"})
    assert response.status_code == 400
    assert "level" in response.content.decode()


# --- Query counts ---------------------------------------------------------------------------


def grow(cast, count: int) -> None:
    """``count`` assessed communities (with boundaries) under a district of their own."""
    district, _ = region_upsert(
        code=f"T-1-G{count}", name=f"Grown {count}", level=RegionLevel.DISTRICT, parent=cast.places["region"]
    )
    now = timezone.now()
    for i in range(count):
        community, _ = region_upsert(
            code=f"T-1-G{count}-{i}",
            name=f"Grown village {i}",
            level=RegionLevel.COMMUNITY,
            parent=district,
            boundary=factories.square(100 + (i % 10) * 0.5, 1 + (i // 10) * 0.5),
        )
        assess(community, 10 + i % 80, now - timedelta(days=8))
        assess(community, 20 + i % 70, now - timedelta(hours=1))


@pytest.mark.parametrize(
    ("url", "params"),
    [
        ("analytics:heatmap", {"level": "community"}),
        ("analytics:heatmap", {"level": "district", "theme": "tension"}),
        ("api-heatmap", {"level": "district"}),
        ("api-heatmap", {"level": "community", "category": "proximate"}),
        ("analytics:heatmap-csv", {"level": "region"}),
    ],
)
def test_it_reads_in_as_many_queries_for_40_communities_as_for_5(client, cast, url, params):
    client.force_login(cast.coordinator)
    grow(cast, 5)
    few = count_queries(client, reverse(url), params)
    grow(cast, 35)
    many = count_queries(client, reverse(url), params)
    assert few == many


# --- The page's figures (plain JSON, shapes passed on as text) ------------------------------


@given(
    st.lists(
        st.tuples(st.integers(1, 4), st.integers(0, 3), st.floats(min_value=0, max_value=100)),
        max_size=40,
    ),
    st.sampled_from(heatmap.STATS),
)
def test_it_fills_the_matrix_like_summarising_each_cell(rows, stat):
    weeks = [date(2026, 1, 5) + timedelta(weeks=i) for i in range(3)]
    membership = {1: 10, 2: 10, 3: 20, 4: 30}
    cells = [(community, date(2026, 1, 5) + timedelta(weeks=w), value) for community, w, value in rows]
    expected = [
        [
            None
            if (s := heatmap.summarise([v for c, d, v in cells if membership[c] == area and d == week], stat)) is None
            else round(s, 2)
            for week in weeks
        ]
        for area in (10, 20)
    ]
    assert heatmap.matrix_values(cells, membership, [10, 20], weeks, stat) == expected


def script_json(body: str, element_id: str):
    start = body.index(f'<script id="{element_id}" type="application/json">')
    text = body[body.index(">", start) + 1 : body.index("</script>", start)]
    return json.loads(text)


def test_it_passes_the_shapes_on_safely_and_once(client, cast, tree):
    tree["c3"].name = "</script><script>alert(1)</script> & co"
    tree["c3"].save()
    client.force_login(cast.coordinator)
    response = client.get(reverse("analytics:heatmap"), {"level": "community"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "<script>alert(1)" not in body
    figure = script_json(body, "heatmap-map-figure")
    shapes = script_json(body, "heatmap-map-shapes")
    locations = [code for trace in figure["data"] for code in trace["locations"]]
    assert "geojson" not in str(figure["data"])
    assert sorted(feature["id"] for feature in shapes["features"]) == sorted(locations)
    stored = {r.code: r.outline or r.boundary for r in Region.objects.filter(code__in=locations)}
    assert {feature["id"]: feature["geometry"] for feature in shapes["features"]} == stored
    names = [row[0] for trace in figure["data"] for row in trace["customdata"]]
    assert "</script><script>alert(1)</script> & co" in names


def test_it_writes_figures_plotly_accepts_unchanged(client, cast, tree):
    client.force_login(cast.coordinator)
    # Communities: an assessed and a not assessed trace, both with shapes.
    response = client.get(reverse("analytics:heatmap"), {"level": "community"})
    assert len(response.context["map_figure"].figure["data"]) == 2
    for name in ("map_figure", "matrix_figure"):
        figure = response.context[name]
        figure = figure.figure if name == "map_figure" else figure
        plain = json.loads(json.dumps(figure))
        # Validation raises on an unknown key or a bad value; the round trip must change nothing.
        checked = json.loads(go.Figure(data=plain["data"], layout=plain["layout"]).to_json())
        assert checked == plain
