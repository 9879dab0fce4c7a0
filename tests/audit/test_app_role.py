"""The application's database role (issue 12; ASVS 7.3.4): it may read and append to the
audit trail and nothing more — no UPDATE, DELETE or TRUNCATE, no trigger control, no
``session_replication_role`` — while the owner runs the migrations (PostgreSQL)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg2
import pytest
from django.core.management import call_command
from django.db import connection

from audit.models import AuditEvent
from audit.services import audit_record
from tests.conftest import requires_real_services

pytestmark = [requires_real_services, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def app_role(monkeypatch) -> Iterator[psycopg2.extensions.connection]:
    """A role made by ``manage.py grant_app_role`` as the deployment makes it, and a
    connection to the test database as that role."""
    role = f"ewers_test_app_{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("EWERS_TEST_APP_PASSWORD", "a-test-only-password")
    call_command("grant_app_role", role, "--password-env", "EWERS_TEST_APP_PASSWORD")
    settings = connection.settings_dict
    conn = psycopg2.connect(
        dbname=settings["NAME"],
        user=role,
        password="a-test-only-password",
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
    )
    conn.autocommit = True
    try:
        yield conn
    finally:
        conn.close()
        with connection.cursor() as cursor:
            cursor.execute(f'DROP OWNED BY "{role}"')
            cursor.execute(f'DROP ROLE "{role}"')


REFUSED = [
    "UPDATE audit_auditevent SET detail = 'changed'",
    "DELETE FROM audit_auditevent",
    "TRUNCATE audit_auditevent",
    "ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_append_only",
    "ALTER TABLE audit_auditevent DISABLE TRIGGER ALL",
    "SET session_replication_role = replica",
    "DROP TABLE audit_auditevent",
]


def test_the_app_role_only_reads_and_appends_to_the_audit_trail(app_role):
    audit_record(action="state_change", object_type="alert", object_id=1, detail="opened")
    with app_role.cursor() as cursor:
        cursor.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        assert cursor.fetchone() == (False, False)
        cursor.execute("SELECT count(*) FROM audit_auditevent")
        assert cursor.fetchone() == (1,)
        cursor.execute(
            "INSERT INTO audit_auditevent (at, actor_username, action, object_type, object_id, object_ids,"
            " detail, path, method, prev_hash, hash) VALUES (now(), '', 'state_change', 'alert', '2', '',"
            " 'closed', '', '', '', '')"
        )
        for statement in REFUSED:
            with pytest.raises(psycopg2.Error) as refused:
                cursor.execute(statement)
            assert refused.value.pgcode in {"42501", "42809"}, (statement, refused.value.pgerror)
        cursor.execute("SELECT count(*) FROM audit_auditevent")
        assert cursor.fetchone() == (2,)


def test_the_app_role_works_every_other_table(app_role, cast):
    with app_role.cursor() as cursor:
        cursor.execute("UPDATE ewers_user SET first_name = 'Ana' WHERE username = 'ana'")
        assert cursor.rowcount == 1
        cursor.execute("DELETE FROM django_session")


def test_the_command_refuses_to_make_the_owner_the_app_role():
    from django.core.management import CommandError

    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        (owner,) = cursor.fetchone()
    with pytest.raises(CommandError, match="must not be the owner"):
        call_command("grant_app_role", owner)


def test_the_command_prints_its_statements():
    from io import StringIO

    out = StringIO()
    call_command("grant_app_role", "ewers_app_printed", "--sql", stdout=out)
    sql = out.getvalue()
    assert 'GRANT SELECT, INSERT ON "audit_auditevent" TO "ewers_app_printed"' in sql
    assert "NOSUPERUSER" in sql


def test_the_app_role_removes_only_old_refusals_through_the_function(app_role):
    """Retention's one removal (audit.seal): old refused-access rows, nothing else, never
    a recent one; the gaps table only to read and append to."""
    from datetime import timedelta

    from django.utils import timezone

    from audit.services import audit_purge_refused

    old = timezone.now() - timedelta(days=400)
    rows = [audit_record(action=a, object_id=i, at=old) for i, a in enumerate(["access_denied", "state_change"])]
    recent = audit_record(action="access_denied", object_id=9, at=timezone.now() - timedelta(days=10))
    ids = [r.pk for r in (*rows, recent)]
    with app_role.cursor() as cursor:
        cursor.execute("SELECT audit_purge_refused(%s::bigint[], now() - interval '365 days')", [ids])
        assert cursor.fetchone() == (1,)
        with pytest.raises(psycopg2.Error, match="kept at least 30 days"):
            cursor.execute("SELECT audit_purge_refused(%s::bigint[], now())", [ids])
        cursor.execute("SELECT count(*) FROM audit_auditevent")
        assert cursor.fetchone() == (2,)
    # The service seals what it removes; the role may not touch the gaps.
    more = audit_record(action="access_denied", object_id=10, at=old)
    audit_record(action="state_change", object_id=11)
    assert audit_purge_refused(cutoff=timezone.now() - timedelta(days=365), batch=10) == 1
    with app_role.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM audit_auditgap")
        assert cursor.fetchone() == (1,)
        # It appends gaps as the service does (the worker runs as this role).
        cursor.execute(
            "INSERT INTO audit_auditgap (seal_id, before_hash, after_hash, removed, first_id, last_id)"
            " SELECT seal_id, before_hash, after_hash, removed, first_id, last_id FROM audit_auditgap"
        )
        for statement in ("UPDATE audit_auditgap SET removed = 0", "DELETE FROM audit_auditgap"):
            with pytest.raises(psycopg2.Error) as refused:
                cursor.execute(statement)
            assert refused.value.pgcode == "42501", statement
    assert not AuditEvent.objects.filter(pk=more.pk).exists()
