"""Gateways that sign their requests (ewers.auth.gateway_signature_check; docs/sms.md)."""

from __future__ import annotations

import json
import time

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from audit.models import AuditEvent
from ewers.auth import gateway_signature
from ewers.models import GatewayToken

pytestmark = pytest.mark.django_db


def _report_body(cast) -> bytes:
    return json.dumps(
        {
            "community": cast.places["c1"].code,
            "observed_at": "2026-01-01T10:00:00Z",
            "readings": [{"indicator": "P01", "value": 2}],
            "source_reliability": "B",
            "information_credibility": 2,
        }
    ).encode()


def test_an_administrator_issues_a_signing_gateway_whose_secret_is_shown_once(cast):
    client = Client()
    client.force_login(cast.admin)
    response = client.post(
        reverse("admin:ewers_gatewaytoken_add"), {"name": "Signed SMS", "user": cast.analyst.pk, "signed": "on"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    key = page.split('id="gateway-token">Authorization: Token ', 1)[1].split("<", 1)[0]
    secret = page.split('id="gateway-signing-secret">', 1)[1].split("<", 1)[0]
    token = GatewayToken.objects.get(name="Signed SMS")
    assert token.signs
    # Kept encrypted: the column holds no clear secret.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT signing_secret FROM ewers_gatewaytoken WHERE id = %s", [token.pk])
        assert secret not in str(cursor.fetchone())
    for url in (
        reverse("admin:ewers_gatewaytoken_changelist"),
        reverse("admin:ewers_gatewaytoken_change", args=[token.pk]),
    ):
        assert secret not in client.get(url).content.decode()
    assert AuditEvent.objects.filter(object_type="gateway_token", detail="new signing secret for Signed SMS").exists()
    # Every request of that gateway must now be signed: the reports endpoint too.
    body = _report_body(cast)
    api = APIClient(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.post("/api/v1/reports/", body, content_type="application/json").status_code == 401
    timestamp = str(int(time.time()))
    signed = api.post(
        "/api/v1/reports/",
        body,
        content_type="application/json",
        HTTP_X_EWERS_TIMESTAMP=timestamp,
        HTTP_X_EWERS_SIGNATURE=gateway_signature(secret, timestamp, body),
    )
    assert signed.status_code == 201, signed.content


def test_an_unsigned_gateway_needs_no_signature(cast):
    client = Client()
    client.force_login(cast.admin)
    page = client.post(reverse("admin:ewers_gatewaytoken_add"), {"name": "Plain", "user": cast.analyst.pk})
    assert 'id="gateway-signing-secret"' not in page.content.decode()
    assert not GatewayToken.objects.get(name="Plain").signs


def test_the_signed_bytes_are_the_timestamp_a_dot_and_the_raw_body():
    import hashlib
    import hmac

    expected = hmac.new(b"s3cret", b"1767225600." + b'{"a": 1}', hashlib.sha256).hexdigest()
    assert gateway_signature("s3cret", "1767225600", b'{"a": 1}') == "sha256=" + expected
