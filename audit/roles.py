"""The database role the application runs as, which may only read and append to the
audit trail (PostgreSQL).

Migrations run as the tables' owner. The web, worker and beat processes connect as this
role instead: it may read and write every table except the audit trail, where it may
only SELECT and INSERT (and so on the gaps retention records), and remove old
refused-access rows only through ``audit_purge_refused`` (audit.seal). Without UPDATE,
DELETE, TRUNCATE or TRIGGER privileges, not owning the table and not being a superuser,
it can neither change a row, empty the table, disable the seal's trigger (``ALTER TABLE
... DISABLE TRIGGER`` needs the owner) nor skip it with ``SET session_replication_role = replica`` (superusers only).
"""

from __future__ import annotations

from typing import Any

from audit.seal import GAP_TABLE, PURGE_FUNCTION, TABLE


def app_role_statements(*, role: str, database: str, exists: bool, quote: Any) -> list[str]:
    """The SQL that creates (or brings back into line) ``role`` in ``database``, run as the
    owner of the tables. ``quote`` quotes an identifier (the connection's quote_name)."""
    r, db = quote(role), quote(database)
    attributes = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT"
    return [
        f"{'ALTER' if exists else 'CREATE'} ROLE {r} {attributes}",
        f"GRANT CONNECT ON DATABASE {db} TO {r}",
        f"GRANT USAGE ON SCHEMA public TO {r}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {r}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {r}",
        # Tables and sequences later migrations create (as this owner) are granted too...
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {r}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {r}",
        # ...but the audit trail only to read and to append to.
        f"REVOKE ALL ON {quote(TABLE)} FROM {r}",
        f"GRANT SELECT, INSERT ON {quote(TABLE)} TO {r}",
        # The gaps retention's removals leave: to read and to append to, likewise.
        f"REVOKE ALL ON {quote(GAP_TABLE)} FROM {r}",
        f"GRANT SELECT, INSERT ON {quote(GAP_TABLE)} TO {r}",
        # The one removal: old refused-access rows, through the owner's function (audit.seal).
        f"GRANT EXECUTE ON FUNCTION {PURGE_FUNCTION} TO {r}",
    ]
