"""Request parsers that refuse a body over its size or nesting limit before parsing it.

DRF reads a JSON body from the stream, past Django's DATA_UPLOAD_MAX_MEMORY_SIZE check
(which only guards ``request.body`` and forms): without a limit here a client could make
the server parse any amount of JSON. Nesting deeper than ``MAX_JSON_DEPTH`` is refused
(400): Python's parser and everything after it recurse once per level, and a thousand
levels raised RecursionError (a 500).

A UTF-8 body is parsed by orjson first (a batch of a hundred reports: 0.1 ms, where
``json.loads`` and the bytes' nesting scan took 0.9), whose own nesting limit (1,024
levels) raises no RecursionError; the levels of what it parsed are then counted. A body
orjson refuses (lone surrogates, NaN, bad UTF-8 …), and one with a run of 19 digits or
more (orjson reads an integer beyond 64 bits as a float, Python's parser as an integer),
goes the way it went before, through the scan and DRF's parser, so that every body is
answered as before: the same value, or the same 400.
"""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Mapping
from typing import IO, Any

import orjson
from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from ewers.api.exceptions import RequestTooLarge


def body_read_limited(stream: IO[bytes] | None, limit: int, meta: Mapping[str, Any] | None = None) -> bytes:
    """The request body, at most ``limit`` bytes; RequestTooLarge beyond it."""
    try:
        declared = int((meta or {}).get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        raise RequestTooLarge()
    if stream is None:
        return b""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise RequestTooLarge()
    return data


MAX_JSON_DEPTH = 64
# A JSON string (its escapes included): the "unrolled" form of "(?:[^"\\]|\\.)*", the
# same strings matched a run of plain bytes at a time rather than one alternation a byte
# (a batch of a hundred reports took 0.6 ms here, now 0.2).
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
# Every byte but the brackets that open or close a level (deleted before counting).
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))
_OPENING = frozenset(b"[{")
# A number orjson may read otherwise than Python's parser: a run of 19 digits (anywhere: in
# a string too), found in the bytes with every digit made 0 and every other byte a space
# (a regular expression took four times orjson's reading).
_DIGITS_ONLY = bytes(ord("0") if byte in b"0123456789" else ord(" ") for byte in range(256))
_LONG_DIGITS = b"0" * 19


def json_depth_exceeds(data: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether the arrays and objects of ``data`` nest deeper than ``limit`` (brackets
    inside strings do not count). Linear, with no recursion, on any input."""
    depth = 0
    for bracket in _JSON_STRING.sub(b"", data).translate(None, _NOT_BRACKETS):
        if bracket in _OPENING:
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def nesting_exceeds(value: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether the arrays and objects of a parsed JSON value nest deeper than ``limit``
    (``json_depth_exceeds`` of its text): counted level by level, with no recursion."""
    level = [value] if type(value) in (dict, list) else []
    depth = 0
    while level:
        depth += 1
        if depth > limit:
            return True
        inner = []
        for container in level:
            for item in container.values() if type(container) is dict else container:
                if type(item) is dict or type(item) is list:
                    inner.append(item)
        level = inner
    return False


def _utf8(encoding: str | None) -> bool:
    try:
        return codecs.lookup(encoding or "utf-8").name == "utf-8"
    except LookupError:
        return False


class LimitedJSONParser(JSONParser):
    """JSON, at most DATA_UPLOAD_MAX_MEMORY_SIZE bytes (Django's own request body limit)."""

    def parse(
        self, stream: IO[Any], media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        request = (parser_context or {}).get("request")
        meta = request.META if request is not None else None
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 2_621_440
        data = body_read_limited(stream, limit, meta)
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        if _utf8(encoding) and _LONG_DIGITS not in data.translate(_DIGITS_ONLY):
            try:
                value = orjson.loads(data)
            except orjson.JSONDecodeError:
                pass  # answered below, as before
            else:
                if nesting_exceeds(value):
                    raise _too_deep()
                return value
        if json_depth_exceeds(data):
            raise _too_deep()
        return super().parse(io.BytesIO(data), media_type, parser_context)


def _too_deep() -> ParseError:
    return ParseError(_("JSON nested deeper than %(limit)d levels is not accepted.") % {"limit": MAX_JSON_DEPTH})
