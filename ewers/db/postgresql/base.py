"""Django's PostgreSQL backend, failing fast while the server cannot be reached.

During a partition every new connection waits DATABASE_CONNECT_TIMEOUT before it fails,
and a web thread held that long per request soon leaves none for the next requests, nor
for ``/healthz``. So once an attempt has waited that long in vain, the other attempts of
this process to that server fail at once for DATABASE_FAIL_FAST_SECONDS (the requests get
their 503 with Retry-After in milliseconds), then one attempt tries again while the rest
still fail fast. A refused connection (the server down, not cut off) fails in
milliseconds anyway and changes nothing.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from django.conf import settings
from django.db.backends.postgresql import base

# The driver (psycopg2, or psycopg) as Django's backend imported it; django-stubs leave it out.
Database: Any = vars(base)["Database"]
# A refusal or a bad password is answered in milliseconds; an attempt this slow found nobody.
SLOW_FAILURE_SECONDS = 1.0


class _Server:
    """The state of one server address in this process."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.failed_at: float | None = None
        self.trying = False

    def admit(self, hold: float) -> bool:
        """Whether to try connecting now (False: fail fast)."""
        with self.lock:
            if self.failed_at is None:
                return True
            if time.monotonic() - self.failed_at < hold or self.trying:
                return False
            self.trying = True  # this attempt finds out for the others
            return True

    def outcome(self, *, answered: bool) -> None:
        with self.lock:
            self.failed_at = None if answered else time.monotonic()
            self.trying = False


_servers: dict[tuple[str, str, str], _Server] = {}
_servers_lock = threading.Lock()


def _server(conn_params: dict[str, Any]) -> _Server:
    key = (str(conn_params.get("host", "")), str(conn_params.get("port", "")), str(conn_params.get("dbname", "")))
    with _servers_lock:
        return _servers.setdefault(key, _Server())


class DatabaseWrapper(base.DatabaseWrapper):
    """PostgreSQL as Django connects to it, but not again and again to a server that is cut off."""

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        hold = settings.DATABASE_FAIL_FAST_SECONDS
        if not hold:
            return super().get_new_connection(conn_params)
        server = _server(conn_params)
        if not server.admit(hold):
            # The driver's error: Django reports it as its OperationalError, a 503 (ewers.middleware).
            raise Database.OperationalError(
                "the database server did not answer a moment ago; not waiting for it again yet"
            )
        started = time.monotonic()
        try:
            connection = super().get_new_connection(conn_params)
        except Database.OperationalError:
            slow = time.monotonic() - started >= SLOW_FAILURE_SECONDS
            server.outcome(answered=not slow)
            raise
        except BaseException:
            server.outcome(answered=True)
            raise
        server.outcome(answered=True)
        return connection
