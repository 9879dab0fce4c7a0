"""The field checks of an indicator framework file (indicators/frameworks.py): each reads one
key of a parsed JSON object, notes what is wrong with it where it is, and returns a usable
value either way, so that one pass names every problem of a file. Pure: no ORM."""

from __future__ import annotations

import json
import math
import unicodedata
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _


class Problems:
    """Problems gathered while checking, each prefixed by where it is."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.messages.append(f"{where}: {message}")


def has_control(value: str) -> bool:
    # Control characters (NUL among them) and lone surrogates: PostgreSQL cannot store NUL,
    # and none belongs in a name or a description.
    return any(unicodedata.category(c) in {"Cc", "Cs"} and c not in "\n\t" for c in value)


def text(
    data: Mapping[str, Any], key: str, where: str, problems: Problems, *, required: bool, max_length: int | None
) -> str:
    value = data.get(key)
    if value is None:
        if required:
            problems.add(f"{where}.{key}", _("required"))
        return ""
    if not isinstance(value, str):
        problems.add(f"{where}.{key}", _("must be text"))
        return ""
    value = value.strip()
    if required and not value:
        problems.add(f"{where}.{key}", _("must not be empty"))
    elif max_length is not None and len(value) > max_length:
        problems.add(f"{where}.{key}", _("at most %(max)d characters") % {"max": max_length})
    elif has_control(value):
        problems.add(f"{where}.{key}", _("holds a control character"))
    return value


def number(data: Mapping[str, Any], key: str, where: str, problems: Problems, *, positive: bool = False) -> float:
    value = data.get(key)
    if value is None:
        problems.add(f"{where}.{key}", _("required"))
        return math.nan
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        problems.add(f"{where}.{key}", _("must be a number"))
        return math.nan
    if positive and value <= 0:
        problems.add(f"{where}.{key}", _("must be greater than 0"))
    return float(value)


def choice(
    data: Mapping[str, Any], key: str, where: str, problems: Problems, choices: list[str], default: str | None
) -> str:
    value = data.get(key, default)
    if value is None:
        problems.add(f"{where}.{key}", _("required"))
        return ""
    if value not in choices:
        problems.add(
            f"{where}.{key}",
            _("%(value)s is not one of %(choices)s") % {"value": json.dumps(value), "choices": ", ".join(choices)},
        )
        return ""
    return str(value)


def flag(data: Mapping[str, Any], key: str, where: str, problems: Problems, default: bool) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        problems.add(f"{where}.{key}", _("must be true or false"))
        return default
    return value


def unknown_keys(data: Mapping[str, Any], allowed: set[str], where: str, problems: Problems) -> None:
    # A misspelt key ("treshold") would otherwise be silently ignored.
    for key in sorted(set(data) - allowed):
        problems.add(
            f"{where}.{key}" if where else key,
            _("unknown key; expected one of %(keys)s") % {"keys": ", ".join(sorted(allowed))},
        )


def an_object(value: Any, where: str, problems: Problems) -> Mapping[str, Any] | None:
    if not isinstance(value, dict):
        problems.add(where, _("must be an object"))
        return None
    return value


def plain(value: float) -> int | float:
    """A number as it is best written: 4, not 4.0."""
    return int(value) if math.isfinite(value) and value.is_integer() else value


def a_list(data: Mapping[str, Any], key: str, problems: Problems) -> list[Any]:
    value = data.get(key)
    if value is None:
        problems.add(key, _("required"))
        return []
    if not isinstance(value, list):
        problems.add(key, _("must be a list"))
        return []
    return value
