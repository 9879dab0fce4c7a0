"""README's SMS example, word for word, on a freshly seeded demo: the demo gateway's token,
monitor.belia's registered number, the replies README shows."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from demo.seed import seed_demo
from demo.sms import DEMO_SMS_GATEWAY_TOKEN
from indicators.models import FieldReport
from intake.models import SenderNumber, TriageItem

pytestmark = pytest.mark.django_db
README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def _readme_sms_example() -> tuple[str, dict[str, str], str, dict[str, str], str]:
    """The JSON message and reply, then the form-encoded message and reply, as README shows them."""
    section = README[README.index("**Reports by SMS.**") :]
    block = section[section.index("```sh") : section.index("```", section.index("```sh") + 5)]
    json_body = re.search(r"-d '(\{.*\})'", block)
    form = dict(re.findall(r"--data-urlencode '(\w+)=([^']*)'", block))
    replies = re.findall(r"^# (\{.*\})$", block, flags=re.M)
    token = re.search(r"Authorization: Token ([\w-]+)", block)
    assert json_body and token and len(replies) == 2 and form
    return token.group(1), json.loads(json_body.group(1)), replies[0], form, replies[1]


def test_readmes_sms_example_works_on_the_demo(settings):
    settings.DEBUG = True
    seed_demo()
    token, message, first_reply, form, second_reply = _readme_sms_example()
    assert token == DEMO_SMS_GATEWAY_TOKEN
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    answer = client.post("/api/v1/gateways/sms/", message, format="json")
    assert answer.status_code == 200, answer.content
    report = FieldReport.objects.get(pk=answer.json()["report"])
    # README's report number is an example: the shape and the text are not.
    assert re.sub(r"\d+", "N", json.dumps(answer.json())) == re.sub(r"\d+", "N", first_reply)
    assert report.created_by.username == "monitor.belia" and report.community.code == "HM-03-01-02"
    again = client.post("/api/v1/gateways/sms/", message, format="json")
    assert again.json() == answer.json()
    refused = client.post("/api/v1/gateways/sms/", form)
    assert refused.status_code == 200 and refused.json() == json.loads(second_reply)
    # A number nobody registered: the coordinator's triage queue.
    stranger = client.post("/api/v1/gateways/sms/", {**message, "from": "+60198765432", "id": "x"}, format="json")
    assert stranger.json()["status"] == "triage"
    assert TriageItem.objects.get().sender_masked == "+60 1•• ••• •432"
    # Seeding again changes nothing of the gateway or the numbers.
    seed_demo()
    assert list(SenderNumber.objects.values_list("user__username", "masked")) == [("monitor.belia", "+60 1•• ••• •789")]
