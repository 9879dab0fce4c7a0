"""What the project is made of: apps, middleware, URLs, templates, the database, caches,
mail, languages, static files and logging."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.settings.environment import (
    BASE_DIR,
    DEBUG,
    REDIS_CONNECT_TIMEOUT,
    REDIS_SOCKET_TIMEOUT,
    REDIS_URL,
    env,
    env_bool,
    env_int,
)

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
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "simple_history",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "axes",
    "csp",
    "ewers",
    "indicators",
    "alerts",
    "intake",
    "learning",
    "training",
    "analytics",
    "audit",
    "retention",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # A view that meets an unreachable database answers 503 with Retry-After, not 500.
    "ewers.middleware.DatabaseUnavailableMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # allauth's sign-in stages (password, then the second factor).
    "allauth.account.middleware.AccountMiddleware",
    # A signed-in user's pages in the language they chose (after authentication).
    "ewers.middleware.UserLanguageMiddleware",
    # Coordinators and administrators without a second factor reach only its enrolment.
    "ewers.middleware.SecondFactorRequiredMiddleware",
    # Nothing a signed-in user is shown is kept by a browser or proxy cache.
    "ewers.middleware.NoStoreMiddleware",
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
                "config.context_processors.offline_app",
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
# A kept connection that a database cut broke is replaced at the next request instead of
# failing it: the site is back the moment the database is.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Every wait on PostgreSQL is bounded, so that a request meets an unreachable or stuck
# database with a 503 in seconds instead of holding its web worker (docs/operations.md):
# the connection attempt, each statement (server side), and the network (client side: a
# partition leaves no server to cancel the statement, so unanswered packets and a silent
# peer are given up on after DATABASE_NETWORK_TIMEOUT).
DATABASE_CONNECT_TIMEOUT = env_int("DATABASE_CONNECT_TIMEOUT", 5, minimum=2)  # libpq's least is 2
DATABASE_STATEMENT_TIMEOUT = env_int("DATABASE_STATEMENT_TIMEOUT", 20)  # 0: none (long migrations)
DATABASE_NETWORK_TIMEOUT = env_int("DATABASE_NETWORK_TIMEOUT", 10, minimum=3)
# The Retry-After of the 503 a request gets while the database is unreachable.
EWERS_RETRY_AFTER_SECONDS = env_int("EWERS_RETRY_AFTER_SECONDS", 10, minimum=1)
# The longest /healthz waits for each of the database and Redis (a probe must answer
# within a load balancer's timeout, also during a partition).
EWERS_HEALTH_TIMEOUT = env_int("EWERS_HEALTH_TIMEOUT", 2, minimum=1)
# After a connection attempt waited its whole timeout in vain, the others of the process
# fail at once for this long (ewers.db.postgresql); 0: every request waits its own.
DATABASE_FAIL_FAST_SECONDS = env_int("DATABASE_FAIL_FAST_SECONDS", 3)
# After its first request, a web process moves the objects it has loaded (Django, the apps,
# templates) out of the garbage collector's full collections (ewers/runtime.py): they cost
# 100-200 ms each, every few heatmap answers, otherwise.
EWERS_GC_FREEZE = env_bool("EWERS_GC_FREEZE", True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["ENGINE"] = "ewers.db.postgresql"
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options.setdefault("connect_timeout", DATABASE_CONNECT_TIMEOUT)
    if DATABASE_STATEMENT_TIMEOUT:
        _server = f"-c statement_timeout={DATABASE_STATEMENT_TIMEOUT * 1000}"
        _options["options"] = f"{_options.get('options', '')} {_server}".strip()
    _options.setdefault("tcp_user_timeout", DATABASE_NETWORK_TIMEOUT * 1000)
    # An idle connection (waiting for a reply) is probed after a third of the time, then
    # given up on after three unanswered probes.
    _options.setdefault("keepalives", 1)
    _options.setdefault("keepalives_idle", DATABASE_NETWORK_TIMEOUT // 3)
    _options.setdefault("keepalives_interval", max(1, DATABASE_NETWORK_TIMEOUT // 4))
    _options.setdefault("keepalives_count", 3)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded demo: tolerate the web server and a seeding command writing at once.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# django-rest-knox's own token model is swapped for ewers.ApiToken (KNOX_TOKEN_MODEL), but
# its migrations would still create the unused knox_authtoken table, which references
# users and so blocks emptying the database (flush, transactional tests): they are skipped.
MIGRATION_MODULES = {"knox": None}

AUTH_USER_MODEL = "ewers.User"


# --- Caches -------------------------------------------------------------------------

if REDIS_URL:
    CACHES = {
        "default": {
            # Redis away: misses, not errors (ewers.cache).
            "BACKEND": "ewers.cache.FailOpenRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": REDIS_CONNECT_TIMEOUT, "socket_timeout": REDIS_SOCKET_TIMEOUT},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


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
