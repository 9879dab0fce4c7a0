"""The Celery app (config/celery.py): the beat schedule names tasks it registers."""

from __future__ import annotations

import pytest


def test_the_beat_schedule_names_registered_tasks(settings):
    from config.celery import app

    app.loader.import_default_modules()
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks


def _task(*, eager: bool):
    from types import SimpleNamespace

    return SimpleNamespace(request=SimpleNamespace(is_eager=eager))


@pytest.mark.django_db(transaction=True)
def test_around_a_workers_task_an_old_connection_is_closed_and_a_young_one_kept():
    # Django's rule for requests, in a worker (CELERY_DB_REUSE_MAX keeps Celery from
    # closing every connection around every task itself).
    import time

    from django.db import connection

    from config.celery import connections_renew

    if connection.vendor == "sqlite":
        pytest.skip("Django never closes SQLite's in-memory test database")
    connection.ensure_connection()
    kept = connection.connection
    connection.close_at = time.monotonic() + 60
    connections_renew(sender=_task(eager=False))
    assert connection.connection is kept
    connection.close_at = time.monotonic() - 1  # older than CONN_MAX_AGE
    connections_renew(sender=_task(eager=False))
    assert connection.connection is None


@pytest.mark.django_db
def test_a_task_run_in_process_leaves_its_callers_connection_alone():
    # Inside the caller's transaction: closing it there would lose the caller's work.
    from django.db import connection

    from config.celery import connections_renew

    connection.ensure_connection()
    held = connection.connection
    connections_renew(sender=_task(eager=True))
    # Closed in a transaction, Django keeps the object but closes it and dooms the block
    # (on PostgreSQL: Django never closes SQLite's in-memory test database).
    assert connection.connection is held
    held.cursor().execute("SELECT 1")  # still open
    assert connection.in_atomic_block and not connection.needs_rollback


def test_a_worker_builds_the_url_lookups_of_every_language_before_its_pool_starts():
    # In a fresh process, as a worker's main process is: nothing of the URLs is loaded
    # until the warm-up, and then every language's reverse lookups are there to inherit.
    import json
    import subprocess
    import sys

    script = (
        "import json, sys, django\n"
        "django.setup()\n"
        "from django.conf import settings\n"
        "from django.urls import get_resolver\n"
        "from config.celery import worker_warm\n"
        "resolver = get_resolver()\n"
        "state = lambda: [settings.ROOT_URLCONF in sys.modules, sorted(resolver._reverse_dict)]\n"
        "before = state()\n"
        "worker_warm()\n"
        "print(json.dumps([before, state(), sorted(code for code, _name in settings.LANGUAGES)]))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    before, after, languages = json.loads(done.stdout)
    assert before == [False, []]
    assert after == [True, languages] and languages
