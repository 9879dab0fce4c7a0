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
