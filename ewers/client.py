"""The client's network address, the one rule every limit keys on (lockout, throttling,
allauth's rate limits).

Behind ``EWERS_TRUSTED_PROXIES`` reverse proxies each appends the address it received the
request from to ``X-Forwarded-For``; the client is the entry the outermost trusted proxy
wrote, counted from the right. Entries further left were written by the client itself and
are never believed, so nobody can pose as another address by sending the header. With no
trusted proxy the header is ignored and the connection's own address is the client's.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest

UNKNOWN = "0.0.0.0"  # noqa: S104 - a placeholder key, never bound to


def _valid(address: str) -> str | None:
    try:
        return str(ipaddress.ip_address(address.strip()))
    except ValueError:
        return None


def client_address(request: HttpRequest) -> str:
    """The address the request came from, as far as the trusted proxies vouch for it."""
    remote = _valid(request.META.get("REMOTE_ADDR", "")) or UNKNOWN
    proxies: int = settings.EWERS_TRUSTED_PROXIES
    if proxies <= 0:
        return remote
    forwarded = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if len(forwarded) < proxies:
        # Fewer hops than proxies: the request bypassed a proxy; key on what connected.
        return remote
    return _valid(forwarded[-proxies]) or remote
