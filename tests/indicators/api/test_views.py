"""API v1 of the indicators app (indicators/api/views.py): field reports created (single,
batch, CSV), read per role, verified and disputed; communities with their risk,
assessments, history; the indicator catalogue."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from rest_framework.test import APIClient

from ewers.choices import RegionLevel
from ewers.services import region_upsert
from indicators.csv_import import reports_import
from indicators.models import FieldReport
from tests.indicators.conftest import csv_bytes, when

pytestmark = pytest.mark.django_db

# --- Odd but possible input answers 4xx (or an empty list), never a 500 ---
# "²" is a digit to str.isdigit() but not to int(); a time near year 1 with a positive
# offset cannot be written in UTC (SQLite fails on it). Both once gave a 500.


@pytest.fixture
def api(cast):
    client = APIClient()
    client.force_authenticate(cast.analyst)
    return client


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/v1/communities/²/", 404),
        ("/api/v1/communities/²/assessment/", 404),
        ("/api/v1/communities/²/history/", 404),
        ("/api/v1/indicators/²/", 404),
        ("/api/v1/reports/?community=²", 200),
        ("/api/v1/alerts/?community=²", 200),
        ("/api/v1/reports/?observed_after=" + quote("0001-01-01T00:00:00+05:00"), 400),
    ],
)
def test_the_api_answers_odd_references_without_a_500(api, url, status):
    assert api.get(url).status_code == status


def post_report(api: APIClient, community: str):
    body = {
        "community": community,
        "observed_at": when(),
        "readings": [{"indicator": "P01", "value": 2}],
        "source_reliability": "B",
        "information_credibility": 2,
    }
    return api.post("/api/v1/reports/", body, format="json")


def test_a_report_for_an_odd_community_is_a_400(api, cast):
    response = post_report(api, "²")
    assert response.status_code == 400
    assert "community" in response.json()
    assert not FieldReport.objects.exists()


def test_a_code_made_of_digits_names_its_own_community_everywhere(api, cast):
    """Codes may be all digits: a code wins over an id, in the API and the import alike."""
    numeric, _ = region_upsert(
        code="4242", name="Kampung Angka", level=RegionLevel.COMMUNITY, parent=cast.places["district"]
    )
    assert api.get("/api/v1/communities/4242/").json()["name"] == "Kampung Angka"
    response = post_report(api, "4242")
    assert response.status_code == 201, response.json()
    assert response.json()["community"]["code"] == "4242"
    result = reports_import(user=cast.analyst, data=csv_bytes(f"4242,{when()},B,2,,,,3"), dry_run=False)
    assert result.rows[0].ok
    assert FieldReport.objects.filter(community=numeric).count() == 2
    listed = api.get("/api/v1/reports/?community=4242").json()["results"]
    assert [r["community"]["code"] for r in listed] == ["4242", "4242"]
