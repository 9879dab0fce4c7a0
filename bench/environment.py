"""Before Django loads: which PostgreSQL and Redis to use, whether they answer, and a
fresh bench database. Imports nothing of the project (importing ``ewers`` would fix
the settings module too early)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import psycopg2  # type: ignore[import-untyped]
import redis
from psycopg2 import sql

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/ewers_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
BENCH_DATABASE = "ewers_bench"
BENCH_REDIS_DB = "14"
# The product's settings with DEBUG off, as deployed (persistent connections, no query
# log). Not config.settings_test: it runs every task in-process.
SETTINGS_MODULE = "config.settings"
CONNECT_TIMEOUT_SECONDS = 3


class ServiceUnavailable(Exception):
    """PostgreSQL or Redis does not answer, or the database URL is unsafe to use."""


@dataclass(frozen=True)
class Services:
    database_url: str
    redis_url: str

    @property
    def database_name(self) -> str:
        return urlsplit(self.database_url).path.lstrip("/")

    def maintenance_dsn(self) -> str:
        """The same server's ``postgres`` database, to drop and create the bench one."""
        parts = urlsplit(self.database_url)
        return urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, ""))


def _with_path(url: str, path: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def services_from_env(environ: dict[str, str] | os._Environ[str] = os.environ) -> Services:
    """BENCH_DATABASE_URL / BENCH_REDIS_URL if given; else the server of DATABASE_URL /
    REDIS_URL with the bench's own database ``ewers_bench`` and Redis db 14; else both
    on 127.0.0.1.

    The bench drops and re-creates its database, so it never takes DATABASE_URL's
    database itself, and refuses a database whose name does not say "bench".
    """
    database_url = environ.get("BENCH_DATABASE_URL", "")
    if not database_url:
        configured = environ.get("DATABASE_URL", "")
        database_url = (
            _with_path(configured, "/" + BENCH_DATABASE) if configured.startswith("postgres") else DEFAULT_DATABASE_URL
        )
    redis_url = environ.get("BENCH_REDIS_URL", "")
    if not redis_url:
        configured = environ.get("REDIS_URL", "")
        redis_url = (
            _with_path(configured, "/" + BENCH_REDIS_DB) if configured.startswith("redis") else DEFAULT_REDIS_URL
        )
    services = Services(database_url=database_url, redis_url=redis_url)
    if not services.database_url.startswith(("postgres://", "postgresql://")):
        raise ServiceUnavailable(f"The bench needs PostgreSQL; BENCH_DATABASE_URL is {database_url!r}.")
    if "bench" not in services.database_name:
        raise ServiceUnavailable(
            f"The bench drops and re-creates its database; {services.database_name!r} does not look like a "
            "scratch database (its name must contain 'bench')."
        )
    return services


def services_check(services: Services) -> tuple[str, str]:
    """Both services answer; returns (PostgreSQL version, Redis version)."""
    try:
        conn = psycopg2.connect(services.maintenance_dsn(), connect_timeout=CONNECT_TIMEOUT_SECONDS)
        try:
            with conn.cursor() as cursor:
                cursor.execute("SHOW server_version")
                row = cursor.fetchone()
        finally:
            conn.close()
    except psycopg2.Error as error:
        raise ServiceUnavailable(
            f"PostgreSQL does not answer at {services.maintenance_dsn()}: {error}".strip()
        ) from None
    try:
        client = redis.Redis.from_url(services.redis_url, socket_connect_timeout=CONNECT_TIMEOUT_SECONDS)
        client.ping()
        info = client.info("server")
        client.close()
    except redis.RedisError as error:
        raise ServiceUnavailable(f"Redis does not answer at {services.redis_url}: {error}") from None
    # "15.20 (Debian 15.20-0+deb12u1)": the number is what matters.
    return (str(row[0]).split()[0] if row else "?"), str(info.get("redis_version", "?"))


def database_recreate(services: Services) -> None:
    """Drop the bench database if it is there (ending its sessions) and create it empty."""
    conn = psycopg2.connect(services.maintenance_dsn(), connect_timeout=CONNECT_TIMEOUT_SECONDS)
    try:
        conn.autocommit = True  # CREATE/DROP DATABASE cannot run in a transaction
        with conn.cursor() as cursor:
            name = sql.Identifier(services.database_name)
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(name))
    finally:
        conn.close()


def environment_apply(services: Services, *, queue: str) -> None:
    """Point this process (and the worker it starts) at the bench services.

    Set before Django loads, since the settings read the environment once. DEBUG is off
    as in production; its guards want secrets, so the run makes throwaway ones: they
    protect nothing but the scratch database, and no real secret is needed.
    """
    os.environ["DATABASE_URL"] = services.database_url
    os.environ["REDIS_URL"] = services.redis_url
    # A queue of this run's own: no other worker on this Redis takes the bench's tasks.
    os.environ["CELERY_TASK_DEFAULT_QUEUE"] = queue
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    os.environ["DEBUG"] = "false"
    os.environ["SECRET_KEY"] = secrets.token_urlsafe(64)
    os.environ["FIELD_ENCRYPTION_SALT"] = secrets.token_urlsafe(16)
    # "testserver" is the in-process test client's host; it speaks plain HTTP.
    os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
    os.environ["SECURE_SSL_REDIRECT"] = "false"
    # The bench measures how much the pipeline takes: the request limits would cap it.
    for scope in ("ANON", "USER", "SIGN_IN", "IMPORT", "EXPORT", "HEATMAP"):
        os.environ[f"EWERS_THROTTLE_{scope}"] = "1000000"
    # No .env file: the figures must not depend on a developer's local knobs.
    os.environ["EWERS_ENV_FILE"] = ""
    # The seed writes a million readings in single COPY statements: no request's time limit.
    os.environ["DATABASE_STATEMENT_TIMEOUT"] = "0"
    # The worker logs each alert it raises at INFO; the table is the output here.
    os.environ.setdefault("LOG_LEVEL", "WARNING")
