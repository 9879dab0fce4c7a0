"""Every refusal answered to a signed-in user goes into the audit trail."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponseBase

from audit.choices import AuditAction
from audit.services import audit_record
from ewers.models import User

logger = logging.getLogger(__name__)

# 403: inside the share but not allowed; 404: outside it (or nothing there).
DENIED = frozenset({403, 404})


class AccessDeniedAuditMiddleware:
    """Writes an ``access_denied`` row for each 403 or 404 a signed-in user receives from a
    view, on pages and in the API (DRF sets the token's user on the request too). A URL
    that no view matches (a typo, a missing static file) reaches no object: not recorded,
    so nobody can fill the append-only trail by asking for nonsense."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        matched = getattr(request, "resolver_match", None) is not None
        if matched and response.status_code in DENIED and isinstance(user, User) and user.is_authenticated:
            try:
                audit_record(action=AuditAction.ACCESS_DENIED, actor=user, request=request, status=response.status_code)
            except DatabaseError:
                # The answer stands even if the trail cannot be written; operators see this.
                logger.exception("could not audit a refused %s %s", request.method, request.path)
        return response
