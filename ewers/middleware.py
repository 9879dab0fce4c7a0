"""A database that cannot be reached is a 503 with Retry-After, never a 500 (API.md).

Pages get a plain "temporarily unavailable" page, the API ``{"detail": ...}``, also with
DEBUG on: a database cut is an outage to wait out, not a bug to debug. Nothing is
half-saved meanwhile: every write is one transaction, which the cut rolls back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.template.loader import render_to_string

from ewers.broker import TRANSIENT_ERRORS
from ewers.exceptions import DATABASE_UNAVAILABLE

logger = logging.getLogger(__name__)


def database_unavailable_response(request: HttpRequest, exc: BaseException) -> HttpResponse:
    """The 503 answered to ``request`` for the database error ``exc``."""
    logger.warning(
        "database unavailable: 503 for %s %s (%s: %s)", request.method, request.path, type(exc).__name__, exc
    )
    retry_after = settings.EWERS_RETRY_AFTER_SECONDS
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": str(DATABASE_UNAVAILABLE)}, status=503)
    else:
        # Without the request: no context processor may read the database that is missing.
        response = HttpResponse(render_to_string("503.html", {"retry_after": retry_after}), status=503)
    response["Retry-After"] = str(retry_after)
    return response


class DatabaseUnavailableMiddleware:
    """Answers 503 for a view (or its template) that met an unreachable database, a
    statement timeout or a failover (``ewers.broker.TRANSIENT_ERRORS``). Anything raised
    outside a view reaches ``config.views.server_error``, which answers the same."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, TRANSIENT_ERRORS):
            return database_unavailable_response(request, exception)
        return None
