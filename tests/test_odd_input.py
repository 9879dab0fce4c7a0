"""Odd but possible input answers 4xx (or an empty list), never a 500.

"²" is a digit to str.isdigit() but not to int(); a time near year 1 with a positive
offset cannot be written in UTC (SQLite fails on it). Both once gave a 500.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from rest_framework.test import APIClient

from ewers.choices import RegionLevel
from ewers.lookups import parse_id
from ewers.services import region_upsert
from indicators.csv_import import reports_import
from indicators.models import FieldReport
from tests.test_imports import csv_bytes, when


@pytest.fixture
def api(cast):
    client = APIClient()
    client.force_authenticate(cast.analyst)
    return client


def test_it_reads_only_plain_ascii_ids():
    assert [parse_id(v) for v in ("42", "²", "٣", "0", "-1", "1" * 19, " 4", 7, True, 0, None)] == [
        42,
        None,
        None,
        None,
        None,
        None,
        None,
        7,
        None,
        None,
        None,
    ]


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


@pytest.mark.parametrize(
    "url", ["/reports/?community=²", "/reports/?observed_after=0001-01-01T00:00", "/alerts/?community=²"]
)
def test_the_pages_answer_odd_filters_without_a_500(client, cast, url):
    client.force_login(cast.coordinator)
    assert client.get(url).status_code == 200


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


def test_an_import_reports_odd_cells_by_row(cast):
    data = csv_bytes(f"²,{when()},B,2,,,,3", f"T-1-1-1,{when()},B,²,,,,3")
    result = reports_import(user=cast.analyst, data=data, dry_run=False)
    assert [(row.line, row.ok, sorted(row.errors)) for row in result.rows] == [
        (2, False, ["community"]),
        (3, False, ["information_credibility"]),
    ]
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
