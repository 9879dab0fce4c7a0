"""A batch item read without a serializer when it is plainly well-formed.

DRF's serializer machinery costs more per item than saving the report does (a nested
serializer per reading, a copy of every value, errors gathered field by field). Most
items a gateway sends are plainly well-formed: ``batch_item_draft`` reads those with
plain checks of the parsed JSON, giving exactly what ``BatchItemInputSerializer``
gives for them, and answers None for anything else (a missing field, an unusual type,
an unknown community), which the view hands to the serializer: every message a
refused item gets is still the serializer's. It never accepts an item the serializer
refuses (tests/indicators/api/test_batch_items.py compares the two on many items).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime, tzinfo
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.exceptions import ValidationError
from rest_framework.fields import Field

from ewers.api.fields import REF_MAX_LENGTH
from ewers.models import Region
from indicators.services import MAX_READINGS_PER_REPORT, ReadingInput, ReportDraft

# The ids a reference may name (ewers.api.fields.CodeOrIdField).
_MAX_ID = 2**63 - 1
# Fields read by the serializer's own field (exact for every text; cheap for one value).
_TEXT_FIELDS = ("narrative", "source_reference", "idempotency_key")


def _ref(value: Any) -> str | int | None:
    """What ``CodeOrIdField`` makes of a plain reference, or None to let it judge."""
    kind = type(value)
    if kind is int:
        return value if 0 < value <= _MAX_ID else None
    if kind is str:
        text: str = value.strip()
        return text if text and len(text) <= REF_MAX_LENGTH and text.isprintable() else None
    return None


def _readings(value: Any) -> list[ReadingInput] | None:
    if type(value) is not list or not 0 < len(value) <= MAX_READINGS_PER_REPORT:
        return None
    readings: list[ReadingInput] = []
    for reading in value:
        if type(reading) is not dict:
            return None
        indicator = _ref(reading.get("indicator"))
        raw: Any = reading.get("value")
        if indicator is None or type(raw) not in (int, float):
            return None
        try:
            number = float(raw)
        except OverflowError:
            return None
        if not math.isfinite(number):
            return None
        readings.append(ReadingInput(indicator=indicator, value=number))
    return readings


def time_zone(field: Any) -> tzinfo | None:
    """The zone ``field`` (a DateTimeField) converts an aware time to, as its
    ``enforce_timezone`` finds it on each call (the current zone is a context-local
    lookup): found once for a batch, it is handed to ``batch_item_draft``."""
    zone: tzinfo | None = field.timezone if hasattr(field, "timezone") else field.default_timezone()
    return zone


def _time(field: Any, value: str, zone: tzinfo | None) -> datetime | None:
    """What ``AwareDateTimeField`` makes of a plain ISO 8601 time with its zone (the text
    parsed once, where the field parses it twice), or None to let it judge. ``zone``:
    the field's ``time_zone``, converted to as its ``enforce_timezone`` converts an aware
    time; None asks the field itself."""
    if value != value.strip():
        return None
    try:
        parsed = parse_datetime(value)
    except ValueError:
        return None
    if parsed is None or timezone.is_naive(parsed):
        return None
    if zone is not None:
        try:
            return parsed.astimezone(zone)
        except OverflowError:
            return None  # the field's "overflow" message
    try:
        moment: datetime = field.enforce_timezone(parsed)
    except ValidationError:
        return None
    return moment


def _field_value(field: Field[Any, Any, Any, Any], value: Any) -> tuple[bool, Any]:
    """(True, the field's value) when the serializer's own field takes ``value``."""
    try:
        return True, field.run_validation(value)
    except ValidationError:
        return False, None


def batch_item_draft(
    item: Any,
    *,
    communities: Mapping[str, Region],
    fields: Mapping[str, Field[Any, Any, Any, Any]],
    zone: tzinfo | None = None,
) -> ReportDraft | None:
    """The draft of a plainly well-formed batch item, or None: the serializer then reads it.

    ``communities``: the batch's communities in the user's coverage by reference
    (``communities_by_ref``), as the serializer is given them; ``fields``: the fields of
    the view's ``BatchItemInputSerializer``, used for the values whose rules are theirs
    alone (times, free text); ``zone``: ``time_zone(fields["observed_at"])`` when the
    caller found it once for many items (None: the field finds it for each).
    """
    if type(item) is not dict:
        return None
    ref = _ref(item.get("community"))
    community = communities.get(str(ref)) if ref is not None else None
    readings = _readings(item.get("readings"))
    reliability = item.get("source_reliability")
    credibility = item.get("information_credibility")
    observed_at = item.get("observed_at")
    if (
        community is None
        or readings is None
        or type(reliability) is not str
        or reliability not in fields["source_reliability"].choice_strings_to_values  # type: ignore[attr-defined]
        or type(credibility) is not int
        or not 1 <= credibility <= 6
        or type(observed_at) is not str
    ):
        return None
    observed_at = _time(fields["observed_at"], observed_at, zone)
    if observed_at is None:
        return None
    text: dict[str, Any] = {}
    for name in _TEXT_FIELDS:
        if name in item:
            taken, text[name] = _field_value(fields[name], item[name])
            if not taken:
                return None
    handling_level = item.get("handling_level")
    if "handling_level" in item:
        taken, handling_level = _field_value(fields["handling_level"], handling_level)
        if not taken:
            return None
    return ReportDraft(
        community=community,
        observed_at=observed_at,
        readings=readings,
        source_reliability=reliability,
        information_credibility=credibility,
        narrative=text.get("narrative", ""),
        source_reference=text.get("source_reference") or None,
        idempotency_key=text.get("idempotency_key") or None,
        handling_level=handling_level,
    )
