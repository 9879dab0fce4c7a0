"""Site-wide pages: the role home page, the health check and the 404 of unmatched URLs."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config import homes
from config.health import system_health
from ewers.http import AuthenticatedHttpRequest


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
    name the database engine and count the reports waiting.
    """
    healthy, checks = system_health()
    detailed = request.user.is_authenticated and request.user.is_staff
    body = {
        "status": "ok" if healthy else "fail",
        "checks": {
            c.name: {"ok": c.ok, "required": c.required} | ({"detail": c.detail} if detailed else {}) for c in checks
        },
    }
    return JsonResponse(body, status=200 if healthy else 503)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The 404 of a URL no view matched: the API's ``{"detail": ...}`` under /api/ (e.g.
    ``/api/v1/reports/0.5/``, which the router's id pattern refuses), the page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return defaults.page_not_found(request, exception)
