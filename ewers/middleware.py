"""Site-wide rules applied to every request: the second factor some roles must have, and
no caching of anything a signed-in user is shown."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponseBase, JsonResponse
from django.shortcuts import redirect
from django.utils.cache import add_never_cache_headers

from ewers.accounts import second_factor_enrolled
from ewers.models import User
from ewers.permissions import SECOND_FACTOR_REQUIRED, user_needs_second_factor

# What a user who must enrol may still reach: the enrolment pages (an authenticator app,
# then the recovery codes), re-entering their password for them, signing out, and
# the language switch.
ENROLMENT_VIEWS = frozenset(
    {
        "mfa_index",
        "mfa_activate_totp",
        "mfa_view_recovery_codes",
        "mfa_generate_recovery_codes",
        "mfa_download_recovery_codes",
        "mfa_reauthenticate",
        "account_reauthenticate",
        "account_logout",
        "logout",
        "set_language",
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
        match = request.resolver_match
        if match is not None and match.url_name in ENROLMENT_VIEWS:
            return None
        if second_factor_enrolled(user):
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
