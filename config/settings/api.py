"""The REST API: authentication, permissions, pagination, parsers, errors and the schema."""

from __future__ import annotations

from datetime import timedelta

from config.settings.environment import env_int

# --- API ----------------------------------------------------------------------------

# Hours an API token lives after its sign-in (API.md); gateways use named tokens instead.
EWERS_TOKEN_TTL_HOURS = env_int("EWERS_TOKEN_TTL_HOURS", 12, minimum=1)


def _rate(name: str, default: int) -> str:
    """A throttle rate of ``default`` requests a minute, from EWERS_THROTTLE_<NAME>."""
    return f"{env_int(f'EWERS_THROTTLE_{name.upper()}', default, minimum=1)}/min"


REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # A gateway's named token first (looked up by its digest), then a user's token.
        "ewers.auth.GatewayTokenAuthentication",
        "ewers.auth.MemberTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # A gateway's token reaches only the endpoints that name it (ewers.api.permissions).
    "DEFAULT_PERMISSION_CLASSES": [
        # The request limits first, so that refused requests count too.
        "ewers.api.throttling.ThrottleFirst",
        "rest_framework.permissions.IsAuthenticated",
        "ewers.api.permissions.GatewayScope",
    ],
    # Per signed-in user, per anonymous address; views add tighter scopes (ewers.api.throttling).
    "DEFAULT_THROTTLE_CLASSES": [
        "ewers.api.throttling.AnonymousRateThrottle",
        "ewers.api.throttling.UserRateThrottle",
        "ewers.api.throttling.ScopedThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": _rate("anon", 60),
        "user": _rate("user", 600),
        "sign_in": _rate("sign_in", 10),
        "import": _rate("import", 10),
        "export": _rate("export", 20),
        "heatmap": _rate("heatmap", 60),
        # Messages from one phone number through the SMS gateway (keyed by its hash).
        "sms_sender": _rate("sms_sender", 10),
    },
    # drf-spectacular's, plus the error answers each operation can give (ewers/api/schema.py).
    "DEFAULT_SCHEMA_CLASS": "ewers.api.schema.EwersAutoSchema",
    # ?page_size= up to 100 (API.md).
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
    # The schema and the docs are for signed-in users (API.md).
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
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

# Tokens of signed-in users (django-rest-knox): stored as digests, expiring, one per sign-in.
# ewers.ApiToken adds the fingerprint of the password they were issued under.
KNOX_TOKEN_MODEL = "ewers.ApiToken"  # noqa: S105 - a model name, no secret
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=EWERS_TOKEN_TTL_HOURS),
    "AUTO_REFRESH": False,
    "AUTH_HEADER_PREFIX": "Token",
}
