"""Faults the tests inject on real parts: a Redis of their own to stop and start, a TCP proxy
in front of PostgreSQL to cut or partition, and Celery workers as processes to kill.

Everything listens on 127.0.0.1 only, every wait is bounded, and each test owns (and
stops) what it starts: the shared PostgreSQL and Redis of the machine are never touched.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import connection, connections

from tests.polling import wait_for

ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = "127.0.0.1"
HTTP_TIMEOUT = 30


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def timed(action) -> tuple[float, object]:
    """(seconds, result) of ``action()``."""
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    text: str

    def json(self) -> Any:
        return json.loads(self.text)


def http(method: str, url: str, *, data: Any = None, headers: dict[str, str] | None = None) -> Answer:
    """One real HTTP request (to the live server), bounded; errors are answers too."""
    body = json.dumps(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})  # noqa: S310 - loopback
    if body is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT) as response:  # noqa: S310
            return Answer(response.status, dict(response.headers), response.read().decode())
    except urllib.error.HTTPError as error:
        return Answer(error.code, dict(error.headers), error.read().decode())


# --- Redis ---------------------------------------------------------------------------------


class RedisServer:
    """A ``redis-server`` on a free loopback port, no persistence; stop and start it again on
    the same port to play an outage."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://{LOOPBACK}:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", LOOPBACK]
        command += ["--save", "", "--appendonly", "no", "--daemonize", "no"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert wait_for(self.answers, 10), "redis-server did not start"

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

    def answers(self) -> bool:
        try:
            with socket.create_connection((LOOPBACK, self.port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False


@contextmanager
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


# --- A TCP proxy in front of PostgreSQL ------------------------------------------------------


class TcpProxy:
    """Forwards 127.0.0.1:``port`` to ``target`` until told otherwise:

    - ``cut()``: every connection is closed and new ones are closed at once (the database
      is down, or its host restarted);
    - ``partition()``: new connections are accepted and kept, but nothing answers (packets
      lost on the way): a client waits for its own connect timeout. Connections already
      open are closed: a loopback proxy cannot make them hang as a lost network would (its
      kernel acknowledges every packet, so only a real partition exercises
      DATABASE_NETWORK_TIMEOUT);
    - ``heal()``: new connections go through again.
    """

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.mode = "open"
        self._listener = socket.create_server((LOOPBACK, 0))
        self.port = int(self._listener.getsockname()[1])
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._listener, selectors.EVENT_READ)
        self._peers: dict[socket.socket, socket.socket] = {}
        self._held: list[socket.socket] = []
        self.accepted = 0  # connections carried to the target so far
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tcp-proxy", daemon=True)
        self._thread.start()

    def cut(self) -> None:
        with self._lock:
            self.mode = "cut"
            self._close_all()

    def partition(self) -> None:
        with self._lock:
            self.mode = "partition"
            self._close_all()

    def heal(self) -> None:
        with self._lock:
            self.mode = "open"
            for held in self._held:
                held.close()
            self._held.clear()

    def close(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=5)
        with self._lock:
            self._close_all()
            for held in self._held:
                held.close()
        self._listener.close()

    def _close_all(self) -> None:
        for sock in list(self._peers):
            self._selector.unregister(sock)
            sock.close()
        self._peers.clear()

    def _run(self) -> None:
        while not self._stopping.is_set():
            for key, _events in self._selector.select(timeout=0.05):
                with self._lock:
                    if key.fileobj is self._listener:
                        self._accept()
                    elif key.fileobj in self._peers and self.mode == "open":
                        self._pump(key.fileobj)  # type: ignore[arg-type]
            if self.mode == "partition":
                time.sleep(0.01)  # nothing is read: keep the loop from spinning on ready sockets

    def _accept(self) -> None:
        client, _address = self._listener.accept()
        if self.mode == "cut":
            client.close()
        elif self.mode == "partition":
            self._held.append(client)  # the handshake succeeded; nothing will answer
        else:
            upstream = socket.create_connection(self.target, timeout=5)
            self.accepted += 1
            self._peers[client], self._peers[upstream] = upstream, client
            self._selector.register(client, selectors.EVENT_READ)
            self._selector.register(upstream, selectors.EVENT_READ)

    def _pump(self, source: socket.socket) -> None:
        sink = self._peers[source]
        try:
            data = source.recv(65536)
            if data:
                sink.sendall(data)
                return
        except OSError:
            pass
        for sock in (source, sink):
            self._selector.unregister(sock)
            self._peers.pop(sock, None)
            sock.close()


@contextmanager
def database_behind_proxy() -> Iterator[TcpProxy]:
    """This process's database connections go through a proxy the test controls (the
    connection is re-opened through it); restored afterwards. Needs a test that commits
    (``django_db(transaction=True)``): the proxy carries new connections only."""
    settings_dict = connection.settings_dict
    original = settings_dict["HOST"], settings_dict["PORT"]
    proxy = TcpProxy((original[0] or LOOPBACK, int(original[1] or 5432)))
    connections.close_all()
    settings_dict["HOST"], settings_dict["PORT"] = LOOPBACK, str(proxy.port)
    try:
        yield proxy
    finally:
        proxy.heal()
        connections.close_all()
        settings_dict["HOST"], settings_dict["PORT"] = original
        proxy.close()


# --- Celery workers as processes ---------------------------------------------------------------


def database_url(port: int | None = None) -> str:
    """The test database's URL, through ``port`` (a proxy) if given."""
    db = connection.settings_dict
    host = LOOPBACK if port else db["HOST"]
    return f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{host}:{port or db['PORT'] or 5432}/{db['NAME']}"


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def _kill(pids: list[int]) -> None:
    for pid in pids:
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


class Worker:
    """``celery -A config worker`` (prefork, one child) on ``queue``, with the production
    settings module and ``env`` on top of this process's environment (the test settings run
    tasks eagerly, which would turn a retry's wait into an immediate loop)."""

    def __init__(self, *, queue: str, env: dict[str, str]) -> None:
        self.queue = queue
        self.env = (
            os.environ
            | {
                "DJANGO_SETTINGS_MODULE": "config.settings",
                "DEBUG": "false",
                "EWERS_ENV_FILE": "",
                "CELERY_TASK_DEFAULT_QUEUE": queue,
                "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
                "LOG_LEVEL": "WARNING",
            }
            | env
        )
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", self.queue]
        command += ["-P", "prefork", "-c", "1", "--without-gossip", "--without-mingle", "--without-heartbeat"]
        command += ["-l", "WARNING"]
        self.process = subprocess.Popen(command, cwd=ROOT, env=self.env)
        assert wait_for(lambda: bool(children_of(self.pid)), 30), "the worker did not start"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def kill(self) -> None:
        """SIGKILL the whole worker, main process and children: nobody is left to put its
        messages back (unlike a child's death, which the main process reports)."""
        assert self.process is not None
        children = children_of(self.pid)
        os.kill(self.pid, signal.SIGKILL)
        _kill(children)
        self.process.wait(timeout=10)
        self.process = None

    def stop(self) -> None:
        if self.process is None:
            return
        children = children_of(self.pid)
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        _kill(children)  # children the main process could not reap (blocked on a lock, say)
        self.process = None


@contextmanager
def worker(*, queue: str, env: dict[str, str]) -> Iterator[Worker]:
    running = Worker(queue=queue, env=env)
    running.start()
    try:
        yield running
    finally:
        running.stop()
