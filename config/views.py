"""Site-wide pages: the role home page, the health check, the 404 of unmatched URLs and the 500,
and the installable report form's service worker and manifest."""

from __future__ import annotations

import functools
import hashlib
import json
import sys
from pathlib import Path

from allauth.account import views as account_views
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django.views.i18n import set_language

from config import homes
from config.health import system_health
from ewers.broker import TRANSIENT_ERRORS
from ewers.http import AuthenticatedHttpRequest
from ewers.i18n import LANGUAGE_CODES
from ewers.middleware import database_unavailable_response
from ewers.services import user_language_set

# The installed app's colour (the header's).
THEME_COLOUR = "#1d3048"


def sign_out(request: HttpRequest) -> HttpResponse:
    """allauth's sign-out; once it is done, the browser is also told to delete what the site
    stored on this device (the offline form's outbox, caches and service worker:
    docs/offline.md). offline.js deletes them first, after warning about unsent reports;
    the header covers a page whose script did not get to run."""
    was_signed_in = request.user.is_authenticated
    response: HttpResponse = account_views.logout(request)
    if request.method == "POST" and was_signed_in and not request.user.is_authenticated:
        response["Clear-Site-Data"] = '"storage"'
    return response


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


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """The header's language switch (Django's ``set_language``: the cookie, then back to the
    page); a signed-in user's choice is also kept on their account, for every device."""
    response = set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in LANGUAGE_CODES:
        user_language_set(user=request.user, language=language)
    return response


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The 404 of a URL no view matched: the API's ``{"detail": ...}`` under /api/ (e.g.
    ``/api/v1/reports/0.5/``, which the router's id pattern refuses), the page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return defaults.page_not_found(request, exception)


# --- The installable report form (docs/offline.md) ---------------------------------------

# What the service worker keeps besides the form and its data: the files the form page loads.
OFFLINE_STATIC = (
    "css/ewers.css",
    "favicon.svg",
    "js/outbox.js",
    "js/offline.js",
    "js/report-form.js",
    "js/report-offline.js",
)
# The service worker's own code, imported by /sw.js.
SERVICE_WORKER_SCRIPTS = ("js/outbox.js", "js/service-worker.js")


def _offline_version() -> str:
    """Changes whenever a file the service worker keeps or runs changes (its name, with a
    hashed static storage, or its content): the browser then installs the new worker, which
    keeps the new files and drops the old copies. Worked out once per process and static
    URL (the files change only with a deployment), except with DEBUG on, where they are edited."""
    if settings.DEBUG:
        return _offline_digest.__wrapped__(settings.STATIC_URL)
    return _offline_digest(settings.STATIC_URL)


@functools.lru_cache(maxsize=8)
def _offline_digest(static_url: str) -> str:
    digest = hashlib.sha256()
    for path in sorted({*OFFLINE_STATIC, *SERVICE_WORKER_SCRIPTS}):
        digest.update(static(path).encode())
        found = finders.find(path)
        if isinstance(found, str):
            digest.update(Path(found).read_bytes())
    return digest.hexdigest()[:16]


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker, from the site's root so that it may control /reports/new/.

    A script served by the site itself under the site's CSP (no inline code, nothing from
    elsewhere): its settings, then the code in static/js/. It holds nothing of any user.
    """
    settings_js = json.dumps(
        {
            "version": _offline_version(),
            "form": reverse("reports:new"),
            "data": reverse("reports:offline-data"),
            "api": reverse("api-report-list"),
            "report": reverse("reports:detail", args=[0]),
            "precache": [static(path) for path in OFFLINE_STATIC],
        }
    )
    imports = ", ".join(json.dumps(static(path)) for path in SERVICE_WORKER_SCRIPTS)
    body = f"self.EWERS_OFFLINE = {settings_js};\nimportScripts({imports});\n"
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    # Browsers look for a new worker on navigations; never from a stale copy.
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def web_manifest(request: HttpRequest) -> JsonResponse:
    """The web app manifest: EWERS installs as an app that opens the report form."""
    manifest = {
        "name": _("EWERS: early warning, early response"),
        "short_name": "EWERS",
        "description": _("Log field reports, also where there is no connection."),
        "lang": get_language(),
        "start_url": reverse("reports:new"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": THEME_COLOUR,
        "icons": [{"src": static("favicon.svg"), "sizes": "any", "type": "image/svg+xml", "purpose": "any"}],
    }
    return JsonResponse(manifest, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False})
