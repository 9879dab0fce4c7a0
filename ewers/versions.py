"""Versions of the data that pages compute from and keep in the cache for a while
(``learning.kept``): one random token per kind of data, renewed by every writer of it.

A writer calls ``touched(name)`` in its transaction: the token is renewed once the
transaction commits (once however many writes it holds; never if it rolls back). Until
then, readers elsewhere see the data before the change, which is what the current token
stands for; the writer's own transaction has no version (``version`` answers None: it
computes afresh and keeps nothing). A random token, not a counter: a version lost with the
cache (evicted, Redis restarted) never comes back to make old entries current.

The kinds: ``ROLLUPS`` (the daily report and reading counts, ``indicators.services.rollups``)
and ``RISK`` (the communities' current risk and weekly rollups, ``indicators.services.risk``).
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable

from django.core.cache import cache
from django.db import connection, transaction

ROLLUPS = "rollups"
RISK = "risk"
KEY = "ewers:version:{name}"


def version(name: str) -> str | None:
    """The current token of ``name``'s data; None while the cache cannot be reached, or
    in a transaction that changed the data (nothing may be kept then)."""
    if _pending(name):
        return None
    key = KEY.format(name=name)
    token = cache.get(key)
    if token is None:
        cache.add(key, secrets.token_hex(8), timeout=None)
        token = cache.get(key)
    return token if isinstance(token, str) else None


def touched(name: str) -> None:
    """``name``'s data changes in the current transaction: a new token when it commits
    (at once outside a transaction)."""
    if not _pending(name):
        transaction.on_commit(renewer(name))


def _pending(name: str) -> bool:
    """Whether the current transaction changed ``name``'s data (its renewal waits for the
    commit; a savepoint rolled back takes its renewal with it)."""
    renew = renewer(name)
    return any(entry[1] is renew for entry in connection.run_on_commit)


@functools.cache
def renewer(name: str) -> Callable[[], None]:
    """The function that gives ``name`` a new token (the same object every time: the
    commit's callbacks are told apart by it)."""

    def renew() -> None:
        cache.set(KEY.format(name=name), secrets.token_hex(8), timeout=None)

    return renew
