"""Writes of the audit trail: one function, append only, each row chained to the last."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import connection, transaction
from django.http import HttpRequest

from audit.chain import GENESIS, row_hash
from audit.models import AuditEvent
from ewers.models import User

# The key of the PostgreSQL advisory lock that serialises appends to the chain ("AUDT").
CHAIN_LOCK = 0x41554454


def _clip(value: str, size: int) -> str:
    """At most ``size`` characters, each printable: a refused URL may carry NUL bytes or
    lone surrogates, which PostgreSQL cannot store (the row must still be written)."""
    value = "".join(ch if ch.isprintable() else f"\\x{{{ord(ch):x}}}" for ch in value)
    return value if len(value) <= size else value[: size - 1] + "…"


def _chain_lock() -> None:
    """Hold the chain until this transaction ends, so that reading the last hash and
    appending the row that follows it happen as one step for concurrent writers.

    PostgreSQL: a transaction-scoped advisory lock (released at commit or rollback), so
    rows commit in the order of their ids and each follows the last committed one.
    SQLite allows one writing transaction at a time, which serialises the writers.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK])


@transaction.atomic
def audit_record(
    *,
    action: str,
    actor: User | None = None,
    object_type: str = "",
    object_id: str | int = "",
    object_ids: Iterable[str | int] = (),
    detail: str = "",
    request: HttpRequest | None = None,
    status: int | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Append one row to the audit trail, chained to the row before it (audit.chain).

    ``detail`` must name no protected value (no narrative, no source reference): callers
    pass a short, fixed phrase such as "pending → acknowledged". ``object_ids`` names
    several objects in one row (a read across a list). With a ``request``, the path and
    method are kept and the signed-in user is the actor unless one is given.
    """
    path = method = ""
    if request is not None:
        path = _clip(request.path, 500)
        method = request.method or ""
        if actor is None and isinstance(getattr(request, "user", None), User):
            actor = request.user  # type: ignore[assignment]
    event = AuditEvent(
        actor=actor,
        actor_username=actor.get_username() if actor is not None else "",
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        object_ids=",".join(str(i) for i in object_ids),
        detail=_clip(detail, 300),
        path=path,
        method=method,
        status=status,
    )
    if at is not None:
        event.at = at
    _chain_lock()
    event.prev_hash = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first() or GENESIS
    event.hash = row_hash(event.prev_hash, event)
    event.save(force_insert=True)
    return event
