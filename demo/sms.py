"""The demo's SMS gateway and the monitors' registered numbers (API.md, "Demo logins")."""

from __future__ import annotations

from ewers.auth import gateway_token_digest
from ewers.models import GatewayToken, User
from ewers.services import gateway_token_issue
from intake.models import SenderNumber
from intake.phones import phone_normalise
from intake.senders import sender_digests
from intake.services import sender_number_register

# Published like the demo password (API.md): the demo is for DEBUG only.
DEMO_SMS_GATEWAY_TOKEN = "ewers-demo-sms-gateway"  # noqa: S105
DEMO_SMS_GATEWAY_NAME = "Demo SMS gateway"
# The account the gateway's token acts for (its reports by SMS are filed by the monitors).
DEMO_SMS_GATEWAY_USER = "sms.gateway"
# Fictional numbers of the demo's field monitors (username: number, reply language).
DEMO_MONITOR_NUMBERS = {"monitor.belia": ("+60123456789", "en")}


def seed_sms(users: dict[str, User]) -> GatewayToken:
    """The demo gateway with its published token, and the monitors' numbers. Safe to run again."""
    gateway = GatewayToken.objects.filter(digest=gateway_token_digest(DEMO_SMS_GATEWAY_TOKEN)).first()
    if gateway is None:
        gateway, _key = gateway_token_issue(
            name=DEMO_SMS_GATEWAY_NAME, user=users[DEMO_SMS_GATEWAY_USER], key=DEMO_SMS_GATEWAY_TOKEN
        )
    for username, (number, language) in DEMO_MONITOR_NUMBERS.items():
        normalised = phone_normalise(number)
        assert normalised is not None
        if not SenderNumber.objects.filter(digest__in=sender_digests(normalised)).exists():
            sender_number_register(user=users[username], number=number, language=language)
    return gateway
