"""Gunicorn for EWERS (the image's and docker-compose's web server; docs/operations.md).

Threaded workers (``gthread``): a request waiting on an unreachable database holds one
thread, not a whole process, so the other threads (and ``/healthz``) keep answering; and
every such wait is bounded by the database and Redis timeouts of the settings, so each
thread is freed with a 503 within seconds. Gunicorn's ``timeout`` is then only the
heartbeat of a worker process that is stuck as a whole: a slow request is not killed
half-way (which would lose its answer after its report was saved), it is answered.
"""

from __future__ import annotations

import os


def _whole(name: str, default: int) -> int:
    raw = os.environ.get(name, str(default)).strip()
    if not raw.isdigit() or int(raw) < 1:
        raise SystemExit(f"{name} must be a whole number of at least 1, got {raw!r}.")
    return int(raw)


bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")  # all interfaces: inside the container
worker_class = "gthread"
workers = _whole("GUNICORN_WORKERS", 3)
threads = _whole("GUNICORN_THREADS", 4)
# Longer than any bounded wait of a request (DATABASE_STATEMENT_TIMEOUT, 20 s by default).
timeout = _whole("GUNICORN_TIMEOUT", 60)
graceful_timeout = _whole("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = 5
accesslog = "-"
