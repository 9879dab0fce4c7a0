"""The health check (config/health.py, /healthz): each check named, details for staff only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from indicators.models import FieldReport
from tests import factories

pytestmark = pytest.mark.django_db


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
