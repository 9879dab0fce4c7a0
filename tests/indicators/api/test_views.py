"""API v1 of the indicators app (indicators/api/views.py): field reports created (single,
batch, CSV), read per role, verified and disputed; communities with their risk,
assessments, history; the indicator catalogue."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from alerts.models import Alert
from ewers.choices import RegionLevel, Role
from ewers.services import region_upsert
from indicators.choices import Verification
from indicators.csv_import import reports_import
from indicators.models import Contribution, FieldReport, Reading, RiskAssessment
from indicators.services import risk_rebuild
from tests import factories
from tests.api import as_user, codes, get, token_for
from tests.indicators.conftest import csv_bytes, when

pytestmark = pytest.mark.django_db

LIST = reverse("api-report-list")
BATCH = reverse("api-report-batch")
IMPORT = reverse("api-report-import-csv")


def detail(report: FieldReport) -> str:
    return reverse("api-report-detail", args=[report.pk])


def body(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "community": "T-1-1-1",
        "observed_at": (timezone.now() - timedelta(hours=1)).isoformat(),
        "readings": [{"indicator": "P01", "value": 3}],
        "source_reliability": "B",
        "information_credibility": 2,
        "narrative": "Leaflets at the market.",
        "source_reference": "Shop owner",
    }
    values.update(overrides)
    return values


def no_rows() -> bool:
    return FieldReport.objects.count() == 0 and Reading.objects.count() == 0


# --- Create --------------------------------------------------------------------------------


def test_it_creates_a_report_with_a_token(cast):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(cast.analyst)}")
    response = client.post(LIST, body(), format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    report = FieldReport.objects.get()
    assert data["id"] == report.pk
    assert data["community"] == {"id": cast.places["c1"].pk, "code": "T-1-1-1", "name": "T village one"}
    assert data["status"] == "received"  # scoring is queued only once the request's transaction commits
    assert data["verification"] == "unverified"
    assert data["grading"] == "B2"
    assert data["source_reference"] == "Shop owner"
    assert data["readings"] == [{"indicator": "P01", "indicator_name": cast.indicator.name, "value": 3.0}]
    assert (report.created_by, report.organisation, report.source_reference) == (cast.analyst, cast.lab, "Shop owner")


def test_it_accepts_ids_for_community_and_indicator(cast):
    response = as_user(cast.coordinator).post(
        LIST,
        body(community=cast.places["c2"].pk, readings=[{"indicator": cast.indicator.pk, "value": 0.5}]),
        format="json",
    )
    assert response.status_code == 201, response.json()
    report = FieldReport.objects.get()
    assert (report.community, report.organisation) == (cast.places["c2"], cast.desk)
    assert list(report.readings.values_list("indicator", "value")) == [(cast.indicator.pk, 0.5)]


def test_a_resend_with_the_same_idempotency_key_returns_the_first_report(cast):
    client = as_user(cast.analyst)
    payload = body()
    first = client.post(LIST, payload, format="json", HTTP_IDEMPOTENCY_KEY="gw-0001")
    again = client.post(LIST, payload, format="json", HTTP_IDEMPOTENCY_KEY="gw-0001")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert FieldReport.objects.count() == 1
    # Keys are per user: someone else's same key is their own report.
    other = as_user(cast.coordinator).post(LIST, body(), format="json", HTTP_IDEMPOTENCY_KEY="gw-0001")
    assert other.status_code == 201
    assert FieldReport.objects.count() == 2


@pytest.mark.parametrize("key", ["k" * 129, "bad\x01key"])
def test_a_malformed_idempotency_key_is_a_400(cast, key):
    response = as_user(cast.analyst).post(LIST, body(), format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 400
    assert "idempotency key" in response.json()["idempotency_key"][0]
    assert no_rows()


BAD_BODIES = [
    ("community", body(community="U-1-1-1"), ["Unknown community."]),
    ("community", body(community="NOPE"), ["Unknown community."]),
    ("community", body(community=999_999), ["Unknown community."]),
    ("community", body(community="T-1-1"), ["Unknown community."]),  # a district, not a community
    ("community", body(community=["T-1-1-1"]), ["Give an id (a whole number) or a code (text)."]),
    ("community", body(community=True), ["Give an id (a whole number) or a code (text)."]),
    ("observed_at", body(observed_at="yesterday"), ["Not an ISO 8601 time such as 2024-05-01T14:30:00+08:00."]),
    ("observed_at", body(observed_at=12), ["Not an ISO 8601 time such as 2024-05-01T14:30:00+08:00."]),
    (
        "observed_at",
        body(observed_at="2024-05-01T14:30:00"),
        ["Give the time with its time zone, e.g. 2024-05-01T14:30:00+08:00."],
    ),
    (
        "observed_at",
        body(observed_at=(timezone.now() + timedelta(days=2)).isoformat()),
        ["The observation time is in the future."],
    ),
    ("source_reliability", body(source_reliability="G"), ["Source reliability is a grade from A to F."]),
    ("source_reliability", body(source_reliability=1), ["Source reliability is a grade from A to F."]),
    ("information_credibility", body(information_credibility=7), ["Information credibility is a grade from 1 to 6."]),
    ("information_credibility", body(information_credibility=0), ["Information credibility is a grade from 1 to 6."]),
    (
        "information_credibility",
        body(information_credibility="two"),
        ["Information credibility is a grade from 1 to 6."],
    ),
    ("readings", body(readings=[]), None),
    ("readings", body(readings="P01=3"), None),
    ("readings", body(readings=[{"indicator": "P99", "value": 1}]), ["Reading 1: unknown indicator P99."]),
    (
        "readings",
        body(readings=[{"indicator": "P01", "value": 9}]),
        ["Reading 1: P01 takes values from 0 to 4, not 9."],
    ),
    ("readings", body(readings=[{"indicator": "P01", "value": "3"}]), None),
    ("readings", body(readings=[{"indicator": "P01", "value": True}]), None),
    ("readings", body(readings=[{"indicator": "P01", "value": 1}, {"indicator": "P01", "value": 2}]), None),
    ("narrative", body(narrative="nul\x00here"), ["Null characters are not allowed."]),
    ("source_reference", body(source_reference="nul\x00here"), ["Null characters are not allowed."]),
    ("narrative", body(narrative=["a list"]), ["Not a valid string."]),
    ("community", {k: v for k, v in body().items() if k != "community"}, ["This field is required."]),
]


@pytest.mark.parametrize(
    ("field", "payload", "messages"), BAD_BODIES, ids=[f"{b[0]}-{i}" for i, b in enumerate(BAD_BODIES)]
)
def test_bad_input_gets_a_400_with_a_field_message_and_writes_nothing(cast, field, payload, messages):
    response = as_user(cast.analyst).post(LIST, payload, format="json")
    assert response.status_code == 400, response.content
    errors = response.json()
    assert field in errors, errors
    assert errors[field]  # a message says what is wrong
    if messages is not None:
        assert errors[field] == messages
    assert no_rows()


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        ("{not json", "application/json", 400),
        ('{"community": NaN}', "application/json", 400),
        (b"\xff\xfe{}", "application/json", 400),
        ("[1, 2]", "application/json", 400),
        ("community=T-1-1-1", "application/x-www-form-urlencoded", 415),
        ("<report/>", "application/xml", 415),
        ("community,observed_at", "text/csv", 415),
    ],
)
def test_an_unreadable_body_gets_a_4xx_with_a_message(cast, content, content_type, status):
    response = as_user(cast.analyst).post(LIST, content, content_type=content_type)
    assert response.status_code == status
    assert response.json()  # a message, never an empty answer
    assert no_rows()


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=10_000)
def test_a_huge_body_gets_a_413(cast):
    response = as_user(cast.analyst).post(
        LIST, json.dumps(body(narrative="x" * 20_000)), content_type="application/json"
    )
    assert response.status_code == 413
    assert response.json() == {"detail": "The request body is too large."}
    assert no_rows()


def test_responders_and_administrators_may_not_log_reports(cast):
    for user in (cast.police_user, cast.cso_user, cast.admin):
        response = as_user(user).post(LIST, body(), format="json")
        assert response.status_code == 403
        assert response.json() == {"detail": "Only analysts and coordinators log field reports."}
    assert no_rows()


def test_creating_needs_credentials(cast):
    assert APIClient().post(LIST, body(), format="json").status_code == 401
    assert no_rows()


# --- Batch ----------------------------------------------------------------------------------


def test_a_batch_saves_each_valid_item_and_reports_each_invalid_one(cast):
    client = as_user(cast.analyst)
    keyed = body(idempotency_key="b-1")
    payload = {
        "reports": [
            keyed,
            body(community="U-1-1-1"),
            "not an object",
            body(community="T-1-1-2", readings=[{"indicator": "P01", "value": 1}]),
        ]
    }
    response = client.post(BATCH, payload, format="json")
    assert response.status_code == 200
    results = response.json()["results"]
    assert [(r["index"], r["status"]) for r in results] == [(0, 201), (1, 400), (2, 400), (3, 201)]
    assert results[1]["errors"] == {"community": ["Unknown community."]}
    assert results[2]["errors"]["non_field_errors"]
    assert response.json()["counts"] == {"created": 2, "duplicates": 0, "invalid": 2}
    assert sorted(FieldReport.objects.values_list("pk", flat=True)) == sorted([results[0]["id"], results[3]["id"]])
    again = client.post(BATCH, {"reports": [keyed]}, format="json").json()
    assert again["results"] == [{"index": 0, "status": 200, "id": results[0]["id"], "errors": {}}]
    assert FieldReport.objects.count() == 2


@pytest.mark.parametrize("payload", [{"reports": []}, {"reports": "x"}, {}, {"reports": [body()] * 101}])
def test_a_malformed_batch_gets_a_400_and_writes_nothing(cast, payload):
    response = as_user(cast.analyst).post(BATCH, payload, format="json")
    assert response.status_code == 400
    assert "reports" in response.json()
    assert no_rows()


def test_responders_may_not_send_a_batch(cast):
    assert as_user(cast.police_user).post(BATCH, {"reports": [body()]}, format="json").status_code == 403
    assert no_rows()


# --- CSV import ----------------------------------------------------------------------------------


def csv_file(*rows: str) -> bytes:
    header = "community,observed_at,source_reliability,information_credibility,narrative,reference,P01"
    return ("\n".join([header, *rows]) + "\n").encode()


def test_an_uploaded_csv_file_is_imported_row_by_row(cast):
    when = (timezone.now() - timedelta(hours=3)).isoformat()
    data = csv_file(f"T-1-1-1,{when},B,2,fine,r1,3", f"T-1-1-1,{when},B,2,off scale,r2,7")
    upload = SimpleUploadedFile("reports.csv", data, content_type="text/csv")
    response = as_user(cast.analyst).post(IMPORT, {"file": upload}, format="multipart")
    assert response.status_code == 200, response.content
    answer = response.json()
    assert answer["dry_run"] is False
    assert answer["counts"] == {"total": 2, "valid": 1, "invalid": 1, "created": 1, "duplicates": 0}
    assert [(row["line"], row["ok"]) for row in answer["rows"]] == [(2, True), (3, False)]
    assert answer["rows"][0]["report_id"] == FieldReport.objects.get().pk
    assert "P01 takes values from 0 to 4" in answer["rows"][1]["errors"]["readings"][0]


def test_a_csv_body_dry_run_writes_nothing(cast):
    when = (timezone.now() - timedelta(hours=3)).isoformat()
    response = as_user(cast.analyst).post(
        f"{IMPORT}?dry_run=1", csv_file(f"T-1-1-1,{when},B,2,fine,r1,3"), content_type="text/csv; charset=utf-8"
    )
    assert response.status_code == 200, response.content
    assert response.json()["dry_run"] is True
    assert response.json()["rows"] == [{"line": 2, "ok": True, "report_id": None, "created": False, "errors": {}}]
    assert no_rows()


@pytest.mark.parametrize(
    ("content", "content_type", "status", "key"),
    [
        (b"\x00\x01\x02binary", "text/csv", 400, "file"),
        (b'{"reports": []}', "text/csv", 400, "file"),
        (b"community,observed_at\n\xff\xfe", "text/csv", 400, "file"),
        (b"community,observed_at", "application/json", 415, "detail"),
        (b"community,observed_at", "application/vnd.ms-excel", 415, "detail"),
    ],
)
def test_a_file_that_is_not_csv_gets_a_4xx_with_a_message(cast, content, content_type, status, key):
    response = as_user(cast.analyst).post(IMPORT, content, content_type=content_type)
    assert response.status_code == status
    assert response.json()[key]
    assert no_rows()


def test_an_upload_without_a_file_gets_a_400(cast):
    response = as_user(cast.analyst).post(IMPORT, {"other": "x"}, format="multipart")
    assert response.status_code == 400
    assert response.json() == {"file": ["Attach the CSV file as the form field “file”."]}


@override_settings(EWERS_IMPORT_MAX_BYTES=200)
def test_a_csv_file_over_the_size_limit_gets_a_413(cast):
    when = (timezone.now() - timedelta(hours=3)).isoformat()
    data = csv_file(*[f"T-1-1-1,{when},B,2,fine,,3"] * 10)
    client = as_user(cast.analyst)
    assert client.post(IMPORT, data, content_type="text/csv").status_code == 413
    upload = SimpleUploadedFile("reports.csv", data, content_type="text/csv")
    response = client.post(IMPORT, {"file": upload}, format="multipart")
    assert response.status_code == 413
    assert "200 bytes" in response.json()["detail"]
    assert no_rows()


def test_responders_may_not_import(cast):
    response = as_user(cast.police_user).post(IMPORT, csv_file(), content_type="text/csv")
    assert response.status_code == 403


# --- List and retrieve ----------------------------------------------------------------------


@pytest.fixture
def reports(cast):
    """One report by the lab in T, one by another lab in U, one by the coordinator in T."""
    return {
        "lab": factories.make_report(cast.analyst, cast.places["c1"], cast.indicator, source_reference="lab-src"),
        "other": factories.make_report(
            cast.other_analyst, cast.other_places["c1"], cast.indicator, source_reference="other-src"
        ),
        "desk": factories.make_report(cast.coordinator, cast.places["c2"], cast.indicator, source_reference="desk-src"),
    }


def listed(user: Any, query: str = "") -> list[int]:
    response = as_user(user).get(f"{LIST}{query}")
    assert response.status_code == 200
    return sorted(row["id"] for row in response.json()["results"])


def test_each_role_lists_exactly_the_reports_it_may_see(cast, reports):
    # Analysts: their organisation's, and (four eyes) other organisations' in their coverage.
    assert listed(cast.analyst) == sorted([reports["lab"].pk, reports["desk"].pk])
    assert listed(cast.other_analyst) == [reports["other"].pk]
    assert listed(cast.coordinator) == sorted([reports["lab"].pk, reports["desk"].pk])
    # No alert is assigned to them, so responders see no reports; administrators see none.
    assert listed(cast.police_user) == []
    assert listed(cast.admin) == []


def test_retrieving_a_report_outside_the_share_is_a_404(cast, reports):
    assert as_user(cast.analyst).get(detail(reports["lab"])).status_code == 200
    for user, report in [
        (cast.analyst, reports["other"]),
        (cast.coordinator, reports["other"]),
        (cast.police_user, reports["lab"]),
        (cast.admin, reports["lab"]),
    ]:
        response = as_user(user).get(detail(report))
        assert response.status_code == 404
        assert response.json()["detail"]
    assert as_user(cast.analyst).get(reverse("api-report-detail", args=["abc"])).status_code == 404


def test_the_source_reference_is_shown_only_to_those_entitled(cast, reports):
    own = as_user(cast.analyst).get(detail(reports["lab"])).json()
    assert own["source_reference"] == "lab-src"
    coordinator = as_user(cast.coordinator).get(detail(reports["lab"])).json()
    assert coordinator["source_reference"] == "lab-src"
    rows = as_user(cast.coordinator).get(LIST).json()["results"]
    assert {row["source_reference"] for row in rows} == {"lab-src", "desk-src"}


def test_a_responder_sees_the_report_behind_its_alert_without_the_source(cast, reports):
    assessment = RiskAssessment.objects.create(community=cast.places["c1"], score=80, raw_score=3, level="high")
    Contribution.objects.create(
        assessment=assessment, indicator=cast.indicator, indicator_version=1, report=reports["lab"], amount=1.5
    )
    alert = Alert.objects.create(community=cast.places["c1"], level="high", assessment=assessment)
    factories.make_assignment(alert=alert, organisation=cast.police, due_at=timezone.now() + timedelta(hours=4))
    assert listed(cast.police_user) == [reports["lab"].pk]
    data = as_user(cast.police_user).get(detail(reports["lab"])).json()
    assert data["id"] == reports["lab"].pk
    assert "source_reference" not in data
    rows = as_user(cast.police_user).get(LIST).json()["results"]
    assert all("source_reference" not in row for row in rows)
    assert "lab-src" not in as_user(cast.police_user).get(LIST).content.decode()
    # Seeing it does not make them its judge.
    assert as_user(cast.police_user).post(reverse("api-report-verify", args=[reports["lab"].pk])).status_code == 403
    assert as_user(cast.cso_user).get(detail(reports["lab"])).status_code == 404


def test_the_list_filters_and_pages(cast, reports):
    extra = factories.make_report(cast.analyst, cast.places["c2"], cast.indicator)
    coordinator = cast.coordinator
    assert listed(coordinator, "?community=T-1-1-1") == [reports["lab"].pk]
    assert listed(coordinator, f"?community={cast.places['c2'].pk}") == sorted([reports["desk"].pk, extra.pk])
    assert listed(coordinator, "?mine=true") == [reports["desk"].pk]
    assert listed(coordinator, "?verification=disputed") == []
    page = as_user(coordinator).get(f"{LIST}?page_size=2").json()
    assert (page["count"], len(page["results"]), page["next"] is not None) == (3, 2, True)
    assert as_user(coordinator).get(f"{LIST}?page_size=100000").json()["count"] == 3
    assert as_user(coordinator).get(f"{LIST}?status=nonsense").status_code == 400


# --- Verify and dispute ------------------------------------------------------------------------


def test_the_author_may_not_verify_but_a_colleague_may(cast, reports):
    # Four eyes: the author sees the refusal's reason; an analyst of the same organisation may.
    refused = as_user(cast.analyst).post(reverse("api-report-verify", args=[reports["lab"].pk]))
    assert refused.status_code == 403
    assert "someone other than its author" in refused.json()["detail"]
    colleague = factories.make_user("ana2", cast.lab, Role.ANALYST)
    client = as_user(colleague)
    response = client.post(reverse("api-report-verify", args=[reports["lab"].pk]))
    assert response.status_code == 200
    assert response.json()["verification"] == "verified"
    reports["lab"].refresh_from_db()
    assert reports["lab"].verification == Verification.VERIFIED
    response = client.post(reverse("api-report-dispute", args=[reports["lab"].pk]))
    assert response.json()["verification"] == "disputed"
    reports["lab"].refresh_from_db()
    assert reports["lab"].verification == Verification.DISPUTED


def test_a_covering_coordinator_verifies_another_organisations_report(cast, reports):
    response = as_user(cast.coordinator).post(reverse("api-report-verify", args=[reports["lab"].pk]))
    assert response.status_code == 200
    reports["lab"].refresh_from_db()
    assert reports["lab"].verification == Verification.VERIFIED


def test_verifying_outside_the_share_is_a_404(cast, reports):
    for user, report in [
        (cast.analyst, reports["other"]),
        (cast.coordinator, reports["other"]),
        (cast.admin, reports["lab"]),
    ]:
        for name in ("api-report-verify", "api-report-dispute"):
            assert as_user(user).post(reverse(name, args=[report.pk])).status_code == 404
    reports["other"].refresh_from_db()
    assert reports["other"].verification == Verification.UNVERIFIED


def test_an_id_out_of_range_is_a_field_error(cast):
    response = as_user(cast.analyst).post(
        LIST, body(community=2**70, readings=[{"indicator": 2**70, "value": 1}]), format="json"
    )
    assert response.status_code == 400
    assert response.json()["community"] == ["Give an id (a whole number) or a code (text)."]
    assert no_rows()


def test_listing_reports_costs_the_same_queries_for_one_or_many(cast):
    factories.make_report(cast.analyst, cast.places["c1"], cast.indicator, enqueue_scoring=False)
    client = as_user(cast.analyst)
    with CaptureQueriesContext(connection) as one:
        assert client.get(LIST).status_code == 200
    for _ in range(5):
        factories.make_report(cast.analyst, cast.places["c2"], cast.indicator, enqueue_scoring=False)
    with CaptureQueriesContext(connection) as six:
        assert len(client.get(LIST).json()["results"]) == 6
    assert len(six.captured_queries) == len(one.captured_queries)


# --- Communities, assessments, history ----------------------------------------------------------


@pytest.fixture
def assessed(cast):
    """Two assessments of T village one, the newer at 62 (high), with two contributions."""
    c1 = cast.places["c1"]
    report = factories.make_report(cast.analyst, c1, cast.indicator, enqueue_scoring=False)
    resilience = factories.make_indicator("R01", polarity="resilience")
    now = timezone.now()
    RiskAssessment.objects.filter(community=c1).delete()
    old = RiskAssessment.objects.create(
        community=c1, assessed_at=now - timedelta(days=3), score=20, raw_score=0.5, level="low"
    )
    new = RiskAssessment.objects.create(
        community=c1, assessed_at=now - timedelta(hours=1), score=62, raw_score=2, level="high"
    )
    Contribution.objects.create(assessment=new, indicator=resilience, indicator_version=1, report=report, amount=-0.4)
    Contribution.objects.create(
        assessment=new, indicator=cast.indicator, indicator_version=1, report=report, amount=1.2
    )
    # The current risk the scorer would have kept (the lists read it, not the assessments).
    risk_rebuild(community_ids=[c1.pk])
    return {"old": old, "new": new, "report": report}


def test_each_role_lists_exactly_the_communities_it_covers_with_their_risk(cast, assessed):
    url = reverse("api-community-list")
    rows = get(cast.analyst, url)["results"]
    assert [row["code"] for row in rows] == ["T-1-1-1", "T-1-1-2"]
    district, region = cast.places["district"], cast.places["region"]
    assert rows[0] == {
        "id": cast.places["c1"].pk,
        "code": "T-1-1-1",
        "name": "T village one",
        "district": {"id": district.pk, "code": "T-1-1", "name": "T district"},
        "region": {"id": region.pk, "code": "T-1", "name": "T region"},
        "risk_score": 62.0,
        "risk_level": "high",
        "risk_assessed_at": rows[0]["risk_assessed_at"],
    }
    assert (rows[1]["risk_score"], rows[1]["risk_level"]) == (None, None)
    assert codes(cast.other_analyst, url) == ["U-1-1-1", "U-1-1-2"]
    assert codes(cast.cso_user, url) == ["T-1-1-1"]
    assert codes(cast.coordinator, url) == ["T-1-1-1", "T-1-1-2"]
    assert codes(cast.police_user, url) == ["T-1-1-1", "T-1-1-2", "U-1-1-1", "U-1-1-2"]


def test_a_community_is_addressed_by_id_or_code(cast):
    c1 = cast.places["c1"]
    for ref in (c1.code, c1.pk):
        assert get(cast.analyst, reverse("api-community-detail", args=[ref]))["id"] == c1.pk


def test_the_assessment_lists_its_contributions_largest_first(cast, assessed):
    data = get(cast.analyst, reverse("api-community-assessment", args=["T-1-1-1"]))
    report = assessed["report"].pk
    assert (data["score"], data["level"], data["community"]) == (62.0, "high", "T-1-1-1")
    assert data["contributions"] == [
        {
            "indicator": "P01",
            "indicator_name": cast.indicator.name,
            "polarity": "risk",
            "report": report,
            "contribution": 1.2,
        },
        {
            "indicator": "R01",
            "indicator_name": "Hate speech in local forums",
            "polarity": "resilience",
            "report": report,
            "contribution": -0.4,
        },
    ]
    # Risk is a signal about places: a responder covering the community sees it too.
    assert get(cast.cso_user, reverse("api-community-assessment", args=[cast.places["c1"].pk]))["score"] == 62.0


def test_a_community_without_assessment_says_so(cast):
    response = as_user(cast.analyst).get(reverse("api-community-assessment", args=["T-1-1-2"]))
    assert response.status_code == 404
    assert "no assessment yet" in response.json()["detail"]


def test_the_history_is_newest_first_and_filtered_by_since(cast, assessed):
    url = reverse("api-community-history", args=["T-1-1-1"])
    rows = get(cast.analyst, url)
    assert [(row["score"], row["level"]) for row in rows] == [(62.0, "high"), (20.0, "low")]
    since = (timezone.now() - timedelta(days=1)).isoformat()
    client = as_user(cast.analyst)
    assert [row["score"] for row in client.get(url, {"since": since}).json()] == [62.0]
    assert [row["score"] for row in client.get(url, {"limit": 1}).json()] == [62.0]
    assert client.get(url, {"since": "last week"}).status_code == 400
    assert client.get(url, {"limit": 501}).status_code == 400


@pytest.mark.parametrize("name", ["api-community-detail", "api-community-assessment", "api-community-history"])
def test_a_community_outside_coverage_is_a_404(cast, assessed, name):
    for user, ref in [
        (cast.other_analyst, "T-1-1-1"),
        (cast.cso_user, "T-1-1-2"),
        (cast.analyst, "U-1-1-1"),
        (cast.analyst, "T-1-1"),  # a district is not a community
        (cast.analyst, "NOPE"),
        (cast.analyst, "99999999999999999999999"),
    ]:
        response = as_user(user).get(reverse(name, args=[ref]))
        assert response.status_code == 404, (user, ref)
        assert "62" not in response.content.decode()


# --- Indicators ---------------------------------------------------------------------------------


def test_the_indicator_catalogue_is_listed_for_everyone(cast):
    factories.make_indicator("OLD", is_active=False)
    expected = {
        "id": cast.indicator.pk,
        "code": "P01",
        "name": cast.indicator.name,
        "description": "",
        "category": "proximate",
        "theme": "tension",
        "polarity": "risk",
        "weight": 1.0,
        "scale_min": 0.0,
        "scale_max": 4.0,
        "scale_labels": {},
        "thresholds": {"moderate": 2.0, "high": 3.0, "critical": 4.0},
        "half_life_days": 21.0,
        "version": 1,
    }
    for user in (cast.analyst, cast.police_user, cast.coordinator, cast.admin):
        assert get(user, reverse("api-indicator-list"))["results"] == [expected]
    assert get(cast.analyst, reverse("api-indicator-detail", args=["P01"])) == expected
    assert get(cast.analyst, reverse("api-indicator-detail", args=[cast.indicator.pk])) == expected
    assert as_user(cast.analyst).get(reverse("api-indicator-detail", args=["OLD"])).status_code == 404
    assert as_user(cast.analyst).get(reverse("api-indicator-detail", args=["P0\x001"])).status_code == 404


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


def test_an_analyst_of_another_organisation_covering_the_community_verifies_it(cast, reports):
    # The coordinator's report in T: the lab's analyst (covering T) may verify it.
    response = as_user(cast.analyst).post(reverse("api-report-verify", args=[reports["desk"].pk]))
    assert response.status_code == 200
    reports["desk"].refresh_from_db()
    assert reports["desk"].verification == Verification.VERIFIED
    # But not read its author's name, nor its source.
    data = as_user(cast.analyst).get(detail(reports["desk"])).json()
    assert data["created_by"] is None and "source_reference" not in data
    assert data["organisation"] == "desk"
