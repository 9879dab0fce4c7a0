"""Reading an id out of user text: in the API, forms, filters and imports one field takes
either an object's id or its code."""

from __future__ import annotations

import re

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
