"""A text field of the report input takes a JSON string: a number (or any other value) is
a 400 naming the field, not text made of its digits (issue 17)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from indicators.models import FieldReport

pytestmark = pytest.mark.django_db

LIST = reverse("api-report-list")
BATCH = reverse("api-report-batch")
NOT_TEXT = [12, 12.5, True, {"text": "x"}]


def body(**overrides: Any) -> dict[str, Any]:
    return {
        "community": "T-1-1-1",
        "observed_at": (timezone.now() - timedelta(hours=1)).isoformat(),
        "readings": [{"indicator": "P01", "value": 3}],
        "source_reliability": "B",
        "information_credibility": 2,
        "narrative": "Leaflets at the market.",
    } | overrides


@pytest.fixture
def client(cast) -> APIClient:
    api = APIClient()
    api.force_authenticate(cast.analyst)
    return api


@pytest.mark.parametrize("field", ["narrative", "source_reference", "source_reliability"])
@pytest.mark.parametrize("value", NOT_TEXT, ids=repr)
def test_a_text_field_sent_as_another_type_is_a_400(client, field, value):
    response = client.post(LIST, body(**{field: value}), format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert not FieldReport.objects.exists()


@pytest.mark.parametrize("field", ["narrative", "idempotency_key"])
def test_a_batch_item_with_a_number_for_text_is_refused_alone(client, field):
    response = client.post(BATCH, {"reports": [body(**{field: 12}), body()]}, format="json")
    results = response.json()["results"]
    assert response.status_code == 200
    assert [r["status"] for r in results] == [400, 201]
    assert results[0]["errors"] == {field: ["Not a valid string."]}
    assert FieldReport.objects.count() == 1


def test_text_is_still_text(client):
    assert client.post(LIST, body(narrative="12"), format="json").status_code == 201
    assert FieldReport.objects.get().narrative == "12"
