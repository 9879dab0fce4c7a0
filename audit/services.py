"""Writes of the audit trail: one function, append only."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest

from audit.models import AuditEvent
from ewers.models import User


def _clip(value: str, size: int) -> str:
    """At most ``size`` characters, each printable: a refused URL may carry NUL bytes or
    lone surrogates, which PostgreSQL cannot store (the row must still be written)."""
    value = "".join(ch if ch.isprintable() else f"\\x{{{ord(ch):x}}}" for ch in value)
    return value if len(value) <= size else value[: size - 1] + "…"


def audit_record(
    *,
    action: str,
    actor: User | None = None,
    object_type: str = "",
    object_id: str | int = "",
    detail: str = "",
    request: HttpRequest | None = None,
    status: int | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Append one row to the audit trail.

    ``detail`` must name no protected value (no narrative, no source reference): callers
    pass a short, fixed phrase such as "pending → acknowledged". With a ``request``, the
    path and method are kept and the signed-in user is the actor unless one is given.
    """
    path = method = ""
    if request is not None:
        path = _clip(request.path, 500)
        method = request.method or ""
        if actor is None and isinstance(getattr(request, "user", None), User):
            actor = request.user  # type: ignore[assignment]
    values: dict[str, object] = {}
    if at is not None:
        values["at"] = at
    return AuditEvent.objects.create(
        actor=actor,
        actor_username=actor.get_username() if actor is not None else "",
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        detail=_clip(detail, 300),
        path=path,
        method=method,
        status=status,
        **values,
    )
