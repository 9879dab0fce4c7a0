"""Reads of the audit trail."""

from __future__ import annotations

from audit.chain import ChainReport, chain_verify
from audit.models import AuditEvent


def audit_chain_verify() -> ChainReport:
    """Recompute the whole chain, oldest row first, in chunks (the trail only grows)."""
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
    rows = AuditEvent.objects.order_by("id").only(*fields).iterator(chunk_size=5000)
    return chain_verify(rows)
