"""The baseline task: the least a Celery round trip can do (publish → worker → a row).

The worker loads this module with ``-I bench.tasks``; the product never does.
"""

from __future__ import annotations

from celery import shared_task
from django.db import connection

PING_TABLE = "bench_ping"


def ping_table_create() -> None:
    """A scratch table in the bench database (not a model: nothing of the product uses it)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {PING_TABLE} (token text PRIMARY KEY, done_at timestamptz DEFAULT now())"
        )


@shared_task(ignore_result=True)
def ping(token: str) -> None:
    """Write one row, autocommitted: once it is visible, the round trip is over."""
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {PING_TABLE} (token) VALUES (%s)", [token])  # noqa: S608 - a constant name
