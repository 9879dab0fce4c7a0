"""Reading an id out of user text: in the API, forms, filters and imports one field takes
either an object's id or its code."""

from __future__ import annotations

import re
from typing import TypeVar

from django.db.models import Model, Q, QuerySet

T = TypeVar("T", bound=Model)

# ASCII digits only: "²" and "٣" are digits to str.isdigit() but not to int(). At most 18
# digits, so every id fits a bigint and never overflows a query.
_ID = re.compile(r"[0-9]{1,18}")


def parse_id(value: object) -> int | None:
    """The positive id that ``value`` names, or None when it names no id."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value < 10**18 else None
    if isinstance(value, str) and _ID.fullmatch(value):
        return int(value) or None
    return None


def code_or_id(ref: str, *, field: str = "") -> Q | None:
    """The condition "named by this code, or by this id" on ``field`` (a relation, or the
    row itself when empty); None when the text can name nothing (blank, or characters no
    code has, such as NUL, which PostgreSQL refuses in a query)."""
    ref = ref.strip()
    if not ref or not ref.isprintable():
        return None
    prefix = f"{field}__" if field else ""
    condition = Q(**{f"{prefix}code": ref})
    if (pk := parse_id(ref)) is not None:
        condition |= Q(**{f"{prefix}pk": pk})
    return condition


def get_by_code_or_id(queryset: QuerySet[T], ref: object) -> T | None:
    """The row of ``queryset`` that ``ref`` names. A code wins over an id, so a code made
    of digits (codes may be) still names its own row."""
    condition = code_or_id(str(ref))
    if condition is None:
        return None
    rows = list(queryset.filter(condition)[:2])
    for row in rows:
        if getattr(row, "code", None) == str(ref).strip():
            return row
    return rows[0] if rows else None
