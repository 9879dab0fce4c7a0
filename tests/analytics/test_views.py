"""The analytics pages for each role (analytics/views.py): heatmap, community page and
overview (403 / 404), no source reference shown, and as many queries for 40 communities
as for 5."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from alerts.models import Alert
from ewers.choices import RegionLevel, RiskLevel
from ewers.services import region_upsert
from indicators.models import Contribution
from tests import factories
from tests.analytics.conftest import assess
from tests.queries import count_queries

ROLES = ["coordinator", "analyst", "police_user", "cso_user", "admin"]


@pytest.mark.parametrize("who", ROLES)
def test_it_shows_the_heatmap_to_every_role(client, cast, who):
    assess(cast.places["c1"], 40, timezone.now())
    client.force_login(getattr(cast, who))
    response = client.get(reverse("analytics:heatmap"))
    assert response.status_code == 200
    assert "heatmap-map-figure" in response.content.decode()
    for level in ("district", "region"):
        assert client.get(reverse("analytics:heatmap"), {"level": level}).status_code == 200


@pytest.mark.parametrize("who", ROLES)
def test_it_keeps_the_overview_for_coordinators(client, cast, who):
    client.force_login(getattr(cast, who))
    response = client.get(reverse("analytics:overview"))
    assert response.status_code == (200 if who == "coordinator" else 403)


@pytest.mark.parametrize(
    ("who", "place", "status"),
    [
        ("coordinator", "c1", 200),
        ("coordinator", "c2", 200),
        ("analyst", "c2", 200),
        ("police_user", "c1", 200),
        ("cso_user", "c1", 200),
        ("cso_user", "c2", 404),  # the CSO covers c1 only
        ("other_analyst", "c1", 404),
    ],
)
def test_it_opens_a_community_page_within_the_coverage_only(client, cast, who, place, status):
    client.force_login(getattr(cast, who))
    community = cast.places[place]
    assert client.get(reverse("analytics:community", args=[community.code])).status_code == status
    assert client.get(reverse("analytics:community", args=[community.pk])).status_code == status


def test_it_links_the_breadcrumb_to_a_district_only_within_the_coverage(client, cast):
    c1 = cast.places["c1"]
    link = f"region={c1.district.code}"
    client.force_login(cast.coordinator)
    assert link in client.get(reverse("analytics:community", args=[c1.code])).content.decode()
    # The CSO covers c1 only: its district is named, not linked (the filter would answer 400).
    client.force_login(cast.cso_user)
    body = client.get(reverse("analytics:community", args=[c1.code])).content.decode()
    assert c1.district.name in body
    assert link not in body
    assert (
        client.get(reverse("analytics:heatmap"), {"level": "community", "region": c1.district.code}).status_code == 400
    )


def test_it_answers_404_for_no_such_community_or_a_district(client, cast):
    client.force_login(cast.coordinator)
    assert client.get(reverse("analytics:community", args=["nowhere"])).status_code == 404
    assert client.get(reverse("analytics:community", args=[cast.places["district"].code])).status_code == 404


@pytest.fixture
def community_story(cast):
    """c1 with a trend, an explanation, a report with a source reference and an open alert."""
    c1 = cast.places["c1"]
    now = timezone.now()
    report = factories.make_report(
        cast.analyst, c1, cast.indicator, source_reference="Informant Kestrel-9", enqueue_scoring=False
    )
    assess(c1, 20, now - timedelta(days=20))
    latest = assess(c1, 80, now - timedelta(hours=1), level=RiskLevel.CRITICAL)
    Contribution.objects.create(
        assessment=latest, indicator=cast.indicator, indicator_version=1, report=report, amount=6.4
    )
    alert = Alert.objects.create(
        community=c1, level=RiskLevel.CRITICAL, assessment=latest, opened_at=now - timedelta(hours=1)
    )
    return {"report": report, "alert": alert}


def test_it_tells_a_community_story_without_the_source(client, cast, community_story):
    client.force_login(cast.coordinator)
    response = client.get(reverse("analytics:community", args=[cast.places["c1"].code]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "community-trend-figure" in body and "community-explanation-figure" in body
    assert [s.code for s in response.context["shares"]] == ["P01"]
    assert response.context["shares"][0].amount == pytest.approx(6.4)
    assert f"#{community_story['report'].pk}" in body
    assert "Kestrel" not in body  # never the source reference, even for a coordinator
    assert reverse("alerts:detail", args=[community_story["alert"].pk]) in body
    # The trend marks the alert's opening.
    trend = response.context["trend_figure"]
    assert [trace["name"] for trace in trend["data"]] == ["Score", "Alert opened"]


def test_it_tells_an_analyst_that_an_alert_is_open_without_the_response(client, cast, community_story):
    client.force_login(cast.analyst)
    body = client.get(reverse("analytics:community", args=[cast.places["c1"].code])).content.decode()
    assert "Alert open for this community: level Critical" in body
    assert reverse("alerts:detail", args=[community_story["alert"].pk]) not in body
    assert "Kestrel" not in body
    # The analyst's own organisation's report is listed.
    assert f"#{community_story['report'].pk}" in body


def test_it_lists_only_the_reports_the_user_may_see(client, cast, community_story):
    # The CSO's responder has no assignment: it may see none of the reports.
    client.force_login(cast.cso_user)
    response = client.get(reverse("analytics:community", args=[cast.places["c1"].code]))
    assert response.context["reports"] == []
    assert response.context["alerts"] == []


def test_it_reads_a_community_page_in_the_same_queries_whatever_the_coverage(client, cast, community_story, settings):
    settings.EWERS_DASHBOARD_CACHE_SECONDS = 0  # each request counts its surges (not kept: fewer queries)
    client.force_login(cast.coordinator)
    url = reverse("analytics:community", args=[cast.places["c1"].code])

    def count():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured.captured_queries)

    before = count()
    for i in range(30):
        region_upsert(code=f"T-1-1-X{i}", name=f"X {i}", level=RegionLevel.COMMUNITY, parent=cast.places["district"])
    assert count() == before


def test_it_reads_a_community_page_in_the_same_queries_whatever_its_history(client, cast, community_story, settings):
    settings.EWERS_DASHBOARD_CACHE_SECONDS = 0  # each request counts its surges (not kept: fewer queries)
    client.force_login(cast.coordinator)
    c1 = cast.places["c1"]
    url = reverse("analytics:community", args=[c1.code])
    before = count_queries(client, url)
    # Many more assessments in the trend, and a latest one explained by many readings.
    now = timezone.now()
    for day in range(1, 40):
        assess(c1, 10 + day, now - timedelta(days=day, minutes=30))
    latest = assess(c1, 70, now - timedelta(minutes=1), level=RiskLevel.HIGH)
    for i in range(12):
        report = factories.make_report(cast.analyst, c1, cast.indicator, enqueue_scoring=False)
        Contribution.objects.create(
            assessment=latest, indicator=cast.indicator, indicator_version=1, report=report, amount=0.5 + i
        )
    response = client.get(url)
    assert [(s.code, s.reports) for s in response.context["shares"]] == [("P01", 12)]
    assert response.context["shares"][0].amount == pytest.approx(sum(0.5 + i for i in range(12)))
    assert count_queries(client, url) == before


def test_it_shows_the_overview_page(client, cast, response_story):
    client.force_login(cast.coordinator)
    response = client.get(reverse("analytics:overview"), {"period": "30"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Organisation police" in body and ">2 h<" in body and ">5 h<" in body
    assert "50%" in body
    assert client.get(reverse("analytics:overview"), {"period": "12"}).status_code == 400
    assert client.get(reverse("analytics:overview"), {"region": "U-1"}).status_code == 400


# --- The heatmap page --------------------------------------------------------------------------


def test_it_shows_the_page_of_the_coverage_only(client, cast, tree):
    client.force_login(cast.cso_user)
    response = client.get(reverse("analytics:heatmap"))
    assert response.status_code == 200
    assert [row["area"].code for row in response.context["page"].object_list] == ["T-1-1-1"]
    assert "T village two" not in response.content.decode()
    response = client.get(reverse("analytics:heatmap"), {"weeks": "99"})
    assert response.status_code == 400
    assert "weeks" in response.context["filterset"]["form"].errors


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
        ("analytics:heatmap", {"level": "district"}),
        ("api-heatmap", {"level": "community"}),
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
