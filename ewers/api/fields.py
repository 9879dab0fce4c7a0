"""Serializer fields shared by the API: references by id or code, times with a zone,
strict numbers, ids and text."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.validators import ProhibitSurrogateCharactersValidator

# Codes are at most 64 characters (Region.code); anything longer cannot name an object.
REF_MAX_LENGTH = 64
# The largest primary key a database column holds (64-bit).
MAX_ID = 2**63 - 1


@extend_schema_field({"oneOf": [{"type": "integer"}, {"type": "string", "maxLength": REF_MAX_LENGTH}]})
class CodeOrIdField(serializers.Field[str | int, str | int, str | int, Any]):
    """An object named by its id (a JSON integer) or its code (a JSON string)."""

    default_error_messages = {
        "invalid": _("Give an id (a whole number) or a code (text)."),
        "blank": _("This field may not be blank."),
        "max_length": _("A code is at most 64 characters."),
    }

    def to_internal_value(self, data: Any) -> str | int:
        if isinstance(data, bool):
            self.fail("invalid")
        if isinstance(data, int):
            # Ids are positive database integers; anything else names nothing.
            if not 0 < data <= MAX_ID:
                self.fail("invalid")
            return data
        if not isinstance(data, str):
            self.fail("invalid")
        text = data.strip()
        if not text:
            self.fail("blank")
        if len(text) > REF_MAX_LENGTH:
            self.fail("max_length")
        if not text.isprintable():
            self.fail("invalid")
        return text

    def to_representation(self, value: str | int) -> str | int:
        return value


@extend_schema_field(OpenApiTypes.DATETIME)
class AwareDateTimeField(serializers.DateTimeField):
    """An ISO 8601 time that must carry its zone: a device's local time without one is
    ambiguous, so it is refused rather than guessed."""

    default_error_messages = {
        "naive": _("Give the time with its time zone, e.g. 2024-05-01T14:30:00+08:00."),
        "invalid": _("Not an ISO 8601 time such as 2024-05-01T14:30:00+08:00."),
    }

    def to_internal_value(self, value: Any) -> datetime:
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:
                parsed = None
            if parsed is None:
                self.fail("invalid")
            if timezone.is_naive(parsed):
                self.fail("naive")
        elif not isinstance(value, datetime):
            self.fail("invalid")
        return super().to_internal_value(value)


@extend_schema_field(OpenApiTypes.NUMBER)
class StrictFloatField(serializers.FloatField):
    """A JSON number; true/false and numeric strings are refused (wrong types are errors)."""

    def to_internal_value(self, data: Any) -> float:
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("invalid")
        return super().to_internal_value(data)


class SurrogatesRefused(ProhibitSurrogateCharactersValidator):
    """DRF's refusal of lone surrogate characters (its message, naming the first one),
    found by the UTF-8 encoder, which refuses them and only them, instead of a Python loop
    over every character: a batch of a hundred narratives of 5,000 characters took DRF's
    check 17 ms, and takes this one 0.02 ms (1 ms when the text is not ASCII)."""

    def __call__(self, value: Any) -> None:
        text = str(value)
        if text.isascii():
            return
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            message = self.message.format(code_point=ord(text[exc.start]))
            raise ValidationError(message, code=self.code) from None


class TextField(serializers.CharField):
    """A JSON string (give it a ``max_length``); a number is not text here: DRF's CharField
    would store ``12`` as "12", so a client's wrong type goes unnoticed.

    DRF's CharField already refuses blank text, NUL and lone surrogate characters (here
    with ``SurrogatesRefused``, the same check made in C).
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validators = [
            SurrogatesRefused() if type(v) is ProhibitSurrogateCharactersValidator else v for v in self.validators
        ]

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")  # "Not a valid string."
        return str(super().to_internal_value(data))


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class StrictIdField(serializers.IntegerField):
    """A JSON integer id; true/false, numeric strings and fractions are refused."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(min_value=1, max_value=MAX_ID, **kwargs)

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return int(super().to_internal_value(data))


_MESSAGES = {"type": "array", "items": {"type": "string"}}


@extend_schema_field(
    {
        "type": "object",
        "description": "Messages by field. A list field's (readings') may instead be an object of its "
        "items' messages keyed by their position from 0: each a list of messages or messages by field.",
        "additionalProperties": {
            "oneOf": [
                _MESSAGES,
                {
                    "type": "object",
                    "additionalProperties": {
                        "oneOf": [_MESSAGES, {"type": "object", "additionalProperties": _MESSAGES}]
                    },
                },
            ]
        },
    }
)
class FieldErrorsField(serializers.DictField):
    """A serializer's ``errors``: ``{field: [message, ...]}``, or for a list of objects
    ``{field: {position: {subfield: [message, ...]}}}`` as DRF's ListField reports them."""
