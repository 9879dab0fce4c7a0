"""The database seal on the audit trail: UPDATE and DELETE are refused by triggers.

PostgreSQL: a row trigger raises on every UPDATE or DELETE of ``audit_auditevent``.
TRUNCATE (table owner only) is left to ``manage.py flush``, which empties a whole
database, test databases included.

SQLite: the triggers call ``ewers_audit_sealed()``, a function this process registers
on each connection. It answers 1 except inside ``manage.py flush`` (overridden in
``audit.management.commands.flush``); any other client, where the function does not
exist, fails on it and so is refused too.

Note for later migrations: SQLite rebuilds a table to alter it, which drops its
triggers; a migration altering this table must install them again (``SQLITE_SEAL``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

TABLE = "audit_auditevent"
MESSAGE = "the audit trail is append-only"

_purging: ContextVar[bool] = ContextVar("audit_purging", default=False)

POSTGRESQL_SEAL = [
    f"""
    CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'insufficient_privilege';
    END;
    $$ LANGUAGE plpgsql;
    """,
    f"""
    CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
    """,
]
POSTGRESQL_UNSEAL = [
    f"DROP TRIGGER IF EXISTS audit_event_append_only ON {TABLE};",
    "DROP FUNCTION IF EXISTS audit_refuse_change();",
]
SQLITE_SEAL = [
    f"""
    CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON {TABLE}
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;
    """,
    f"""
    CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON {TABLE}
    WHEN ewers_audit_sealed()
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;
    """,
]
SQLITE_UNSEAL = [
    "DROP TRIGGER IF EXISTS audit_event_no_update;",
    "DROP TRIGGER IF EXISTS audit_event_no_delete;",
]


def _sealed() -> int:
    return 0 if _purging.get() else 1


def on_connection_created(sender: Any, connection: Any, **kwargs: Any) -> None:
    """Register ``ewers_audit_sealed()`` on each new SQLite connection (no-op elsewhere)."""
    if connection.vendor == "sqlite":
        connection.connection.create_function("ewers_audit_sealed", 0, _sealed)


@contextmanager
def purging() -> Iterator[None]:
    """Within this block the SQLite seal lets whole-database flushes delete audit rows."""
    token = _purging.set(True)
    try:
        yield
    finally:
        _purging.reset(token)
