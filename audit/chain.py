"""The hash chain that makes the audit trail tamper-evident (pure: no database).

Each row carries the hash of the row before it (``prev_hash``) and its own ``hash`` over
that and its fields, in insertion order (ids). Changing, removing or inserting a row
anywhere but at the end breaks the chain at the next row, which ``chain_verify`` names;
the database role of the application cannot change or delete rows in the first place
(audit.seal, audit.roles).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

# The hash the first row chains to.
GENESIS = "0" * 64
# The fields a row's hash covers, in this order (never its id, which the database gives
# after the hash is computed).
HASHED_FIELDS = (
    "at",
    "actor_id",
    "actor_username",
    "action",
    "object_type",
    "object_id",
    "object_ids",
    "detail",
    "path",
    "method",
    "status",
)


class ChainRow(Protocol):
    pk: Any
    prev_hash: str
    hash: str


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    return value


def row_hash(prev_hash: str, row: Any) -> str:
    """The hash of ``row`` (any object with the HASHED_FIELDS) chained to ``prev_hash``."""
    fields = [_canonical(getattr(row, name)) for name in HASHED_FIELDS]
    payload = json.dumps(fields, ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(f"{prev_hash}\n{payload}".encode("ascii")).hexdigest()


@dataclass(frozen=True)
class ChainReport:
    """What a verification found: how many rows were checked, and the first broken one."""

    checked: int
    broken_id: Any = None
    reason: str = ""

    @property
    def intact(self) -> bool:
        return self.broken_id is None


def chain_verify(rows: Iterable[ChainRow]) -> ChainReport:
    """Recompute the chain over ``rows`` in id order; stop at the first row that does not
    follow from the one before it."""
    expected = GENESIS
    checked = 0
    for row in rows:
        checked += 1
        if row.prev_hash != expected:
            return ChainReport(
                checked, row.pk, "it does not chain to the row before it (a row was removed, added or changed)"
            )
        if row.hash != row_hash(expected, row):
            return ChainReport(checked, row.pk, "its fields do not match its hash (the row was changed)")
        expected = row.hash
    return ChainReport(checked)
