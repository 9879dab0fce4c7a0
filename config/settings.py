"""EWERS settings: one module, every knob from an environment variable.

Development defaults are safe to run on a laptop (SQLite, tasks in-process). With
``DEBUG`` off the module refuses to load unless the secrets and hosts a real
deployment needs are set: an insecure production start is a configuration error,
not a warning.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import django_stubs_ext
import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent

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

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "simple_history",
    "axes",
    "csp",
    "ewers",
    "indicators",
    "alerts",
    "analytics",
    "audit",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, so that it sees the outcome of authentication (django-axes' rule).
    "axes.middleware.AxesMiddleware",
    # Records every 403/404 answered to a signed-in user (after authentication and axes).
    "audit.middleware.AccessDeniedAuditMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "config.context_processors.navigation",
            ],
        },
    },
]

# --- Data ---------------------------------------------------------------------------

try:
    DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'ewers.sqlite3'}")}
except (KeyError, ValueError):
    DATABASES = {"default": {}}
if not DATABASES["default"].get("ENGINE"):
    raise ImproperlyConfigured(
        "DATABASE_URL must be a database URL such as postgres://user:password@host:5432/name or sqlite:///path."
    )
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60 if not DEBUG else 0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded demo: tolerate the web server and a seeding command writing at once.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "ewers.User"

# --- Tasks --------------------------------------------------------------------------

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    # No broker configured: the embedded demo runs every task in-process, at once.
    CELERY_BROKER_URL = "memory://"
    CELERY_RESULT_BACKEND = None
    CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
# A deployment (or a benchmark) sharing one Redis can keep its tasks on a queue of its own.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 300, minimum=1)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing must not hang a web request when the broker is down: fail fast instead.
CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2}
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    # A report accepted while the broker was down is queued by this sweep once it is back.
    "reports-sweep": {"task": "indicators.tasks.reports_sweep", "schedule": timedelta(seconds=60)},
    # Signals fade: re-assess every community with recent readings once a day, for trends.
    "communities-reassess": {"task": "indicators.tasks.communities_reassess", "schedule": timedelta(hours=24)},
    "sessions-clear-expired": {
        "task": "ewers.tasks.sessions_clear_expired",
        "schedule": timedelta(hours=6),
    },
    # Marks assignments past their deadline (notifying the coordinators once) and sends
    # notification e-mails a broker outage left unsent.
    "assignments-overdue": {"task": "alerts.tasks.overdue_sweep", "schedule": timedelta(seconds=60)},
}
CELERY_BEAT_SCHEDULE_FILENAME = str(BASE_DIR / "var" / "celerybeat-schedule")

# --- Scoring and alerts (docs/scoring.md explains each knob) -----------------------

EWERS_SCORE_SATURATION = env_float("EWERS_SCORE_SATURATION", 4.0, minimum=0.01)
try:
    EWERS_LEVEL_BANDS = tuple(float(b) for b in env_list("EWERS_LEVEL_BANDS", default="25,50,75"))
except ValueError:
    EWERS_LEVEL_BANDS = ()
if len(EWERS_LEVEL_BANDS) != 3 or not 0 < EWERS_LEVEL_BANDS[0] < EWERS_LEVEL_BANDS[1] < EWERS_LEVEL_BANDS[2] < 100:
    raise ImproperlyConfigured("EWERS_LEVEL_BANDS must be three rising scores within 0–100, e.g. 25,50,75.")
EWERS_LEVEL_HYSTERESIS = env_float("EWERS_LEVEL_HYSTERESIS", 5.0)
if EWERS_LEVEL_BANDS[0] <= EWERS_LEVEL_HYSTERESIS:
    raise ImproperlyConfigured("EWERS_LEVEL_HYSTERESIS must be below the lowest band of EWERS_LEVEL_BANDS.")
# Readings older than this are not read when a community is scored (they have faded).
EWERS_SCORING_WINDOW_DAYS = env_int("EWERS_SCORING_WINDOW_DAYS", 180, minimum=1)
# A report whose scoring failed this often is left for an operator (healthz counts it).
EWERS_SCORING_MAX_ATTEMPTS = env_int("EWERS_SCORING_MAX_ATTEMPTS", 5, minimum=1)
# The sweep queues reports still unscored this long after they were received.
EWERS_SWEEP_AFTER_SECONDS = env_int("EWERS_SWEEP_AFTER_SECONDS", 60, minimum=1)
EWERS_SWEEP_BATCH = env_int("EWERS_SWEEP_BATCH", 500, minimum=1)
EWERS_SWEEP_REQUEUE_SECONDS = env_int("EWERS_SWEEP_REQUEUE_SECONDS", 600, minimum=1)
EWERS_ALERT_LEVEL = env.str("EWERS_ALERT_LEVEL", default="high").strip().lower()
if EWERS_ALERT_LEVEL not in {"moderate", "high", "critical"}:
    raise ImproperlyConfigured(f"EWERS_ALERT_LEVEL must be moderate, high or critical, got {EWERS_ALERT_LEVEL!r}.")
EWERS_ALERT_COOLDOWN_DAYS = env_float("EWERS_ALERT_COOLDOWN_DAYS", 7.0)
# Hours an organisation has to acknowledge an assignment, per alert level.
EWERS_ACK_HOURS = {
    "critical": env_float("EWERS_ACK_HOURS_CRITICAL", 1.0, minimum=0.01),
    "high": env_float("EWERS_ACK_HOURS_HIGH", 6.0, minimum=0.01),
    "moderate": env_float("EWERS_ACK_HOURS_MODERATE", 24.0, minimum=0.01),
}
# The address of this site, for the links in notification e-mails.
EWERS_SITE_URL = env.str("EWERS_SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# CSV import limits (page and API).
EWERS_IMPORT_MAX_BYTES = env_int("EWERS_IMPORT_MAX_BYTES", 2_000_000, minimum=1)
EWERS_IMPORT_MAX_ROWS = env_int("EWERS_IMPORT_MAX_ROWS", 5_000, minimum=1)
# Heatmap CSV export: a cell backed by fewer reports than this is left blank (do no harm).
EWERS_EXPORT_MIN_REPORTS = env_int("EWERS_EXPORT_MIN_REPORTS", 5, minimum=1)
# Boundary import (docs/boundaries.md): the largest GeoJSON file, and the simplification
# tolerance in degrees of the drawn outline per level: country, region, district, community.
EWERS_BOUNDARY_MAX_BYTES = env_int("EWERS_BOUNDARY_MAX_BYTES", 200_000_000, minimum=1)
# The admin upload is read in a web request: far lower; larger files go through the
# import_boundaries command.
EWERS_BOUNDARY_ADMIN_MAX_BYTES = env_int("EWERS_BOUNDARY_ADMIN_MAX_BYTES", 20_000_000, minimum=1)
try:
    EWERS_OUTLINE_TOLERANCE = dict(
        zip(
            ("country", "region", "district", "community"),
            map(float, env_list("EWERS_OUTLINE_TOLERANCE", default="0.02,0.01,0.005,0.001")),
            strict=True,
        )
    )
except ValueError:
    EWERS_OUTLINE_TOLERANCE = {}
if len(EWERS_OUTLINE_TOLERANCE) != 4 or not all(0 <= t < 1 for t in EWERS_OUTLINE_TOLERANCE.values()):
    raise ImproperlyConfigured(
        "EWERS_OUTLINE_TOLERANCE must be four numbers of degrees in 0..1 (country, region, district, community)."
    )
# Request bodies (API JSON, forms) above this answer 413; uploads go through the import limit.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2_621_440, minimum=1024)

# --- Caches -------------------------------------------------------------------------

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Authentication -----------------------------------------------------------------

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "ewers.auth.MemberBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 60 * 60, minimum=60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# --- HTTP security ------------------------------------------------------------------

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # The container's own health probe speaks plain HTTP on the loopback.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000, minimum=1)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# No inline scripts anywhere; the map layer (later) needs blob: workers and data: images.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "worker-src": ["'self'", "blob:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# --- Mail ---------------------------------------------------------------------------

EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="EWERS <ewers@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Internationalisation -----------------------------------------------------------

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ms", _("Malay"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Kuala_Lumpur")
USE_I18N = True
USE_TZ = True

# --- Static files -------------------------------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# plotly.js is served from the installed plotly package (no copy committed, no CDN):
# {% static "plotly/plotly.min.js" %}, and nothing else of that package (config/staticfiles.py).
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "config.staticfiles.PlotlyFinder",
]
# Development and tests serve files straight from the app folders; production from
# STATIC_ROOT after collectstatic.
WHITENOISE_USE_FINDERS = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- API ----------------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "ewers.auth.MemberTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # drf-spectacular's, plus the error answers each operation can give (ewers/api/schema.py).
    "DEFAULT_SCHEMA_CLASS": "ewers.api.schema.EwersAutoSchema",
    # ?page_size= up to 500 (API.md).
    "DEFAULT_PAGINATION_CLASS": "ewers.api.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    # JSON bodies are read with a size limit (413 beyond it); forms and uploads as usual.
    "DEFAULT_PARSER_CLASSES": [
        "ewers.api.parsers.LimitedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # Bad input is a 4xx with a message, never a 500 (413 for a body too large).
    "EXCEPTION_HANDLER": "ewers.api.exceptions.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "EWERS API",
    "DESCRIPTION": "Early Warning and Early Response System — REST API v1.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Served from the installed sidecar package: the product works with no internet.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One name per choice set, so that generated clients get stable enum names.
    "ENUM_NAME_OVERRIDES": {
        "RiskLevelEnum": "ewers.choices.RiskLevel",
        "RegionLevelEnum": "ewers.choices.RegionLevel",
        "AlertStateEnum": "alerts.choices.AlertState",
        "AssignmentStateEnum": "alerts.choices.AssignmentState",
    },
}

# --- Logging ------------------------------------------------------------------------

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ImproperlyConfigured(f"LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, got {LOG_LEVEL!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # axes announces itself at INFO on every start; its lockouts are WARNING.
        "axes": {"level": "WARNING"},
    },
}
