"""Query counting shared by the page tests: a page must not make more queries for more rows."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext


def count_queries(client: Any, url: str, params: dict[str, Any] | None = None) -> int:
    """How many queries a GET of ``url`` (with ``params``) makes; it must answer 200."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(captured.captured_queries)
