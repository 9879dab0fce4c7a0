"""A gateway, a registered monitor's number and an unregistered one, on the test cast."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from rest_framework.test import APIClient

from ewers.models import GatewayToken
from ewers.services import gateway_token_issue
from intake.models import SenderNumber
from intake.services import sender_number_register

MONITOR_NUMBER = "+60123456789"
STRANGER_NUMBER = "+60198765432"
# What must never appear anywhere in clear: the digits after the country code.
CLEAR = ("123456789", "198765432")


@dataclass
class Sms:
    gateway: GatewayToken
    key: str
    number: SenderNumber

    def client(self, key: str | None = None) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key or self.key}")
        return client

    def send(self, text: str, *, sender: str = MONITOR_NUMBER, id: str = "m-1", **extra: Any) -> Any:
        return self.client().post(
            "/api/v1/gateways/sms/", {"from": sender, "text": text, "id": id, **extra}, format="json"
        )


@pytest.fixture
def sms(cast) -> Sms:
    gateway, key = gateway_token_issue(name="sms-gateway", user=cast.coordinator, actor=cast.admin)
    number = sender_number_register(user=cast.analyst, number=MONITOR_NUMBER, actor=cast.admin)
    return Sms(gateway=gateway, key=key, number=number)
