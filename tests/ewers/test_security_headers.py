"""Headers (issue 12; ASVS 8.2.1, 14.3): no answer to a signed-in user is cached; the API
schema and its docs are for signed-in users only."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from tests.api import token_for

pytestmark = pytest.mark.django_db


def test_every_page_for_a_signed_in_user_is_no_store(cast):
    client = Client()
    client.force_login(cast.coordinator)
    for url in (
        "/",
        "/reports/",
        "/alerts/",
        "/heatmap/",
        "/heatmap/export.csv",
        "/notifications/",
        reverse("account_change_password"),
        reverse("mfa_index"),
        "/api/v1/me/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"], url
        assert "private" in response["Cache-Control"], url


def test_token_answers_are_no_store_and_even_refusals(cast):
    client = APIClient(HTTP_AUTHORIZATION=f"Token {token_for(cast.analyst)}")
    for url in ("/api/v1/me/", "/api/v1/reports/", "/api/v1/alerts/999999/"):
        assert "no-store" in client.get(url)["Cache-Control"], url
    assert "no-store" in APIClient(HTTP_AUTHORIZATION="Token nonsense").get("/api/v1/me/")["Cache-Control"]


def test_the_admin_is_no_store(cast):
    client = Client()
    client.force_login(cast.admin)
    assert "no-store" in client.get("/admin/ewers/user/")["Cache-Control"]


def test_the_schema_and_docs_are_for_signed_in_users(cast):
    anonymous = APIClient()
    assert anonymous.get("/api/v1/schema/").status_code == 401
    assert anonymous.get("/api/v1/docs/").status_code == 401
    client = APIClient(HTTP_AUTHORIZATION=f"Token {token_for(cast.cso_user)}")
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert "/api/v1/auth/logout/" in schema.json()["paths"]
    assert client.get("/api/v1/docs/").status_code == 200
