"""Housekeeping tasks: in-process without a broker, and on a real worker with Redis."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from ewers.tasks import sessions_clear_expired
from tests.conftest import requires_real_services


def make_sessions() -> tuple[str, str]:
    live, stale = SessionStore(), SessionStore()
    live["k"] = stale["k"] = "v"
    live.create()
    stale.create()
    Session.objects.filter(session_key=stale.session_key).update(expire_date=timezone.now() - timedelta(days=1))
    return live.session_key, stale.session_key


@pytest.mark.django_db
def test_it_clears_only_expired_sessions():
    live, _stale = make_sessions()
    assert sessions_clear_expired.apply().get() == 1
    assert list(Session.objects.values_list("session_key", flat=True)) == [live]


@requires_real_services
@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_task_through_redis(celery_app, celery_worker):
    live, _stale = make_sessions()
    sessions_clear_expired.delay()
    # The task keeps no result (it is periodic): wait, bounded, for its effect in the database.
    deadline = time.monotonic() + 30
    while Session.objects.count() > 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert list(Session.objects.values_list("session_key", flat=True)) == [live]
