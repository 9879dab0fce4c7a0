"""The heatmap API's JSON, written by orjson: the same answer as DRF's ``JSONRenderer``
(compact, UTF-8, U+2028 and U+2029 escaped, keys in order) in a fraction of the time —
at a country's thousands of areas, ``json.dumps`` of the answer cost more than reading it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from rest_framework.renderers import JSONRenderer

# Dates and times go through DRF's encoder, as with ``JSONRenderer`` (orjson writes them
# its own way); so does anything orjson does not know (lazy translations, decimals).
OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME


class FastJSONRenderer(JSONRenderer):
    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        if data is None:
            return b""
        indent = self.get_indent(accepted_media_type or "", renderer_context or {})
        if indent is not None or self.ensure_ascii or not self.compact:
            written: bytes = super().render(data, accepted_media_type, renderer_context)
            return written
        text = orjson.dumps(data, default=self.encoder_class().default, option=OPTIONS)
        # What JSONRenderer does: a strict JavaScript subset.
        return text.replace("\u2028".encode(), b"\\u2028").replace("\u2029".encode(), b"\\u2029")
