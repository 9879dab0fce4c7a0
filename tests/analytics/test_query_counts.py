"""The dashboard reads in a number of queries that does not grow with the communities:
the heatmap page (map, matrix, surges and stale badges), the heatmap API and a
community's page, each counted at two sizes of the coverage."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from alerts.models import Alert
from ewers.choices import RegionLevel, RiskLevel
from ewers.services import region_upsert
from tests import factories
from tests.analytics.conftest import assess
from tests.queries import count_queries


def grow(cast, name: str, count: int) -> None:
    """``count`` communities under a district of their own, each with a shape, two
    assessments in two weeks, a report, and (every third) an open alert."""
    district, _ = region_upsert(
        code=f"T-1-{name}", name=f"District {name}", level=RegionLevel.DISTRICT, parent=cast.places["region"]
    )
    now = timezone.now()
    for i in range(count):
        community, _ = region_upsert(
            code=f"T-1-{name}-{i}",
            name=f"Village {name} {i}",
            level=RegionLevel.COMMUNITY,
            parent=district,
            boundary=factories.square(100 + (i % 10) * 0.5, 1 + (i // 10) * 0.5),
        )
        assess(community, 10 + i % 80, now - timedelta(days=8))
        latest = assess(community, 20 + i % 70, now - timedelta(hours=1), level=RiskLevel.HIGH)
        factories.make_report(cast.analyst, community, cast.indicator, enqueue_scoring=False)
        if i % 3 == 0:
            Alert.objects.create(community=community, level=RiskLevel.HIGH, assessment=latest)


HEATMAP_READS = [
    ("analytics:heatmap", {"level": "community"}),
    ("analytics:heatmap", {"level": "district", "stat": "mean"}),
    ("analytics:heatmap", {"level": "community", "theme": "tension"}),
    ("api-heatmap", {"level": "community"}),
    ("api-heatmap", {"level": "district", "weeks": "52"}),
]


@pytest.mark.parametrize(("url", "params"), HEATMAP_READS)
def test_the_heatmap_reads_the_same_queries_for_30_more_communities(
    client, cast, django_assert_num_queries, url, params
):
    client.force_login(cast.coordinator)
    grow(cast, "S", 3)
    few = count_queries(client, reverse(url), params)
    grow(cast, "L", 30)
    with django_assert_num_queries(few):
        response = client.get(reverse(url), params)
    assert response.status_code == 200


@pytest.mark.parametrize("who", ["coordinator", "analyst"])
def test_a_community_page_reads_the_same_queries_for_30_more_communities(client, cast, django_assert_num_queries, who):
    client.force_login(getattr(cast, who))
    grow(cast, "S", 3)
    url = reverse("analytics:community", args=["T-1-S-0"])
    few = count_queries(client, url)
    grow(cast, "L", 30)
    with django_assert_num_queries(few):
        response = client.get(url)
    assert response.status_code == 200
    # The latest assessment comes from the kept current risk, with its district linked.
    assert response.context["assessment"].score == 20
    assert response.context["district_linked"] is True
