"""The heatmap's CSV export (analytics/exports.py): cells of fewer than k reports suppressed,
nothing given away by a neighbour or an aggregate, formulas escaped, the coverage only."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from analytics import heatmap
from ewers.choices import RegionLevel
from ewers.services import region_upsert
from indicators.choices import Category
from indicators.models import Contribution, RiskAssessment
from tests import factories
from tests.analytics.conftest import monday


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
    weeks = [d.isoformat() for d in heatmap.week_window(timezone.now(), 3, timezone.get_default_timezone())]
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
