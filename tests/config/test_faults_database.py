"""The database unreachable (a TCP proxy the test controls, in front of PostgreSQL): the API
answers 503 JSON with Retry-After, pages a plain "temporarily unavailable" page, /healthz
503 naming the database, each within its bound; nothing is half-saved; the first request
after the database returns is served (issue 17).

Through the live server over real HTTP, so that each request goes through the server's
request cycle (the test client keeps a broken connection between requests; a server
drops it).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from config.health import WORKER_PING_SECONDS
from indicators.models import FieldReport, Reading
from tests import factories
from tests.conftest import requires_real_services
from tests.faults import database_behind_proxy, http, timed
from tests.polling import wait_for

pytestmark = [requires_real_services, pytest.mark.integration, pytest.mark.django_db(transaction=True)]

LIST = reverse("api-report-list")
NEW = reverse("reports:new")
DETAIL = "The database cannot be reached just now; try again shortly."


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
def token_headers(cast, live_server) -> dict[str, str]:
    """A signed-in gateway's headers, the token asked for as API.md says."""
    answer = http(
        "POST",
        f"{live_server.url}{reverse('api-token')}",
        data={"username": cast.analyst.username, "password": factories.PASSWORD},
    )
    assert answer.status == 200, answer.text
    return {"Authorization": f"Token {answer.json()['token']}"}


def test_the_api_answers_503_with_retry_after_and_recovers_by_itself(live_server, token_headers):
    url = f"{live_server.url}{LIST}"
    with database_behind_proxy() as proxy:
        assert http("POST", url, data=body(), headers=token_headers).status == 201
        proxy.cut()
        for method in ("POST", "POST", "GET"):
            answer = http(method, url, data=body() if method == "POST" else None, headers=token_headers)
            assert answer.status == 503
            assert answer.json() == {"detail": DETAIL}
            assert answer.headers["Retry-After"] == str(settings.EWERS_RETRY_AFTER_SECONDS)
        proxy.heal()
        # The server dropped the broken connection: the very next request is served.
        assert http("POST", url, data=body(), headers=token_headers).status == 201
    assert FieldReport.objects.count() == 2


def test_a_cut_in_the_middle_of_a_save_leaves_nothing_half_saved(cast):
    client = APIClient()
    client.force_authenticate(cast.analyst)
    with database_behind_proxy() as proxy:

        def cut_before_the_readings(execute: Callable[..., Any], sql: str, *args: Any) -> Any:
            # The statement writing the readings (with the report, or after it) never reaches
            # the database.
            if 'INSERT INTO "indicators_reading"' in sql:
                proxy.cut()
            return execute(sql, *args)

        with connection.execute_wrapper(cut_before_the_readings):
            response = client.post(LIST, body(), format="json")
        assert response.status_code == 503
        assert response.json() == {"detail": DETAIL}
        proxy.heal()
        connection.close()
        assert FieldReport.objects.count() == 0
        assert Reading.objects.count() == 0


@pytest.mark.parametrize("debug", [False, True])
def test_pages_answer_a_plain_temporarily_unavailable_page(cast, client, live_server, settings, debug):
    settings.DEBUG = debug
    client.force_login(cast.analyst)
    cookie = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"}
    url = f"{live_server.url}{NEW}"
    with database_behind_proxy() as proxy:
        assert http("GET", url, headers=cookie).status == 200
        proxy.cut()
        answer = http("GET", url, headers=cookie)
        assert answer.status == 503
        assert answer.headers["Retry-After"] == str(settings.EWERS_RETRY_AFTER_SECONDS)
        assert answer.headers["Content-Type"].startswith("text/html")
        assert "Temporarily unavailable" in answer.text
        assert "Traceback" not in answer.text and "OperationalError" not in answer.text  # no debug page
        proxy.heal()
        assert http("GET", url, headers=cookie).status == 200


def test_healthz_names_the_database_and_answers_within_its_bound(live_server):
    url = f"{live_server.url}{reverse('healthz')}"
    with database_behind_proxy() as proxy:
        assert http("GET", url).status == 200
        for fault in (proxy.cut, proxy.partition):
            fault()
            seconds, answer = timed(lambda: http("GET", url))
            assert answer.status == 503
            checks = answer.json()["checks"]
            assert checks["database"] == {"ok": False, "required": True}
            assert checks["broker"]["ok"] is True
            assert checks["unscored_reports"]["ok"] is False  # skipped, not waited for
            # Cut: refused at once. Partition: the probe's own connect timeout (libpq's least is 2 s).
            assert seconds < max(2, settings.EWERS_HEALTH_TIMEOUT) + 1.5, (fault.__name__, seconds)
        proxy.heal()
        # Back within the fail-fast pause that the partition's timeout started.
        assert wait_for(lambda: http("GET", url).status == 200, settings.DATABASE_FAIL_FAST_SECONDS + 3)


def test_during_a_partition_one_request_waits_its_connect_timeout_the_others_fail_fast(live_server, token_headers):
    url = f"{live_server.url}{LIST}"
    health = f"{live_server.url}{reverse('healthz')}"
    with database_behind_proxy() as proxy:
        proxy.partition()  # connections are accepted; nothing answers
        seconds, answer = timed(lambda: http("POST", url, data=body(), headers=token_headers))
        assert answer.status == 503
        assert settings.DATABASE_CONNECT_TIMEOUT - 0.5 < seconds < settings.DATABASE_CONNECT_TIMEOUT + 1.5
        # Nobody answered: the next requests (and /healthz) get their 503 without waiting again.
        # /healthz may also ping the workers once (its answer is cached for a while after).
        for target, bound in ((url, 0.5), (url, 0.5), (health, 0.5 + WORKER_PING_SECONDS)):
            seconds, answer = timed(lambda target=target: http("GET", target, headers=token_headers))
            assert (answer.status, seconds < bound) == (503, True), (target, seconds)
        proxy.heal()
        served = wait_for(
            lambda: http("POST", url, data=body(), headers=token_headers).status == 201,
            settings.DATABASE_FAIL_FAST_SECONDS + settings.DATABASE_CONNECT_TIMEOUT + 2,
        )
        assert served
