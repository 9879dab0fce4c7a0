"""Site-wide rules applied to every request: the second factor some roles must have, the
signed-in user's language, no caching of anything a signed-in user is shown, and a 503 (never a 500) while the database
cannot be reached.

A database that cannot be reached is a 503 with Retry-After (API.md). Pages get a plain
"temporarily unavailable" page, the API ``{"detail": ...}``, also with DEBUG on: a database
cut is an outage to wait out, not a bug to debug. Nothing is half-saved meanwhile: every
write is one transaction, which the cut rolls back.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.signals import got_request_exception
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.cache import add_never_cache_headers

from ewers.accounts import second_factor_enrolled
from ewers.broker import TRANSIENT_ERRORS
from ewers.exceptions import DATABASE_UNAVAILABLE
from ewers.i18n import LANGUAGE_CODES
from ewers.models import User
from ewers.permissions import SECOND_FACTOR_REQUIRED, user_needs_second_factor
from ewers.services import user_language_set

logger = logging.getLogger(__name__)

# What a user who must enrol may still reach: the enrolment pages (an authenticator app
# or a security key, then the recovery codes), re-entering their password for them,
# signing out, and the language switch.
ENROLMENT_VIEWS = frozenset(
    {
        "mfa_index",
        "mfa_activate_totp",
        "mfa_add_webauthn",
        "mfa_list_webauthn",
        "mfa_reauthenticate_webauthn",
        "mfa_view_recovery_codes",
        "mfa_generate_recovery_codes",
        "mfa_download_recovery_codes",
        "mfa_reauthenticate",
        "account_reauthenticate",
        "account_logout",
        "logout",
        "set_language",
        # The offline app's worker script and manifest hold no data (the worker's data
        # endpoint stays behind the rule); redirected, the browser refuses the worker.
        "service-worker",
        "web-manifest",
    }
)


class SecondFactorRequiredMiddleware:
    """Coordinators, administrators and superusers signed in without a second factor (a
    new account) reach only its enrolment and sign-out until they have one: pages
    redirect to the enrolment page, the API answers 403. The admin site is behind the
    same rule. API tokens are issued to them only with a code (ewers.accounts)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view: Any, args: Any, kwargs: Any) -> HttpResponseBase | None:
        user = getattr(request, "user", None)
        if not isinstance(user, User) or not user_needs_second_factor(user):
            return None
        # Kept for the page's context (config.context_processors.offline_app): one query.
        enrolled = request.second_factor_enrolled = second_factor_enrolled(user)  # type: ignore[attr-defined]
        match = request.resolver_match
        if match is not None and match.url_name in ENROLMENT_VIEWS:
            return None
        if enrolled:
            return None
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": str(SECOND_FACTOR_REQUIRED)}, status=403)
        return redirect("mfa_activate_totp")


class NoStoreMiddleware:
    """``Cache-Control: no-store`` (with Django's other never-cache headers) on every answer
    to a signed-in user or to a request carrying credentials, pages and API alike: nothing
    a user was shown stays in a shared or browser cache (ASVS 8.2.1)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        if signed_in or "HTTP_AUTHORIZATION" in request.META:
            add_never_cache_headers(response)
        return response


class UserLanguageMiddleware:
    """A signed-in user's pages are in the language they chose (``User.language``), whatever
    the browser says. A user who has not chosen yet takes the language picked on the sign-in
    page (the language cookie). The cookie follows the user's choice, so the sign-in page
    after signing out keeps it. Placed after the authentication middleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        language = self._language(request)
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        response = self.get_response(request)
        if language and request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) != language:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        return response

    @staticmethod
    def _language(request: HttpRequest) -> str:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return ""
        language: str = getattr(user, "language", "") or ""
        if language:
            return language
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if chosen in LANGUAGE_CODES:
            user_language_set(user=user, language=chosen)
            return chosen
        return ""


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


def _note_database_error(sender: object, request: HttpRequest | None = None, **kwargs: object) -> None:
    """``got_request_exception`` receiver: Django turns an error raised by a middleware
    inside this one (a session or user read, the second-factor check) into a response
    before it gets here, a debug page with DEBUG on. The request is marked so that
    ``DatabaseUnavailableMiddleware`` answers the 503 in its place."""
    exc = sys.exc_info()[1]
    if request is not None and isinstance(exc, TRANSIENT_ERRORS):
        request.database_error = exc  # type: ignore[attr-defined]


got_request_exception.connect(_note_database_error, dispatch_uid="ewers.middleware.database_error")


class DatabaseUnavailableMiddleware:
    """Answers 503 for a view (or its template) that met an unreachable database, a
    statement timeout or a failover (``ewers.broker.TRANSIENT_ERRORS``), also when a
    middleware after this one met it. Anything raised outside the middleware reaches
    ``config.views.server_error``, which answers the same."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        exc = getattr(request, "database_error", None)
        if exc is not None:
            return database_unavailable_response(request, exc)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, TRANSIENT_ERRORS):
            return database_unavailable_response(request, exception)
        return None
