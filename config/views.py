"""Site-wide pages: the role home page, the health check, the 404 of unmatched URLs and the 500."""

from __future__ import annotations

import sys

from django.contrib.auth.decorators import login_required
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config import homes
from config.health import system_health
from ewers.broker import TRANSIENT_ERRORS
from ewers.http import AuthenticatedHttpRequest
from ewers.middleware import database_unavailable_response


@login_required
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Each role lands on its own page, built from what that user may see."""
    summary = homes.home_summary(request.user)
    return render(request, homes.user_home_template(request.user), {"summary": summary})


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database and the broker answer, 503 otherwise; the body names each check.

    Anyone may ask (load balancers do); only signed-in staff get the details, which
    name the database engine and count the reports waiting. Who is asking is read from the
    database, so only once it has answered: a probe never waits on it twice.
    """
    healthy, checks = system_health()
    database_ok = next(c.ok for c in checks if c.name == "database")
    detailed = database_ok and _is_staff(request)
    body = {
        "status": "ok" if healthy else "fail",
        "checks": {
            c.name: {"ok": c.ok, "required": c.required} | ({"detail": c.detail} if detailed else {}) for c in checks
        },
    }
    return JsonResponse(body, status=200 if healthy else 503)


def _is_staff(request: HttpRequest) -> bool:
    try:
        return request.user.is_authenticated and request.user.is_staff
    except DatabaseError:
        return False  # it went away since the check: the answer stays without details


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 of an uncaught exception, unless it was the database going away outside a
    view (a middleware reading the session, say): that is a 503 too (ewers.middleware).
    Django calls this while handling the exception, so ``sys.exc_info()`` names it."""
    exc = sys.exc_info()[1]
    if isinstance(exc, TRANSIENT_ERRORS):
        return database_unavailable_response(request, exc)
    return defaults.server_error(request)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The 404 of a URL no view matched: the API's ``{"detail": ...}`` under /api/ (e.g.
    ``/api/v1/reports/0.5/``, which the router's id pattern refuses), the page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return defaults.page_not_found(request, exception)
