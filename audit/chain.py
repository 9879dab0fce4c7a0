"""The hash chain that makes the audit trail tamper-evident (pure: no database).

Each row carries the hash of the row before it (``prev_hash``) and its own ``hash`` over
that and its fields, in insertion order (ids). Changing, removing or inserting a row
anywhere but at the end breaks the chain at the next row, which ``chain_verify`` names;
the database role of the application cannot change or delete rows in the first place
(audit.seal, audit.roles).

The one removal allowed is retention's, of old refused-access rows: it records a **gap**
for each run of removed rows (the hash of the kept row before them, and the hash the next
kept row chains to) and appends a seal row carrying the digest of its gaps. A break is
accepted only where a gap of a seal whose digest still matches bridges exactly those two
hashes (``gaps_find``, ``gaps_digest``, ``chain_verify``'s ``bridges``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
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
    # Rows retention removed under seals that still match their gaps (0 without any).
    removed: int = 0

    @property
    def intact(self) -> bool:
        return self.broken_id is None


def chain_verify(rows: Iterable[ChainRow], bridges: Iterable[tuple[str, str]] = (), removed: int = 0) -> ChainReport:
    """Recompute the chain over ``rows`` in id order; stop at the first row that does not
    follow from the one before it, unless a sealed gap bridges exactly that break: one of
    ``bridges`` is (the hash of the kept row before, the hash this row chains to).
    ``removed`` (the rows the sealed gaps stand for) is passed through to the report."""
    allowed = set(bridges)
    expected = GENESIS
    checked = 0
    for row in rows:
        checked += 1
        if row.prev_hash != expected and (expected, row.prev_hash) not in allowed:
            return ChainReport(
                checked, row.pk, "it does not chain to the row before it (a row was removed, added or changed)"
            )
        if row.hash != row_hash(row.prev_hash, row):
            return ChainReport(checked, row.pk, "its fields do not match its hash (the row was changed)")
        expected = row.hash
    return ChainReport(checked, removed=removed)


@dataclass(frozen=True)
class Gap:
    """A run of consecutive rows removed by retention: ``before_hash`` is the hash of the
    kept row before them (GENESIS at the start), ``after_hash`` the hash the next kept row
    chains to (equal to ``before_hash`` when nothing followed them: the next row appended
    chains straight on). ``first_id`` and ``last_id`` name the removed rows' ends."""

    before_hash: str
    after_hash: str
    removed: int
    first_id: int
    last_id: int


@dataclass(frozen=True)
class LinkRow:
    """The chain's part of a row: what ``gaps_find`` reads."""

    pk: int
    prev_hash: str
    hash: str


def gaps_find(rows: Iterable[LinkRow], removing: set[int], before_hash: str = GENESIS) -> list[Gap]:
    """The gaps that removing the rows ``removing`` leaves in ``rows`` (consecutive rows in
    id order, beginning after a kept row whose hash is ``before_hash`` and ending with the
    first kept row after the last removed one, if there is such a row)."""
    gaps: list[Gap] = []
    kept_hash = before_hash
    run: list[int] = []
    for row in rows:
        if row.pk in removing:
            run.append(row.pk)
            continue
        if run:
            gaps.append(Gap(kept_hash, row.prev_hash, len(run), run[0], run[-1]))
            run = []
        kept_hash = row.hash
    if run:
        gaps.append(Gap(kept_hash, kept_hash, len(run), run[0], run[-1]))
    return gaps


def gaps_digest(gaps: Sequence[Gap]) -> str:
    """The digest a seal row carries of its gaps (in the order of their removed rows)."""
    fields = [
        [g.before_hash, g.after_hash, g.removed, g.first_id, g.last_id]
        for g in sorted(gaps, key=lambda gap: gap.first_id)
    ]
    payload = json.dumps(fields, ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(payload.encode("ascii")).hexdigest()


def bridges_sealed(seals: Mapping[Any, str], gaps: Mapping[Any, Sequence[Gap]]) -> tuple[list[tuple[str, str]], int]:
    """The breaks the seals allow, and how many rows they stand for: the gaps of each seal
    (id -> the digest it carries) whose digest still matches; a gap added, changed or taken
    away since makes its whole seal count for nothing."""
    bridges: list[tuple[str, str]] = []
    removed = 0
    for seal_id, digest in seals.items():
        sealed = gaps.get(seal_id, ())
        if sealed and gaps_digest(sealed) == digest:
            bridges.extend((g.before_hash, g.after_hash) for g in sealed)
            removed += sum(g.removed for g in sealed)
    return bridges, removed
