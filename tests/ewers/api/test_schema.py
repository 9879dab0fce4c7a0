"""The OpenAPI schema: valid, naming every path of API.md's report and assessment part, and
served with its docs offline."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.urls import reverse
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

ISSUE_3_PATHS = {
    "/api/v1/regions/": {"get"},
    "/api/v1/communities/": {"get"},
    "/api/v1/communities/{ref}/assessment/": {"get"},
    "/api/v1/communities/{ref}/history/": {"get"},
    "/api/v1/indicators/": {"get"},
    "/api/v1/reports/": {"get", "post"},
    "/api/v1/reports/{id}/": {"get"},
    "/api/v1/reports/{id}/verify/": {"post"},
    "/api/v1/reports/{id}/dispute/": {"post"},
    "/api/v1/reports/import/": {"post"},
    "/api/v1/reports/batch/": {"post"},
    "/api/v1/alerts/": {"get"},
    "/api/v1/alerts/{id}/": {"get"},
}


def test_it_validates_without_warnings(tmp_path: Path):
    target = tmp_path / "schema.yaml"
    result = subprocess.run(
        [sys.executable, "manage.py", "spectacular", "--validate", "--fail-on-warn", "--file", str(target)],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings_test"},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    schema = yaml.safe_load(target.read_text())
    for path, methods in ISSUE_3_PATHS.items():
        assert methods <= set(schema["paths"].get(path, {})), path


def test_every_path_of_issue_3_is_served_in_the_schema(cast):
    client = APIClient()
    client.force_authenticate(cast.analyst)
    schema = client.get(reverse("api-schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    for path, methods in ISSUE_3_PATHS.items():
        assert methods <= set(schema["paths"].get(path, {})), path
    create = schema["paths"]["/api/v1/reports/"]["post"]
    assert {p["name"] for p in create["parameters"]} >= {"Idempotency-Key"}
    assert {"201", "200", "400", "403", "413", "415"} <= set(create["responses"])
    assert set(schema["paths"]["/api/v1/reports/import/"]["post"]["requestBody"]["content"]) == {
        "multipart/form-data",
        "text/csv",
    }
    report = schema["components"]["schemas"]["Report"]["properties"]
    assert {"status", "verification", "readings", "grading", "source_reference"} <= set(report)


def test_the_schema_and_docs_are_served_offline(cast, api):
    api.force_authenticate(cast.analyst)
    schema = api.get(reverse("api-schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert "/api/v1/me/" in schema.json()["paths"]
    docs = api.get(reverse("api-docs")).content.decode()
    assert "swagger-ui" in docs
    assert "cdn." not in docs and "https://" not in docs
