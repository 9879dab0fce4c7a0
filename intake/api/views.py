"""``POST /api/v1/gateways/sms/``: a message an SMS gateway received (docs/sms.md).

Thin: the gateway's named token (and its signature, where it has a signing secret) is
checked by ``ewers.auth``; the message goes to ``intake.services.sms_receive``. Every
message the gateway delivers well-formed answers 200 with the text to send back, also when
the message itself is refused (``status: refused``: the reply says what was wrong and
nothing was saved); a malformed gateway request is a 400 with field messages.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from ewers.api.parsers import LimitedJSONParser
from ewers.api.throttling import CountedThrottle
from ewers.models import GatewayToken
from intake import replies
from intake.api.serializers import SmsAnswerSerializer, SmsMessageSerializer
from intake.permissions import ONLY_GATEWAYS
from intake.phones import phone_normalise
from intake.senders import sender_digest
from intake.services import sms_receive


class IsGateway(BasePermission):
    """Only a gateway's named token: a user's token or session is refused (403)."""

    message = ONLY_GATEWAYS

    def has_permission(self, request: Request, view: APIView) -> bool:
        return isinstance(request.auth, GatewayToken)


class SenderRateThrottle(CountedThrottle):
    """A flood from one number is cut off, whatever gateway relays it: counted per keyed
    hash of the number (never the number itself)."""

    scope = "sms_sender"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        data = request.data
        raw = data.get("from") if hasattr(data, "get") else None
        number = phone_normalise(raw) if isinstance(raw, str) else None
        if number is None:
            return None  # refused by the view (400)
        return self.cache_format % {"scope": self.scope, "ident": sender_digest(number)}


class SmsGatewayView(APIView):
    parser_classes = [LimitedJSONParser, FormParser, MultiPartParser]
    # What a gateway's named token may do here (ewers.api.permissions.GatewayScope).
    gateway_actions = frozenset({"post"})

    def get_permissions(self) -> list[BasePermission]:
        return [*super().get_permissions(), IsGateway()]  # type: ignore[list-item]

    def get_throttles(self) -> list[BaseThrottle]:
        return [*super().get_throttles(), SenderRateThrottle()]

    def handle_exception(self, exc: Exception) -> Response:
        response = super().handle_exception(exc)
        if isinstance(exc, exceptions.Throttled) and isinstance(response.data, dict):
            data = self.request.data if hasattr(self.request.data, "get") else {}
            language = replies.language_of(data.get("language") if isinstance(data.get("language"), str) else None)
            response.data["reply"] = replies.reply_text(
                replies.THROTTLED, language, seconds=int(response.get("Retry-After") or 60)
            )
        return response

    @extend_schema(
        summary="A message an SMS gateway received; answers the text to reply to the sender.",
        description=(
            "Form-encoded or JSON. Authenticated by a gateway's named token (`Authorization: Token <key>`); "
            "a gateway with a signing secret also sends `X-EWERS-Timestamp` and `X-EWERS-Signature` "
            "(docs/sms.md). The same `id` twice makes one report. A refused message answers 200 with "
            "`status: refused` and a `reply` saying what was wrong; nothing is saved."
        ),
        request=SmsMessageSerializer,
        responses={
            200: SmsAnswerSerializer,
            400: OpenApiResponse(description="A malformed gateway request: {field: [message]}."),
            401: OpenApiResponse(description="No, a wrong or a revoked token, or a bad signature."),
            403: OpenApiResponse(description="Not a gateway's token."),
            409: OpenApiResponse(description="The first copy of this message is still being saved."),
            422: OpenApiResponse(description="This message id was used for another message."),
            429: OpenApiResponse(description="Too many messages from this number (or this gateway)."),
        },
        examples=[
            OpenApiExample(
                "A report by SMS",
                request_only=True,
                value={"from": "+60111222333", "text": "HM030102 P03 2 A2 leaflets at the market", "id": "msg-1"},
            )
        ],
    )
    def post(self, request: Request) -> Response:
        serializer = SmsMessageSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data: dict[str, Any] = serializer.validated_data
        gateway = request.auth
        assert isinstance(gateway, GatewayToken)  # IsGateway
        answer = sms_receive(
            gateway=gateway,
            sender=data["from"],
            text=data.get("text") or "",
            message_id=data["id"],
            received_at=data.get("received_at"),
            language=data.get("language"),
        )
        return Response(
            SmsAnswerSerializer(
                {"reply": answer.reply, "status": answer.status, "report": answer.report, "triage": answer.triage}
            ).data
        )
