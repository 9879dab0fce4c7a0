"""Request parsers that refuse a body over its size or nesting limit before parsing it.

DRF reads a JSON body from the stream, past Django's DATA_UPLOAD_MAX_MEMORY_SIZE check
(which only guards ``request.body`` and forms): without a limit here a client could make
the server parse any amount of JSON. Nesting deeper than ``MAX_JSON_DEPTH`` is refused
(400) before ``json.loads`` sees it: Python's parser and everything after it recurse
once per level, and a thousand levels raised RecursionError (a 500).
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from typing import IO, Any

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


class LimitedJSONParser(JSONParser):
    """JSON, at most DATA_UPLOAD_MAX_MEMORY_SIZE bytes (Django's own request body limit)."""

    def parse(
        self, stream: IO[Any], media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        request = (parser_context or {}).get("request")
        meta = request.META if request is not None else None
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 2_621_440
        data = body_read_limited(stream, limit, meta)
        if json_depth_exceeds(data):
            raise ParseError(_("JSON nested deeper than %(limit)d levels is not accepted.") % {"limit": MAX_JSON_DEPTH})
        return super().parse(io.BytesIO(data), media_type, parser_context)
