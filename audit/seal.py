"""The database seal on the audit trail: UPDATE and DELETE are refused by triggers.

PostgreSQL: a row trigger raises on every UPDATE or DELETE of ``audit_auditevent``.
TRUNCATE (table owner only) is left to ``manage.py flush``, which empties a whole
database, test databases included.

SQLite: the triggers call ``ewers_audit_sealed()``, a function this process registers
on each connection. It answers 1 except inside ``manage.py flush`` (overridden in
``audit.management.commands.flush``); any other client, where the function does not
exist, fails on it and so is refused too.

The one removal let through: retention's, of old refused-access rows (docs/operations.md,
"Retention"). PostgreSQL: ``audit_purge_refused(ids, cutoff)``, a SECURITY DEFINER function
owned by the tables' owner, sets a transaction-local flag that the events' trigger honours
for ``access_denied`` rows only, and refuses a cutoff less than REFUSED_ACCESS_FLOOR_DAYS
ago. SQLite: inside ``purging_refused()`` the trigger lets this process delete
``access_denied`` rows. The gaps such a removal leaves (``audit_auditgap``) are sealed the
same way as the events: never changed, never deleted.

Note for later migrations: SQLite rebuilds a table to alter it, which drops its
triggers; a migration altering this table must install them again (``SQLITE_SEAL``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

TABLE = "audit_auditevent"
GAP_TABLE = "audit_auditgap"
MESSAGE = "the audit trail is append-only"
# The key of the PostgreSQL advisory lock that serialises appends to the chain ("AUDT").
CHAIN_LOCK = 0x41554454
# Refused-access rows younger than this are never removed, whatever the settings say: the
# trace of a probe under way stays (the application's role cannot ask for less).
REFUSED_ACCESS_FLOOR_DAYS = 30
PURGE_FUNCTION = "audit_purge_refused(bigint[], timestamptz)"

_purging: ContextVar[bool] = ContextVar("audit_purging", default=False)
_purging_refused: ContextVar[bool] = ContextVar("audit_purging_refused", default=False)

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
# Retention's removal (migration audit 0003): the events' trigger lets the function's
# deletes of refused-access rows through; the gaps are sealed like the events.
POSTGRESQL_PURGE = [
    f"""
    CREATE OR REPLACE FUNCTION audit_event_refuse_change() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            IF OLD.action = 'access_denied'
               AND current_setting('ewers.audit_purge_refused', true) = 'on' THEN
                RETURN OLD;
            END IF;
        END IF;
        RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'insufficient_privilege';
    END;
    $$ LANGUAGE plpgsql;
    """,
    f"DROP TRIGGER IF EXISTS audit_event_append_only ON {TABLE};",
    f"""
    CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION audit_event_refuse_change();
    """,
    # Built from this module's constants only.
    f"""
    CREATE OR REPLACE FUNCTION audit_purge_refused(ids bigint[], cutoff timestamptz) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    DECLARE
        removed integer;
    BEGIN
        IF cutoff > now() - interval '{REFUSED_ACCESS_FLOOR_DAYS} days' THEN
            RAISE EXCEPTION 'refused-access rows are kept at least {REFUSED_ACCESS_FLOOR_DAYS} days'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        PERFORM pg_advisory_xact_lock({CHAIN_LOCK});
        PERFORM set_config('ewers.audit_purge_refused', 'on', true);
        DELETE FROM {TABLE} WHERE id = ANY(ids) AND action = 'access_denied' AND at <= cutoff;
        GET DIAGNOSTICS removed = ROW_COUNT;
        PERFORM set_config('ewers.audit_purge_refused', 'off', true);
        RETURN removed;
    END;
    $$;
    """,  # noqa: S608
    f"REVOKE ALL ON FUNCTION {PURGE_FUNCTION} FROM PUBLIC;",
    f"""
    CREATE TRIGGER audit_gap_append_only BEFORE UPDATE OR DELETE ON {GAP_TABLE}
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
    """,
]
POSTGRESQL_UNPURGE = [
    f"DROP TRIGGER IF EXISTS audit_gap_append_only ON {GAP_TABLE};",
    f"DROP FUNCTION IF EXISTS {PURGE_FUNCTION};",
    f"DROP TRIGGER IF EXISTS audit_event_append_only ON {TABLE};",
    f"""
    CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
    """,
    "DROP FUNCTION IF EXISTS audit_event_refuse_change();",
]
SQLITE_SEAL = [
    f"""
    CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON {TABLE}
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;
    """,
    f"""
    CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON {TABLE}
    WHEN ewers_audit_sealed(OLD.action)
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;
    """,
    f"""
    CREATE TRIGGER audit_gap_no_update BEFORE UPDATE ON {GAP_TABLE}
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;
    """,
    f"""
    CREATE TRIGGER audit_gap_no_delete BEFORE DELETE ON {GAP_TABLE}
    WHEN ewers_audit_sealed()
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;
    """,
]
SQLITE_UNSEAL = [
    "DROP TRIGGER IF EXISTS audit_event_no_update;",
    "DROP TRIGGER IF EXISTS audit_event_no_delete;",
    "DROP TRIGGER IF EXISTS audit_gap_no_update;",
    "DROP TRIGGER IF EXISTS audit_gap_no_delete;",
]


def _sealed(action: str | None = None) -> int:
    if _purging.get():
        return 0
    if action == "access_denied" and _purging_refused.get():
        return 0
    return 1


def on_connection_created(sender: Any, connection: Any, **kwargs: Any) -> None:
    """Register ``ewers_audit_sealed()`` (and its one-argument form, which is told the
    row's action) on each new SQLite connection (no-op elsewhere)."""
    if connection.vendor == "sqlite":
        connection.connection.create_function("ewers_audit_sealed", 0, _sealed)
        connection.connection.create_function("ewers_audit_sealed", 1, _sealed)


@contextmanager
def purging() -> Iterator[None]:
    """Within this block the SQLite seal lets whole-database flushes delete audit rows."""
    token = _purging.set(True)
    try:
        yield
    finally:
        _purging.reset(token)


@contextmanager
def purging_refused() -> Iterator[None]:
    """Within this block the SQLite seal lets retention delete refused-access rows (and
    no other): the equivalent of PostgreSQL's ``audit_purge_refused``."""
    token = _purging_refused.set(True)
    try:
        yield
    finally:
        _purging_refused.reset(token)
