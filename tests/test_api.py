"""API v1 foundations: token login, who-am-I, the offline schema and docs, the health check."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from indicators.models import FieldReport
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


def test_a_token_is_exchanged_for_valid_credentials(cast, api):
    response = api.post(reverse("api-token"), {"username": "cso", "password": factories.PASSWORD}, format="json")
    assert response.status_code == 200
    api.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    me = api.get(reverse("api-me"))
    assert me.status_code == 200
    assert me.json() == {"username": "cso", "organisation": "Organisation cso", "sector": "cso", "role": "responder"}


def test_bad_credentials_get_a_400_with_a_message(cast, api):
    response = api.post(reverse("api-token"), {"username": "cso", "password": "nope"}, format="json")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_a_missing_field_gets_a_field_message(cast, api):
    response = api.post(reverse("api-token"), {"username": "cso"}, format="json")
    assert response.status_code == 400
    assert response.json()["password"] == ["This field is required."]


def test_malformed_json_gets_a_400(cast, api):
    response = api.post(reverse("api-token"), "{not json", content_type="application/json")
    assert response.status_code == 400


def test_me_needs_credentials(api):
    assert api.get(reverse("api-me")).status_code == 401


def test_a_superuser_without_organisation_is_described(cast, api, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.org", "x" * 12)
    api.force_authenticate(root)
    assert api.get(reverse("api-me")).json()["organisation"] is None


def test_the_schema_and_docs_are_served_offline(cast, api):
    api.force_authenticate(cast.analyst)
    schema = api.get(reverse("api-schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert "/api/v1/me/" in schema.json()["paths"]
    docs = api.get(reverse("api-docs")).content.decode()
    assert "swagger-ui" in docs
    assert "cdn." not in docs and "https://" not in docs


def test_the_health_check_names_each_check(client):
    response = client.get(reverse("healthz"))
    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "broker", "workers", "unscored_reports"}
    assert body["checks"]["database"]["ok"] is True
    assert "detail" not in body["checks"]["database"]  # details are for staff


def test_staff_get_the_health_details(cast, client):
    client.force_login(cast.admin)
    body = client.get(reverse("healthz")).json()
    assert body["checks"]["unscored_reports"] == {
        "ok": True,
        "required": False,
        "detail": "0 waiting, 0 out of attempts",
    }


def test_the_health_check_fails_when_the_broker_does_not_answer(client, settings):
    # A real connection to a port where nothing listens: no mock.
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["ok"] is False


def test_the_token_endpoint_locks_out_after_repeated_failures(cast, api, settings):
    url = reverse("api-token")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert api.post(url, {"username": "cso", "password": "nope"}, format="json").status_code == 400
    # The failure that reaches the limit locks the account at once...
    assert api.post(url, {"username": "cso", "password": "nope"}, format="json").status_code == 429
    # ...and the right password is refused while it lasts.
    response = api.post(url, {"username": "cso", "password": factories.PASSWORD}, format="json")
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.json()["detail"]


def test_members_of_a_deactivated_organisation_lose_token_access(cast, api):
    token = api.post(reverse("api-token"), {"username": "cso", "password": factories.PASSWORD}, format="json")
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")
    assert api.get(reverse("api-me")).status_code == 200
    cast.cso.is_active = False
    cast.cso.save()
    assert api.get(reverse("api-me")).status_code == 401
    api.credentials()
    response = api.post(reverse("api-token"), {"username": "cso", "password": factories.PASSWORD}, format="json")
    assert response.status_code == 400


def test_the_health_details_count_reports_waiting_and_out_of_attempts(cast, client, settings):
    late = timezone.now() - timedelta(minutes=5)
    waiting = factories.make_report(cast.analyst, cast.places["c1"], cast.indicator)
    stuck = factories.make_report(cast.analyst, cast.places["c2"], cast.indicator)
    FieldReport.objects.filter(pk__in=[waiting.pk, stuck.pk]).update(received_at=late)
    FieldReport.objects.filter(pk=stuck.pk).update(scoring_attempts=settings.EWERS_SCORING_MAX_ATTEMPTS)
    client.force_login(cast.admin)
    body = client.get(reverse("healthz")).json()
    assert body["status"] == "ok"  # informational: the site still answers
    assert body["checks"]["unscored_reports"] == {
        "ok": False,
        "required": False,
        "detail": "2 waiting, 1 out of attempts",
    }
