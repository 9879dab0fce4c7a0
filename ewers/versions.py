"""Versions of the data that pages compute from and keep in the cache for a while
(``learning.kept``): one random token per kind of data, renewed by every writer of it.

A writer calls ``touched(name)`` in its transaction: the token is renewed at once (a
reader in the same transaction sees the change) and again once the transaction commits (a
reader elsewhere, meanwhile, computed from the data before the change and kept it under
the first new token); the second once per transaction, however many writes it holds. A
random token, not a counter: a version lost with the cache (evicted, Redis restarted)
never comes back to make old entries current.

The kinds: ``ROLLUPS`` (the daily report and reading counts, ``indicators.services.rollups``)
and ``RISK`` (the communities' current risk and weekly rollups, ``indicators.services.risk``).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from django.core.cache import cache
from django.db import connection, transaction

ROLLUPS = "rollups"
RISK = "risk"
KEY = "ewers:version:{name}"


def version(name: str) -> str | None:
    """The current token of ``name``'s data; None while the cache cannot be reached
    (nothing may be kept then)."""
    key = KEY.format(name=name)
    token = cache.get(key)
    if token is None:
        cache.add(key, secrets.token_hex(8), timeout=None)
        token = cache.get(key)
    return token if isinstance(token, str) else None


def touched(name: str) -> None:
    """``name``'s data changes in the current transaction."""
    renew = renewer(name)
    renew()
    if not any(entry[1] is renew for entry in connection.run_on_commit):
        transaction.on_commit(renew)


_renewers: dict[str, Callable[[], None]] = {}


def renewer(name: str) -> Callable[[], None]:
    """The function that gives ``name`` a new token (the same object every time: the
    commit's callbacks are told apart by it)."""
    if name not in _renewers:

        def renew() -> None:
            cache.set(KEY.format(name=name), secrets.token_hex(8), timeout=None)

        renew.__qualname__ = f"renew_{name}"
        _renewers[name] = renew
    return _renewers[name]
