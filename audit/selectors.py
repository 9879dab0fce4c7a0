"""Reads of the audit trail."""

from __future__ import annotations

from collections import defaultdict

from audit.chain import ChainReport, Gap, bridges_sealed, chain_verify
from audit.choices import AuditAction
from audit.models import AuditEvent, AuditGap


def audit_chain_verify() -> ChainReport:
    """Recompute the whole chain, oldest row first, in chunks (the trail only grows),
    accepting only the breaks that retention's sealed gaps bridge (audit.chain)."""
    fields = [
        "id",
        "prev_hash",
        "hash",
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
    ]
    seals = dict(AuditEvent.objects.filter(action=AuditAction.AUDIT_SEAL).values_list("id", "object_id"))
    gaps: dict[int, list[Gap]] = defaultdict(list)
    for row in AuditGap.objects.filter(seal__in=list(seals)).order_by("first_id", "id"):
        gaps[row.seal_id].append(Gap(row.before_hash, row.after_hash, row.removed, row.first_id, row.last_id))
    bridges, removed = bridges_sealed(seals, gaps)
    rows = AuditEvent.objects.order_by("id").only(*fields).iterator(chunk_size=5000)
    return chain_verify(rows, bridges, removed)
