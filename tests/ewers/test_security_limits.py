"""Limits (issue 12; API.md "Throttling"): anonymous clients and signed-in users are
throttled, tighter on the token endpoint, imports, exports and the heatmap (429 with
Retry-After); lists at most 100 a page; JSON nested deeper than 64 is a 400 everywhere;
a list's protected reads are one audit row."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from rest_framework.test import APIClient

from audit.choices import AuditAction
from audit.models import AuditEvent
from indicators.models import FieldReport
from tests import factories
from tests.processes import run_django

pytestmark = pytest.mark.django_db


def api(user=None, **extra) -> APIClient:
    client = APIClient(**extra)
    if user is not None:
        client.force_authenticate(user)
    return client


def test_anonymous_clients_get_60_a_minute_per_address():
    client = api()
    answers = [client.get("/api/v1/me/").status_code for _ in range(61)]
    assert answers[:60] == [401] * 60
    assert answers[60] == 429
    response = client.get("/api/v1/me/")
    assert int(response["Retry-After"]) > 0
    # Another address has its own count.
    assert api(REMOTE_ADDR="192.0.2.10").get("/api/v1/me/").status_code == 401


def test_the_token_endpoint_takes_10_a_minute_per_address(cast):
    client = api()

    def attempt(n: int) -> int:
        # A different username each time: the lockout (per username) stays out of it.
        body = {"username": f"nobody-{n}", "password": "wrong-password"}
        return client.post("/api/v1/auth/token/", body, format="json").status_code

    answers = [attempt(n) for n in range(11)]
    assert answers[:10] == [400] * 10 and answers[10] == 429
    assert "Retry-After" in client.post("/api/v1/auth/token/", {}, format="json")
    assert api(REMOTE_ADDR="192.0.2.11").post("/api/v1/auth/token/", {}, format="json").status_code == 400


def test_signed_in_users_are_throttled_per_user(cast, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "user": "3/min"},
    }
    ana, cso = api(cast.analyst), api(cast.cso_user)
    assert [ana.get("/api/v1/me/").status_code for _ in range(4)] == [200, 200, 200, 429]
    assert cso.get("/api/v1/me/").status_code == 200


@pytest.mark.parametrize(
    ("scope", "method", "url"),
    [
        ("heatmap", "get", "/api/v1/heatmap/"),
        ("import", "post", "/api/v1/reports/import/"),
        ("import", "post", "/api/v1/reports/batch/"),
    ],
)
def test_imports_and_the_heatmap_have_tighter_scopes(cast, settings, scope, method, url):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    assert int(rates[scope].split("/")[0]) < int(rates["user"].split("/")[0])
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {**rates, scope: "2/min"}}
    client = api(cast.analyst)
    send = getattr(client, method)
    answers = [send(url, {"reports": []}, format="json").status_code for _ in range(3)]
    assert answers[-1] == 429 and 429 not in answers[:2]
    assert client.get("/api/v1/me/").status_code == 200  # other endpoints go on


def test_the_heatmap_export_page_is_throttled(cast, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "export": "2/min"},
    }
    client = Client()
    client.force_login(cast.coordinator)
    answers = [client.get("/heatmap/export.csv").status_code for _ in range(3)]
    assert answers == [200, 200, 429]
    assert int(client.get("/heatmap/export.csv")["Retry-After"]) > 0


def test_throttle_counts_live_in_redis_when_it_is_configured():
    code = "import django; django.setup(); from django.conf import settings as s; print(s.CACHES['default']['BACKEND'])"
    env = {"DEBUG": "true", "DATABASE_URL": "sqlite:///:memory:", "REDIS_URL": "redis://127.0.0.1:6379/9"}
    result = run_django(env, code=code)
    # Django's Redis cache, failing open while Redis is away (ewers.cache): throttles then let
    # requests through rather than answer 500 (docs/operations.md).
    assert result.stdout.strip() == "ewers.cache.FailOpenRedisCache", result.stderr


def test_a_page_holds_at_most_100_rows(cast):
    for _ in range(3):
        factories.make_report(cast.analyst, cast.places["c1"], cast.indicator)
    body = api(cast.analyst).get("/api/v1/reports/", {"page_size": 500}).json()
    assert body["count"] == 3
    from ewers.api.pagination import StandardPagination

    assert StandardPagination.max_page_size == 100


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("url", ["/api/v1/auth/token/", "/api/v1/reports/", "/api/v1/reports/batch/"])
@pytest.mark.parametrize("depth", [65, 1000, 100_000])
def test_json_nested_deeper_than_64_is_a_400(cast, url, depth):
    client = api(cast.analyst) if url != "/api/v1/auth/token/" else api()
    response = client.post(url, nested(depth), content_type="application/json")
    assert response.status_code == 400
    assert "nested deeper than 64" in response.json()["detail"]


def test_json_nested_64_deep_is_read(cast):
    body = json.dumps({"username": "ana", "password": factories.PASSWORD, "otp": json.loads(nested(62))})
    response = api().post("/api/v1/auth/token/", body, content_type="application/json")
    assert response.status_code == 400
    assert "nested" not in json.dumps(response.json())  # a field error, not the depth limit


def test_brackets_inside_strings_do_not_count(cast):
    body = json.dumps({"username": "[" * 100, "password": "{" * 100})
    response = api().post("/api/v1/auth/token/", body, content_type="application/json")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_a_list_of_protected_reads_is_one_audit_row_naming_the_reports(cast):
    for n in range(3):
        factories.make_report(cast.analyst, cast.places["c1"], cast.indicator, source_reference=f"S-{n}")
    factories.make_report(cast.analyst, cast.places["c1"], cast.indicator)  # no source: not read
    before = AuditEvent.objects.count()
    body = api(cast.analyst).get("/api/v1/reports/").json()
    assert sorted(r["source_reference"] or "" for r in body["results"]) == ["", "S-0", "S-1", "S-2"]
    assert AuditEvent.objects.count() == before + 1
    row = AuditEvent.objects.get(action=AuditAction.PROTECTED_READ)
    with_source = FieldReport.objects.exclude(source_reference__isnull=True)
    ids = sorted(r.pk for r in with_source if r.source_reference)
    assert row.object_ids == ",".join(map(str, ids))
    assert row.detail == "source_reference of 3 reports" and row.actor == cast.analyst
    assert "S-0" not in row.detail + row.object_ids + row.path
    # One report: one row naming it.
    api(cast.analyst).get(f"/api/v1/reports/{ids[0]}/")
    single = AuditEvent.objects.filter(action=AuditAction.PROTECTED_READ).latest("id")
    assert (single.object_id, single.object_ids) == (str(ids[0]), "")
