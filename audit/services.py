"""Writes of the audit trail: append only, each row chained to the last; and the one
removal retention may make, of old refused-access rows, with its gaps sealed."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone

from audit.chain import GENESIS, LinkRow, gaps_digest, gaps_find, row_hash
from audit.choices import AuditAction
from audit.models import AuditEvent, AuditGap
from audit.seal import CHAIN_LOCK, REFUSED_ACCESS_FLOOR_DAYS, purging_refused
from ewers.models import User

__all__ = [
    "CHAIN_LOCK",
    "AuditEntry",
    "audit_purge_refused",
    "audit_record",
    "audit_record_many",
    "audit_refused_due",
]


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


@dataclass(frozen=True)
class AuditEntry:
    """One row to append with ``audit_record_many``: ``audit_record``'s fields without a request."""

    action: str
    actor: User | None = None
    object_type: str = ""
    object_id: str | int = ""
    object_ids: Iterable[str | int] = ()
    detail: str = ""
    at: datetime | None = None


def _event(entry: AuditEntry, *, path: str = "", method: str = "", status: int | None = None) -> AuditEvent:
    actor = entry.actor
    event = AuditEvent(
        actor=actor,
        actor_username=actor.get_username() if actor is not None else "",
        action=entry.action,
        object_type=entry.object_type,
        object_id=str(entry.object_id),
        object_ids=",".join(str(i) for i in entry.object_ids),
        detail=_clip(entry.detail, 300),
        path=path,
        method=method,
        status=status,
    )
    if entry.at is not None:
        event.at = entry.at
    return event


def _last_hash() -> str:
    return AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first() or GENESIS


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
    entry = AuditEntry(
        action=action,
        actor=actor,
        object_type=object_type,
        object_id=object_id,
        object_ids=object_ids,
        detail=detail,
        at=at,
    )
    event = _event(entry, path=path, method=method, status=status)
    _chain_lock()
    event.prev_hash = _last_hash()
    event.hash = row_hash(event.prev_hash, event)
    event.save(force_insert=True)
    return event


@transaction.atomic(savepoint=False)  # all or nothing with the caller's transaction: no savepoint
def audit_record_many(entries: Sequence[AuditEntry]) -> list[AuditEvent]:
    """Append ``entries`` in their order, under one hold of the chain's lock, with one read
    of the last hash and one insert: the rows, their hashes and their order are exactly
    those that ``audit_record`` called for each in turn would write (ids in the same order:
    PostgreSQL numbers a multi-row insert's rows in their order). For a scoring batch that
    opens dozens of alerts: three statements instead of three a row."""
    if not entries:
        return []
    events = [_event(entry) for entry in entries]
    _chain_lock()
    previous = _last_hash()
    for event in events:
        event.prev_hash = previous
        event.hash = previous = row_hash(previous, event)
    return AuditEvent.objects.bulk_create(events)


def audit_refused_due(*, cutoff: datetime, batch: int) -> list[int]:
    """The ids of the refused-access rows made at or before ``cutoff``, oldest first, at most ``batch``."""
    rows = AuditEvent.objects.filter(action=AuditAction.ACCESS_DENIED, at__lte=cutoff).order_by("id")
    return list(rows.values_list("id", flat=True)[:batch])


def _links(ids: list[int]) -> tuple[str, list[LinkRow]]:
    """The hash of the row before the first of ``ids``, and every row from it to the first
    row after the last of them: what ``gaps_find`` walks."""
    link = ("id", "prev_hash", "hash")
    before = AuditEvent.objects.filter(id__lt=ids[0]).order_by("-id").values_list("hash", flat=True).first()
    span = AuditEvent.objects.filter(id__gte=ids[0], id__lte=ids[-1]).order_by("id").values_list(*link)
    after = AuditEvent.objects.filter(id__gt=ids[-1]).order_by("id").values_list(*link)[:1]
    rows = [LinkRow(pk, prev, own) for pk, prev, own in [*span.iterator(chunk_size=5000), *after]]
    return before or GENESIS, rows


@transaction.atomic
def audit_purge_refused(*, cutoff: datetime, batch: int, now: datetime | None = None) -> int:
    """Remove the refused-access rows made at or before ``cutoff`` (at most ``batch``, oldest
    first), keeping the chain verifiable: a gap for each run of removed rows and a seal row
    carrying their digest, all in one transaction holding the chain's lock. Returns how
    many rows went. Never a row of another action, nor one younger than
    REFUSED_ACCESS_FLOOR_DAYS (PostgreSQL's function refuses that too)."""
    now = now or timezone.now()
    if cutoff > now - timedelta(days=REFUSED_ACCESS_FLOOR_DAYS):
        raise ValueError(f"refused-access rows are kept at least {REFUSED_ACCESS_FLOOR_DAYS} days")
    _chain_lock()
    ids = audit_refused_due(cutoff=cutoff, batch=batch)
    if not ids:
        return 0
    before, rows = _links(ids)
    gaps = gaps_find(rows, set(ids), before)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT audit_purge_refused(%s::bigint[], %s)", [ids, cutoff])
            removed = int(cursor.fetchone()[0])
    else:
        with purging_refused():
            removed, _ = AuditEvent.objects.filter(
                id__in=ids, action=AuditAction.ACCESS_DENIED, at__lte=cutoff
            ).delete()
    if removed != len(ids):  # the lock held, nothing else removes rows: never, unless tampered with
        raise RuntimeError(f"expected to remove {len(ids)} refused-access rows, removed {removed}")
    digest = gaps_digest(gaps)
    seal = audit_record(
        action=AuditAction.AUDIT_SEAL,
        object_type="audit_gap",
        object_id=digest,
        detail=f"removed {removed} refused-access rows before {cutoff:%Y-%m-%d}; gaps sha256 {digest}",
    )
    AuditGap.objects.bulk_create(
        AuditGap(
            seal=seal,
            before_hash=gap.before_hash,
            after_hash=gap.after_hash,
            removed=gap.removed,
            first_id=gap.first_id,
            last_id=gap.last_id,
        )
        for gap in gaps
    )
    return removed
