"""The environment every settings section reads: typed helpers that fail loudly, DEBUG,
the secrets and hosts, and the guard that refuses an insecure production start.

"""

from __future__ import annotations

import os
from pathlib import Path

import django_stubs_ext
import environ
from django.core.exceptions import ImproperlyConfigured

django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# A .env file beside manage.py, if present; EWERS_ENV_FILE names another ("" for none).
ENV_FILE = os.environ.get("EWERS_ENV_FILE", str(BASE_DIR / ".env"))
if ENV_FILE and Path(ENV_FILE).is_file():
    environ.Env.read_env(ENV_FILE, overwrite=False)

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    """A boolean from the environment; anything but a clear yes/no is an error."""
    raw = env.str(name, default=str(default)).strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of true/false/1/0/yes/no/on/off, got {raw!r}.")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    """A whole number from the environment, at least ``minimum``."""
    raw = env.str(name, default=str(default)).strip()
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, got {raw!r}.") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}.")
    return value


def env_float(name: str, default: float, *, minimum: float = 0.0) -> float:
    """A finite number from the environment, at least ``minimum``."""
    raw = env.str(name, default=str(default)).strip()
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, got {raw!r}.") from None
    if value != value or value in (float("inf"), float("-inf")) or value < minimum:
        raise ImproperlyConfigured(f"{name} must be a finite number of at least {minimum}, got {raw!r}.")
    return value


def env_list(name: str, default: str = "") -> list[str]:
    """A comma-separated list from the environment, blanks dropped."""
    return [item.strip() for item in env.str(name, default=default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

# Used only with DEBUG on; production refuses it (below).
_DEV_SECRET_KEY = "django-insecure-ewers-development-key-do-not-use-in-production"  # noqa: S105
_DEV_SALT = "ewers-development-salt"

SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET_KEY if DEBUG else "")
# Old keys stay here after a rotation so sessions and encrypted fields still open.
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS")
# Salt for deriving the field-encryption keys (source references). Changing it makes
# existing ciphertexts unreadable: list the old salt after the new one to rotate.
SALT_KEY = env_list("FIELD_ENCRYPTION_SALT", default=_DEV_SALT if DEBUG else "")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", default="127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

if not DEBUG:
    problems = []
    if len(SECRET_KEY) < 50 or SECRET_KEY.startswith("django-insecure") or len(set(SECRET_KEY)) < 5:
        problems.append("SECRET_KEY must be set to a random value of at least 50 characters.")
    if not SALT_KEY or _DEV_SALT in SALT_KEY:
        problems.append("FIELD_ENCRYPTION_SALT must be set (it protects source references at rest).")
    if not ALLOWED_HOSTS or "*" in ALLOWED_HOSTS:
        problems.append("ALLOWED_HOSTS must name the hosts this site answers to (no '*').")
    if problems:
        raise ImproperlyConfigured("Refusing to start with DEBUG off: " + " ".join(problems))

# Broker, result backend and cache; empty: tasks run in-process and the cache is local.
REDIS_URL = env.str("REDIS_URL", default="")
# Every wait on Redis is bounded (broker, cache, health check): a Redis that is stopped or
# cut off costs a request at most these seconds, never a hung worker (docs/operations.md).
REDIS_CONNECT_TIMEOUT = env_float("REDIS_CONNECT_TIMEOUT", 1.0, minimum=0.05)
REDIS_SOCKET_TIMEOUT = env_float("REDIS_SOCKET_TIMEOUT", 5.0, minimum=0.05)
# After an error the cache leaves Redis alone this long (ewers.cache): misses, no waits.
REDIS_FAIL_FAST_SECONDS = env_float("REDIS_FAIL_FAST_SECONDS", 3.0)
