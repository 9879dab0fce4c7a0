"""Over real HTTP: the product under gunicorn (2 workers, bound to 127.0.0.1 on a free
port) against the bench database, loaded by locust headless on loopback for a fixed
time; and a bounded feeder that keeps reports arriving through it while the alert latency
is measured. Gunicorn is stopped on every way out (``served``)."""

from __future__ import annotations

import contextlib
import csv
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.config import BenchError
from bench.worker import group_stop

REPO = Path(__file__).resolve().parent.parent
VAR = REPO / "var"
SERVER_LOG = VAR / "bench-gunicorn.log"
GUNICORN_WORKERS = 2
SERVER_READY_SECONDS = 60
SERVER_STOP_SECONDS = 15
LOCUST_USERS = 8  # concurrent closed-loop users: 2 workers x 4 threads
LOCUST_SECONDS = 20  # each load test's fixed duration
FEED_RATE = 100  # reports a second while the alert latency is measured
FEED_BATCH = 10  # reports per request of the feeder (10 requests a second)
FEED_MAX_SECONDS = 120  # the feeder's hard bound, whatever the samples take


def free_port() -> int:
    """A port nobody listens on at 127.0.0.1 now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _executable(name: str) -> str:
    beside = Path(sys.executable).with_name(name)
    return str(beside if beside.exists() else name)


@dataclass
class Server:
    """Gunicorn of the product (its gunicorn.conf.py, 2 workers, no access log) on loopback."""

    port: int = 0
    workers: int = GUNICORN_WORKERS
    process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        return [
            _executable("gunicorn"),
            "-c",
            str(REPO / "gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.workers),
            "--access-logfile",
            "/dev/null",
            "config.wsgi:application",
        ]

    def start(self) -> None:
        self.port = self.port or free_port()
        VAR.mkdir(parents=True, exist_ok=True)
        with SERVER_LOG.open("wb") as log:
            # A session of its own, so stopping it reaches its workers and nothing else.
            self.process = subprocess.Popen(  # noqa: S603 - our own venv's gunicorn, fixed arguments
                self.command(),
                cwd=REPO,
                env=os.environ.copy(),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + SERVER_READY_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"gunicorn exited at start (code {self.process.returncode}); see {SERVER_LOG}.")
            with contextlib.suppress(OSError):
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                try:
                    connection.request("GET", "/healthz")
                    if connection.getresponse().status < 500:
                        return
                finally:
                    connection.close()
            time.sleep(0.2)
        raise BenchError(f"gunicorn did not answer within {SERVER_READY_SECONDS}s; see {SERVER_LOG}.")

    def stop(self) -> None:
        process, self.process = self.process, None
        group_stop(process, SERVER_STOP_SECONDS)


@contextlib.contextmanager
def served() -> Iterator[Server]:
    """A started gunicorn, stopped when the block ends however it ends."""
    server = Server()
    try:
        server.start()
        yield server
    finally:
        server.stop()


# --- Locust -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Load:
    """One load test's figures: requests answered a second and their percentiles (ms)."""

    requests: int
    failures: int
    per_second: float
    p50_ms: float
    p95_ms: float


def locust_stats(rows: Sequence[dict[str, str]], name: str) -> Load:
    """The figures of the request ``name`` from locust's ``*_stats.csv`` rows."""
    for row in rows:
        if row.get("Name") == name:
            try:
                return Load(
                    requests=int(row["Request Count"]),
                    failures=int(row["Failure Count"]),
                    per_second=float(row["Requests/s"]),
                    p50_ms=float(row["50%"]),
                    p95_ms=float(row["95%"]),
                )
            except (KeyError, ValueError) as error:
                raise BenchError(f"locust's statistics of {name} are unreadable: {error}") from None
    raise BenchError(f"locust reported no {name} requests.")


def locust_run(server: Server, user_class: str, name: str, inputs: dict[str, Any], *, seconds: int) -> Load:
    """``locust --headless`` with ``user_class`` for ``seconds`` against the server; every
    request must have succeeded."""
    VAR.mkdir(parents=True, exist_ok=True)
    input_path = VAR / "bench-locust-input.json"
    input_path.write_text(json.dumps(inputs), encoding="utf-8")
    prefix = VAR / f"bench-locust-{user_class.lower()}"
    command = [
        _executable("locust"),
        "-f",
        str(REPO / "bench" / "locustfile.py"),
        "--headless",
        "--only-summary",
        "--users",
        str(LOCUST_USERS),
        "--spawn-rate",
        str(LOCUST_USERS),
        "--run-time",
        f"{seconds}s",
        "--stop-timeout",
        "5",
        "--host",
        server.base,
        "--csv",
        str(prefix),
        "--loglevel",
        "WARNING",
        user_class,
    ]
    env = {**os.environ, "BENCH_LOCUST_INPUT": str(input_path)}
    with (VAR / f"bench-locust-{user_class.lower()}.log").open("wb") as log:
        try:
            subprocess.run(  # noqa: S603 - our own venv's locust, fixed arguments
                command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, timeout=seconds + 60, check=False
            )
        except subprocess.TimeoutExpired:
            raise BenchError(f"locust ({user_class}) did not stop within {seconds + 60}s.") from None
    stats = Path(f"{prefix}_stats.csv")
    if not stats.exists():
        raise BenchError(f"locust ({user_class}) wrote no statistics; see {VAR}/bench-locust-*.log.")
    with stats.open(encoding="utf-8") as file:
        load = locust_stats(list(csv.DictReader(file)), name)
    if load.failures:
        raise BenchError(f"{name}: {load.failures} of {load.requests} requests failed over HTTP.")
    return load


# --- The feeder ---------------------------------------------------------------------------


@dataclass
class Feeder:
    """A thread that posts ``rate`` reports a second (batches of FEED_BATCH) to the server
    until stopped or FEED_MAX_SECONDS have passed: bounded in time and in count."""

    server: Server
    token: str
    payloads: list[dict[str, Any]]
    rate: int = FEED_RATE
    sent: int = 0
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="bench-feeder", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    @property
    def achieved(self) -> float:
        return self.sent / self.seconds if self.seconds > 0 else 0.0

    def _run(self) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=30)
        headers = {"Authorization": f"Token {self.token}", "Content-Type": "application/json"}
        interval = FEED_BATCH / self.rate
        started = time.monotonic()
        tick = started
        try:
            while not self._stop.is_set() and time.monotonic() - started < FEED_MAX_SECONDS:
                batch = self.payloads[self.sent : self.sent + FEED_BATCH]
                if len(batch) < FEED_BATCH:
                    break  # the budget of reports is spent
                try:
                    connection.request("POST", "/api/v1/reports/batch/", json.dumps({"reports": batch}), headers)
                    response = connection.getresponse()
                    response.read()
                except (OSError, http.client.HTTPException) as error:
                    self.errors.append(f"{type(error).__name__}: {error}")
                    connection.close()
                    break
                if response.status not in (200, 201, 207):
                    self.errors.append(f"the batch answered {response.status}")
                    break
                self.sent += len(batch)
                tick += interval
                self._stop.wait(max(0.0, tick - time.monotonic()))
        finally:
            self.seconds = time.monotonic() - started
            connection.close()
