"""Settings for the test suite only: the one settings module, with test values filled in.

Kept apart so that no environment variable can switch a deployment into test mode: a
running EWERS always loads ``config.settings`` and its production guards. The suite runs
with DEBUG off, like production; what differs is listed here.
"""

from __future__ import annotations

import os

os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "test-suite-only-key-7b1f0c9e4d2a8f6e3c5b9a1d7e2f4c8b6a0d3e5f")
os.environ.setdefault("FIELD_ENCRYPTION_SALT", "test-suite-only-salt")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")

from config.settings import *  # noqa: F403

# Speed, not strength: the suite creates many users.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The test client and the live server speak plain HTTP on the loopback.
SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
# Serve static files from the app folders (no collectstatic before the suite).
WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Tasks run in-process in unit tests, even when REDIS_URL is set; the integration tests
# start a real worker on Redis (celery.contrib.pytest's celery_app / celery_worker) and
# publish through that app instead.
CELERY_TASK_ALWAYS_EAGER = True
# Mail stays in memory (django.core.mail.outbox), also for a worker thread started by a test.
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Throttle counts and one-time-code markers stay in this process, cleared before each test
# (tests/conftest.py), even when REDIS_URL is set; the Redis cache of a deployment is
# checked in a fresh process (tests/ewers/test_security_limits.py).
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# The suite's process keeps its heap collectable (ewers/runtime.py freezes a server's once
# its first request is answered; tests/ewers/test_runtime.py covers it).
EWERS_GC_FREEZE = False
