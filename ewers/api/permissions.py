"""The API's permission classes that every view gets (REST_FRAMEWORK's defaults)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from ewers.models import GatewayToken

if TYPE_CHECKING:  # DRF imports this module while rest_framework.views loads
    from rest_framework.request import Request
    from rest_framework.views import APIView

GATEWAY_REFUSED = _("A gateway token may only submit reports.")


class GatewayScope(BasePermission):
    """A gateway's named token reaches only the endpoints that accept gateways.

    The hook: a view (or viewset) lists the actions a gateway may take in
    ``gateway_actions`` — ``{"create", "batch"}`` on the reports, ``{"post"}`` (the
    HTTP method, lower case) on a plain ``APIView`` such as the coming SMS gateway
    (``POST /api/v1/gateways/sms/``). Everything else answers 403 to a gateway, whatever
    the account it acts for may do. Users' tokens and sessions are not concerned.
    """

    message = GATEWAY_REFUSED

    def has_permission(self, request: Request, view: APIView) -> bool:
        if not isinstance(request.auth, GatewayToken):
            return True
        allowed: frozenset[str] | set[str] = getattr(view, "gateway_actions", frozenset())
        action = getattr(view, "action", None) or (request.method or "").lower()
        return action in allowed
