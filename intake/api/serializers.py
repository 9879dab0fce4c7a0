"""The SMS gateway's request and answer (docs/sms.md)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from intake.choices import ReplyLanguage


class SmsMessageSerializer(serializers.Serializer[Any]):
    """``from`` is a Python keyword: the fields are declared in ``get_fields``."""

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        text = serializers.CharField(
            allow_blank=True,
            default="",
            trim_whitespace=False,
            help_text=_("The message as the sender typed it (docs/sms.md)."),
        )
        # The parser answers the sender about NUL and other control characters, in words.
        text.validators = []
        return {
            "from": serializers.CharField(
                max_length=64, help_text=_("The sender's number in international form: + and the country code first.")
            ),
            "text": text,
            "id": serializers.CharField(max_length=100, help_text=_("The gateway's id of the message.")),
            "received_at": serializers.DateTimeField(
                required=False, allow_null=True, help_text=_("When the gateway received it (ISO 8601).")
            ),
            "language": serializers.ChoiceField(
                choices=ReplyLanguage.choices,
                required=False,
                help_text=_(
                    "The reply's language for an unregistered number (en or ms; a registered one has its own)."
                ),
            ),
        }


class SmsAnswerSerializer(serializers.Serializer[Any]):
    reply = serializers.CharField(help_text=_("The text to send back to the sender."))
    status = serializers.ChoiceField(
        choices=[("received", "received"), ("triage", "triage"), ("refused", "refused")],
        help_text=_("received: a report; triage: queued for a coordinator; refused: nothing saved (see reply)."),
    )
    report = serializers.IntegerField(allow_null=True, help_text=_("The report's id when status is received."))
    triage = serializers.CharField(allow_null=True, help_text=_("The triage reference when status is triage."))
