"""Request limits of the API and of the heavy pages (API.md, "Throttling").

Three limits apply to every API request: per anonymous client address, per signed-in
user, and the view's own scope when it names one (``throttle_scope``: ``sign_in``,
``import``, ``export``, ``heatmap``), counted per user or, before sign-in, per address.
Counts live in the default cache, which is Redis when ``REDIS_URL`` is set, so every web
worker shares them. Addresses come from ``ewers.client.client_address`` (the trusted
proxies rule). A refusal is 429 with ``Retry-After``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from rest_framework import throttling
from rest_framework.permissions import BasePermission
from rest_framework.settings import api_settings

from ewers.client import client_address

if TYPE_CHECKING:  # DRF imports this module while rest_framework.views loads
    from rest_framework.request import Request
    from rest_framework.views import APIView


class _Counted(throttling.SimpleRateThrottle):
    """Each limit counts a request once (``ThrottleFirst`` checks the limits before DRF
    does, so that a refused permission is throttled too), reads its rate from the
    settings when it counts (not when the class was defined), and keys addresses by the
    trusted-proxies rule."""

    def allow_request(self, request: Request, view: APIView) -> bool:
        counted: set[type] = request.__dict__.setdefault("_ewers_throttles_counted", set())
        if type(self) in counted:
            return True
        counted.add(type(self))
        return super().allow_request(request, view)

    def get_rate(self) -> str | None:
        rates: dict[str, Any] = api_settings.DEFAULT_THROTTLE_RATES
        return str(rates[self.scope]) if self.scope and rates.get(self.scope) else None

    def get_ident(self, request: Request) -> str:
        return client_address(request)


class _Window(throttling.SimpleRateThrottle):
    """DRF's rule (the requests of the last ``duration`` seconds, a refused one not counted)
    on Redis in one round trip (``FailOpenRedisCache.window_hit``), not a read and a write of
    the whole history; DRF's own on any other cache. Listed after DRF's throttle class in
    each limit's bases, so that a scoped limit has found its rate before it counts."""

    num_requests: int  # set from the rate by DRF's classes
    duration: int

    def allow_request(self, request: Request, view: APIView) -> bool:
        window_hit = getattr(self.cache, "window_hit", None)
        if window_hit is None:
            return super().allow_request(request, view)
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        hit = window_hit(self.key, now=self.now, duration=self.duration, limit=self.num_requests)
        if hit is None:
            return True  # Redis away: as a cache miss, the request goes through
        allowed, count, oldest = hit
        self._window = (count, oldest)
        return allowed or self.throttle_failure()

    def wait(self) -> float | None:
        window: tuple[int, float] | None = getattr(self, "_window", None)
        if window is None:
            return super().wait()
        # DRF's estimate from the window as counted: the time until its oldest request
        # leaves it, spread over the requests that may come then.
        count, oldest = window
        remaining = self.duration - (self.now - oldest) if count else self.duration
        available = self.num_requests - count + 1
        return remaining / float(available) if available > 0 else None


class CountedThrottle(_Counted, _Window):
    """The base of a view's own limit keyed by something else than the user or the address
    (the SMS gateway's sender, say): ``scope`` names its rate, ``get_cache_key`` its key."""


class ThrottleFirst(BasePermission):
    """Checks the limits before the other permissions: DRF checks them after, so a client
    refused for want of credentials (401) would never be throttled."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        view.check_throttles(request)
        return True


class AnonymousRateThrottle(_Counted, throttling.AnonRateThrottle, _Window):
    """Anonymous clients: the ``anon`` rate per client address."""


class UserRateThrottle(_Counted, throttling.UserRateThrottle, _Window):
    """Signed-in users (and gateways, as the account they act for): the ``user`` rate each."""

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        if not (request.user and request.user.is_authenticated):
            return None  # the anonymous limit applies instead
        return super().get_cache_key(request, view)


class ScopedThrottle(_Counted, throttling.ScopedRateThrottle, _Window):
    """A view's own ``throttle_scope``, per user or, before sign-in, per address."""


class _Page:
    """What a scoped throttle asks of the view it guards: its scope."""

    def __init__(self, scope: str) -> None:
        self.throttle_scope = scope


def throttled_page(scope: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """The scope's limit on a page (an export, say): 429 with ``Retry-After`` beyond it."""
    page = _Page(scope)

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            throttle = ScopedThrottle()
            if not throttle.allow_request(request, page):  # type: ignore[arg-type]
                wait = math.ceil(throttle.wait() or 1)
                response = HttpResponse(
                    _("Too many requests. Try again in %(seconds)d seconds.") % {"seconds": wait},
                    status=429,
                    content_type="text/plain; charset=utf-8",
                )
                response["Retry-After"] = str(wait)
                return response
            return view(request, *args, **kwargs)

        return wrapped

    return decorate
