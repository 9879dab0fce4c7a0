"""The real Celery worker the bench runs its scoring and latency figures on, its queue, and
a trivial task's round trip (the latency baseline)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench import environment
from bench.config import BenchError

REPO = Path(__file__).resolve().parent.parent
WORKER_LOG = REPO / "var" / "bench-worker.log"
WORKER_CONCURRENCY = 2
WORKER_READY_SECONDS = 60
WORKER_STOP_SECONDS = 15
POLL_SECONDS = 0.002  # how often latency samples look for their row
# The notifications' e-mails are rendered and handed to a backend that sends nothing: the
# bench runs no SMTP server (each refused connection was a logged traceback).
WORKER_EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
SAMPLE_TIMEOUT_SECONDS = 30

# --- The worker -------------------------------------------------------------------------


def wait_row(query: str, params: Sequence[str | int], *, timeout: float) -> float | None:
    """Poll until ``query`` returns a row: the monotonic time it did, or None on timeout."""
    from django.db import connection

    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while True:
            cursor.execute(query, params)
            if cursor.fetchone() is not None:
                return time.monotonic()
            if time.monotonic() > deadline:
                return None
            time.sleep(POLL_SECONDS)


def ping_round_trip(*, timeout: float = SAMPLE_TIMEOUT_SECONDS) -> float | None:
    """Seconds from publishing the trivial task to its row being visible; None on timeout."""
    from bench.tasks import PING_TABLE, ping

    token = uuid.uuid4().hex
    started = time.monotonic()
    ping.delay(token)
    done = wait_row(f"SELECT 1 FROM {PING_TABLE} WHERE token = %s", [token], timeout=timeout)  # noqa: S608
    return None if done is None else done - started


@dataclass
class Worker:
    """A Celery worker subprocess of the product's app on the bench's own queue."""

    queue: str
    concurrency: int = WORKER_CONCURRENCY
    process: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        celery = Path(sys.executable).with_name("celery")
        return [
            str(celery if celery.exists() else "celery"),
            "-A",
            "config",
            "worker",
            "-Q",
            self.queue,
            "-c",
            str(self.concurrency),
            "-P",
            "prefork",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-I",
            "bench.tasks",  # the baseline's trivial task, beside the product's tasks
            "-n",
            f"bench-{os.getpid()}@%h",
            "--loglevel",
            "WARNING",
        ]

    def start(self) -> None:
        WORKER_LOG.parent.mkdir(parents=True, exist_ok=True)
        with WORKER_LOG.open("wb") as log:
            # A session of its own, so stopping it reaches its pool processes and nothing else.
            self.process = subprocess.Popen(  # noqa: S603 - our own venv's celery, fixed arguments
                self.command(),
                cwd=REPO,
                env=os.environ | {"EMAIL_BACKEND": WORKER_EMAIL_BACKEND},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + WORKER_READY_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"The worker exited at start (code {self.process.returncode}); see {WORKER_LOG}.")
            if ping_round_trip(timeout=2) is not None:
                return
        raise BenchError(f"The worker did not run a task within {WORKER_READY_SECONDS}s; see {WORKER_LOG}.")

    def stop(self) -> None:
        process, self.process = self.process, None
        group_stop(process, WORKER_STOP_SECONDS)


def queue_purge(queue: str) -> int:
    """Drop the messages waiting in the bench queue; returns how many. The scoring wake-up
    flag goes with them (it says a scoring task waits: none does any more)."""
    from config.celery import app
    from indicators.services import scoring_wake_forget

    with app.connection_for_write() as conn:
        purged = int(conn.default_channel.queue_purge(queue) or 0)
    scoring_wake_forget()
    return purged


def queue_forget(queue: str) -> None:
    """Remove the run's queue and kombu's bindings of it from Redis: nothing piles up
    over runs (the queue name is new each time)."""
    import redis
    from django.conf import settings

    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=environment.CONNECT_TIMEOUT_SECONDS)
    try:
        client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
    finally:
        client.close()


def group_stop(process: subprocess.Popen[bytes] | None, patience: float) -> None:
    """Stop a process started in its own group (``start_new_session``): SIGTERM to the group,
    SIGKILL after ``patience`` seconds, and SIGKILL once more for a child (a pool process, a
    gunicorn worker) the main process left behind."""
    if process is None or process.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, patience), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        return
