"""The OpenAPI schema's error answers (API.md's error contract), added to every operation.

drf-spectacular documents only the success answer unless a view says more; the API also
answers 400, 401, 403, 404, 413, 415 and 429 where the request can cause them, and 503
anywhere while the database cannot be reached. This schema
class adds each of those an operation can give and does not already document, with its
body: ``{"detail": message}``, or for 400 the messages by field. A view that declares
an error answer (409 for a state change, say) with only a description gets its body too.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ComponentRegistry
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

# Query parameters whose bad values are ignored (page_size) or answered 404 (page).
PAGINATION_PARAMETERS = {"page", "page_size"}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class ErrorSerializer(serializers.Serializer[Any]):
    """An error with one message."""

    detail = serializers.CharField()


ERROR_RESPONSES = {
    "400": OpenApiResponse(
        OpenApiTypes.OBJECT,
        description=_("Bad input: messages by field ({field: [message, ...]}) or {detail: message}."),
    ),
    "401": OpenApiResponse(ErrorSerializer, description=_("No valid token or session.")),
    "403": OpenApiResponse(ErrorSerializer, description=_("Not allowed (or a session request without CSRF token).")),
    "404": OpenApiResponse(ErrorSerializer, description=_("Not found, or outside what the user may see.")),
    "413": OpenApiResponse(ErrorSerializer, description=_("The body is too large.")),
    "415": OpenApiResponse(ErrorSerializer, description=_("A content type the operation does not read.")),
    "429": OpenApiResponse(ErrorSerializer, description=_("Throttled: too many requests (see Retry-After).")),
    # Only where a view declares it: a state change its object's current state does not allow.
    "409": OpenApiResponse(ErrorSerializer, description=_("Not allowed from the object's current state.")),
    # Only where a view declares it: an Idempotency-Key sent again with another body.
    "422": OpenApiResponse(ErrorSerializer, description=_("The Idempotency-Key was used for a different request.")),
    "503": OpenApiResponse(
        ErrorSerializer,
        description=_("The database cannot be reached just now: send the request again after Retry-After seconds."),
    ),
}


class EwersAutoSchema(AutoSchema):
    def get_operation(
        self, path: str, path_regex: str, path_prefix: str, method: str, registry: ComponentRegistry
    ) -> dict[str, Any] | None:
        operation: dict[str, Any] | None = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        responses = operation["responses"]
        declared = [code for code in responses if code in ERROR_RESPONSES]
        for code in dict.fromkeys([*self._error_codes(operation), *declared]):
            default = self._get_response_for_code(ERROR_RESPONSES[code], code)  # type: ignore[no-untyped-call]
            if code not in responses:
                responses[code] = default
            elif "content" not in responses[code] and "content" in default:
                # A view's own description of the error, with the body every error has.
                responses[code]["content"] = default["content"]
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _error_codes(self, operation: dict[str, Any]) -> list[str]:
        parameters = operation.get("parameters", [])
        has_body = "requestBody" in operation
        codes = []
        if has_body or any(p["in"] == "query" and p["name"] not in PAGINATION_PARAMETERS for p in parameters):
            codes.append("400")
        if self.view.authentication_classes:
            # A wrong or expired token is refused even where no sign-in is needed.
            codes.append("401")
        if self.method not in SAFE_METHODS:
            # Role permissions, and SessionAuthentication's CSRF check.
            codes.append("403")
        if any(p["in"] == "path" or p["name"] == "page" for p in parameters):
            codes.append("404")
        if has_body:
            codes += ["413", "415"]
        # Every request counts towards a limit (ewers.api.throttling).
        codes.append("429")
        # Any operation, while the database is unreachable (ewers.middleware).
        codes.append("503")
        return codes


class MemberTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    """A user's token from ``POST /api/v1/auth/token/``, as ``Authorization: Token <key>``."""

    target_class = "ewers.auth.MemberTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": _("A user's token: `Token <key>`, from POST /api/v1/auth/token/."),
        }


class GatewayTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    """A gateway's named token (issued in the admin), as ``Authorization: Token <key>``."""

    target_class = "ewers.auth.GatewayTokenAuthentication"
    name = "gatewayTokenAuth"

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": _("A gateway's named token: `Token <key>`; it may only submit reports."),
        }
