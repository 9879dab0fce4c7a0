"""The REST API: authentication, permissions, pagination, parsers, errors and the schema."""

from __future__ import annotations

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
