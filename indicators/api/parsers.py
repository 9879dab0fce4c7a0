"""Request parsers of the indicators API: a CSV file sent as the whole body."""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from rest_framework.parsers import BaseParser

from ewers.api.parsers import body_read_limited
from indicators.csv_import import import_limits


class CSVBodyParser(BaseParser):
    """A CSV file sent as the whole body (``Content-Type: text/csv``): the raw bytes,
    decoded and checked by ``indicators.csv_import``."""

    media_type = "text/csv"

    def parse(
        self, stream: IO[Any], media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        request = (parser_context or {}).get("request")
        meta = request.META if request is not None else None
        max_bytes, _max_rows = import_limits()
        return body_read_limited(stream, max_bytes, meta)
