"""The tamper-evident audit trail (issue 12; ASVS 7.3.3): each row chains to the one
before it; ``manage.py audit_verify`` recomputes the chain and names the first broken row;
the migration chained the rows written before; concurrent writers keep one chain."""

from __future__ import annotations

import importlib
import threading
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.test import Client

from audit.chain import GENESIS, row_hash
from audit.models import AuditEvent
from audit.services import audit_record
from tests.conftest import requires_real_services

pytestmark = pytest.mark.django_db


def verify() -> str:
    out = StringIO()
    call_command("audit_verify", stdout=out)
    return out.getvalue()


def write(n: int) -> list[AuditEvent]:
    return [audit_record(action="state_change", object_type="alert", object_id=i, detail=f"step {i}") for i in range(n)]


def tamper(sql: str, params: list[object]) -> None:
    """Change the trail behind the seal's back, as only the tables' owner could."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute(sql, params)
            cursor.execute("SET LOCAL session_replication_role = origin")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
            cursor.execute("DROP TRIGGER IF EXISTS audit_event_no_delete")
            cursor.execute(sql, params)


def test_each_row_chains_to_the_one_before(db):
    first, second, third = write(3)
    assert first.prev_hash == GENESIS
    assert (second.prev_hash, third.prev_hash) == (first.hash, second.hash)
    assert third.hash == row_hash(second.hash, AuditEvent.objects.get(pk=third.pk))
    assert "intact: 3 rows" in verify()


def test_a_changed_row_is_named(db):
    rows = write(4)
    tamper("UPDATE audit_auditevent SET detail = %s WHERE id = %s", ["nothing happened", rows[1].pk])
    with pytest.raises(CommandError, match=f"broken at row {rows[1].pk}: its fields do not match"):
        verify()


def test_a_removed_row_breaks_the_chain_at_the_next(db):
    rows = write(4)
    tamper("DELETE FROM audit_auditevent WHERE id = %s", [rows[1].pk])
    with pytest.raises(CommandError, match=f"broken at row {rows[2].pk}: it does not chain"):
        verify()


def test_a_recomputed_row_still_breaks_the_next(db):
    rows = write(3)
    forged = AuditEvent.objects.get(pk=rows[1].pk)
    forged.detail = "forged"
    tamper(
        "UPDATE audit_auditevent SET detail = %s, hash = %s WHERE id = %s",
        ["forged", row_hash(forged.prev_hash, forged), rows[1].pk],
    )
    with pytest.raises(CommandError, match=f"broken at row {rows[2].pk}"):
        verify()


def test_the_admin_shows_the_verification(cast):
    write(2)
    client = Client()
    client.force_login(cast.admin)
    page = client.get("/admin/audit/auditevent/verify/").content.decode()
    assert "The audit trail is intact" in page


def test_the_migration_chains_the_rows_written_before(db):
    """Rows without a chain (as before the migration) get one, oldest first."""
    migration = importlib.import_module("audit.migrations.0002_hash_chain")
    for i in range(3):
        AuditEvent.objects.bulk_create([AuditEvent(action="state_change", object_id=str(i), prev_hash="", hash="")])
    from django.apps import apps

    class Editor:
        """What the migration uses of a schema editor (SQLite's refuses to open inside
        the test's transaction)."""

        def __init__(self) -> None:
            self.connection = connection

        def execute(self, sql: str) -> None:
            with connection.cursor() as cursor:
                if connection.vendor == "postgresql":
                    # The rows above wait for their deferred checks; a migration has none.
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute(sql)

    migration.chain_fill(apps, Editor())
    assert "intact: 3 rows" in verify()
    # The seal is back on.
    from django.db import DatabaseError, transaction

    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=AuditEvent.objects.first().pk).update(detail="x")


@requires_real_services
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_one_chain():
    """Four connections append at once; the advisory lock keeps every row after the last
    committed one (PostgreSQL)."""
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(15):
                audit_record(action="state_change", object_type="alert", object_id=f"{n}-{i}")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert AuditEvent.objects.count() == 60
    assert "intact: 60 rows" in verify()
