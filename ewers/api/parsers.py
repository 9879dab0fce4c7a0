"""Request parsers that refuse a body over its size limit before reading all of it.

DRF reads a JSON body from the stream, past Django's DATA_UPLOAD_MAX_MEMORY_SIZE check
(which only guards ``request.body`` and forms): without a limit here a client could make
the server parse any amount of JSON.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
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


class LimitedJSONParser(JSONParser):
    """JSON, at most DATA_UPLOAD_MAX_MEMORY_SIZE bytes (Django's own request body limit)."""

    def parse(
        self, stream: IO[Any], media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        request = (parser_context or {}).get("request")
        meta = request.META if request is not None else None
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 2_621_440
        data = body_read_limited(stream, limit, meta)
        return super().parse(io.BytesIO(data), media_type, parser_context)
