"""POST /api/v1/gateways/sms/: reports from registered numbers, triage for the others, the
replies, authentication and signatures, resends, floods and bad input."""

from __future__ import annotations

import json
import logging
import time

import pytest
from django.test import override_settings

from audit.models import AuditEvent
from ewers.auth import gateway_signature
from ewers.services import api_token_issue, gateway_token_issue, gateway_token_sign, gateway_tokens_revoke
from indicators.models import FieldReport
from intake import syntax
from intake.models import TriageItem
from intake.services import sender_number_register
from tests.intake.conftest import CLEAR, MONITOR_NUMBER, STRANGER_NUMBER, Sms

pytestmark = pytest.mark.django_db
URL = "/api/v1/gateways/sms/"


def test_it_makes_a_report_by_the_registered_monitor_and_says_which(cast, sms):
    response = sms.send("t111 P01 3 b2 Leaflets at the market", received_at="2026-01-01T10:00:00+08:00")
    assert response.status_code == 200, response.content
    report = FieldReport.objects.get()
    assert response.json() == {
        "reply": f"Received as report {report.pk}. Thank you.",
        "status": "received",
        "report": report.pk,
        "triage": None,
    }
    assert (report.created_by, report.community, report.grading, report.narrative) == (
        cast.analyst,
        cast.places["c1"],
        "B2",
        "Leaflets at the market",
    )
    assert [(r.indicator.code, r.value) for r in report.readings.all()] == [("P01", 3.0)]
    assert report.observed_at.isoformat() == "2026-01-01T02:00:00+00:00"


def test_it_takes_form_encoded_messages_too(sms):
    response = sms.client().post(URL, {"from": MONITOR_NUMBER, "text": "T-1-1-1 P01 2 A1", "id": "f-1"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "received"


def test_it_answers_a_monitor_in_their_language(cast, sms):
    sms.number.language = "ms"
    sms.number.save()
    body = sms.send("T111 P01 3 B2").json()
    assert body["reply"] == f"Diterima sebagai laporan {body['report']}. Terima kasih."
    assert sms.send("T199 P01 3 B2", id="m-2").json()["reply"] == "Tidak disimpan: Komuniti T199 tidak dikenali."


def test_the_same_message_id_twice_makes_one_report(cast, sms):
    first = sms.send("T111 P01 3 B2 first", id="dup-1").json()
    again = sms.send("T111 P01 3 B2 first", id="dup-1").json()
    assert first == again and first["status"] == "received"
    assert FieldReport.objects.count() == 1
    # Another gateway's message of the same id is another message.
    _other, key = gateway_token_issue(name="second-gateway", user=cast.coordinator, actor=cast.admin)
    other = Sms(gateway=_other, key=key, number=sms.number)
    assert other.send("T111 P01 3 B2 first", id="dup-1").json()["report"] != first["report"]
    assert FieldReport.objects.count() == 2


def test_a_message_id_reused_for_another_message_is_refused(sms):
    sms.send("T111 P01 3 B2", id="dup-1")
    response = sms.send("T111 P01 1 B2", id="dup-1")
    assert response.status_code == 422
    assert FieldReport.objects.count() == 1


def test_an_unregistered_number_goes_to_triage_once_in_its_language(cast, sms):
    body = sms.send("T111 P01 4 C3 someone said", sender=STRANGER_NUMBER, id="u-1", language="ms").json()
    item = TriageItem.objects.get()
    assert body == {
        "reply": f"Diterima sebagai mesej T{item.pk}; seorang penyelaras akan menyemaknya. Terima kasih.",
        "status": "triage",
        "report": None,
        "triage": f"T{item.pk}",
    }
    assert (item.community, item.readings, item.grading, item.sender_masked) == (
        cast.places["c1"],
        [["P01", 4.0]],
        "C3",
        "+60 1•• ••• •432",
    )
    assert sms.send("T111 P01 4 C3 someone said", sender=STRANGER_NUMBER, id="u-1").json()["triage"] == f"T{item.pk}"
    assert TriageItem.objects.count() == 1 and FieldReport.objects.count() == 0
    assert sms.send("T111 P01 1 C3", sender=STRANGER_NUMBER, id="u-1").status_code == 422


def test_a_community_outside_the_monitors_coverage_is_unknown_to_them(cast, sms):
    body = sms.send("U111 P01 3 B2").json()
    assert body == {"reply": "Not saved: Unknown community U111.", "status": "refused", "report": None, "triage": None}
    # From an unregistered number every community is known: its coordinators decide.
    assert sms.send("U111 P01 3 B2", sender=STRANGER_NUMBER).json()["status"] == "triage"


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        ("", "Not saved: Empty message. Send: COMMUNITY INDICATOR VALUE ... GRADE, e.g. HM010102 P03 4 A2"),
        ("T111 P01 3 B2 " + "x" * 10_000, "Not saved: Message too long: at most 1600 characters."),
        ("T111 P01 3 B2 nul\x00", "Not saved: " + syntax.CONTROL),
        ("T111 P09 3 B2", "Not saved: Unknown indicator P09."),
        ("T111 P01 7 B2", "Not saved: P01 takes values from 0 to 4, not 7."),
        ("T111 P01 3 H2", "Not saved: Grade H2 is off the Admiralty scale: a letter A-F and a digit 1-6, e.g. B2."),
        ("T111 P01 3 B9", "Not saved: Grade B9 is off the Admiralty scale: a letter A-F and a digit 1-6, e.g. B2."),
        ("T111 P01 3", "Not saved: Add the source grade after the readings: a letter A-F and a digit 1-6, e.g. B2."),
        ("HM0199 P01 3 B2", "Not saved: Unknown community HM0199."),
    ],
)
@pytest.mark.parametrize("sender", [MONITOR_NUMBER, STRANGER_NUMBER])
def test_bad_input_gets_a_reply_saying_what_is_wrong_and_saves_nothing(sms, text, reply, sender):
    audited = AuditEvent.objects.count()
    response = sms.send(text, sender=sender)
    assert response.status_code == 200, response.content
    assert response.json() == {"reply": reply, "status": "refused", "report": None, "triage": None}
    assert FieldReport.objects.count() == TriageItem.objects.count() == 0
    assert AuditEvent.objects.count() == audited


def test_a_short_code_that_names_two_communities_asks_for_the_full_code(cast, sms):
    from ewers.services import region_upsert

    region_upsert(code="T-1-11", name="Look-alike", level="community", parent=cast.places["district"])
    cast.lab.coverage.add(cast.places["district"])
    body = sms.send("T111 P01 3 B2").json()
    assert body["status"] == "refused" and body["reply"].startswith("Not saved: T111 names several communities")
    assert FieldReport.objects.count() == 0
    # The full code names one of them exactly.
    report = FieldReport.objects.get(pk=sms.send("t-1-1-1 P01 3 B2", id="m-2").json()["report"])
    assert report.community == cast.places["c1"]


def test_a_time_in_the_future_is_refused_in_words(sms):
    body = sms.send("T111 P01 3 B2", received_at="2099-01-01T00:00:00Z").json()
    assert body["status"] == "refused" and "future" in body["reply"]
    assert FieldReport.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"text": "T111 P01 3 B2", "id": "x"}, "from"),
        ({"from": "0123456789", "text": "T111 P01 3 B2", "id": "x"}, "from"),
        ({"from": "+60 not a number", "text": "T111 P01 3 B2", "id": "x"}, "from"),
        ({"from": MONITOR_NUMBER, "text": "T111 P01 3 B2"}, "id"),
        ({"from": MONITOR_NUMBER, "text": "T111 P01 3 B2", "id": "a\x00b"}, "id"),
        ({"from": MONITOR_NUMBER, "text": "T111 P01 3 B2", "id": "x", "received_at": "yesterday"}, "received_at"),
    ],
)
def test_a_malformed_gateway_request_is_a_400_naming_the_field(sms, body, field):
    response = sms.client().post(URL, body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert FieldReport.objects.count() == TriageItem.objects.count() == 0


def test_malformed_json_and_wrong_content_types_are_4xx(sms):
    client = sms.client()
    assert client.post(URL, "{not json", content_type="application/json").status_code == 400
    assert client.post(URL, "from=x", content_type="text/plain").status_code == 415


# --- Authentication ---------------------------------------------------------------------


def test_it_refuses_a_missing_wrong_or_revoked_token(cast, sms):
    from rest_framework.test import APIClient

    body = {"from": MONITOR_NUMBER, "text": "T111 P01 3 B2", "id": "a-1"}
    assert APIClient().post(URL, body, format="json").status_code == 401
    assert sms.client("ewgw_not-a-token").post(URL, body, format="json").status_code == 401
    gateway_tokens_revoke(tokens=[sms.gateway], actor=cast.admin)
    response = sms.client().post(URL, body, format="json")
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]
    assert FieldReport.objects.count() == 0


def test_users_tokens_and_sessions_may_not_post_messages(cast, sms, client):
    from rest_framework.test import APIClient

    body = {"from": MONITOR_NUMBER, "text": "T111 P01 3 B2", "id": "a-1"}
    user_client = APIClient()
    user_client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(user=cast.analyst)[1]}")
    assert user_client.post(URL, body, format="json").status_code == 403
    client.force_login(cast.analyst)
    assert client.post(URL, body, content_type="application/json").status_code == 403
    assert FieldReport.objects.count() == 0


def test_the_gateway_token_reaches_nothing_else(sms):
    assert sms.client().get("/api/v1/reports/").status_code == 403


def _signed_post(sms, body: bytes, *, secret: str, timestamp: str | None = None, signature: str | None = None):
    timestamp = timestamp or str(int(time.time()))
    headers = {"HTTP_X_EWERS_TIMESTAMP": timestamp}
    headers["HTTP_X_EWERS_SIGNATURE"] = signature or gateway_signature(secret, timestamp, body)
    return sms.client().post(URL, body, content_type="application/json", **headers)


def test_a_signing_gateway_must_sign_each_request(cast, sms):
    secret = gateway_token_sign(token=sms.gateway, actor=cast.admin)
    body = json.dumps({"from": MONITOR_NUMBER, "text": "T111 P01 3 B2", "id": "s-1"}).encode()
    # Unsigned, wrongly signed, signed for another body, stale: 401, nothing saved.
    assert sms.client().post(URL, body, content_type="application/json").status_code == 401
    assert _signed_post(sms, body, secret=secret, signature="sha256=" + "0" * 64).status_code == 401
    assert _signed_post(sms, body, secret="another-secret").status_code == 401
    other = body.replace(b"P01 3", b"P01 4")
    assert _signed_post(sms, other, secret=secret, signature=gateway_signature(secret, "1", body)).status_code == 401
    stale = str(int(time.time()) - 3600)
    assert _signed_post(sms, body, secret=secret, timestamp=stale).status_code == 401
    assert _signed_post(sms, body, secret=secret, timestamp="soon").status_code == 401
    assert FieldReport.objects.count() == 0
    response = _signed_post(sms, body, secret=secret)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "received"


# --- Floods --------------------------------------------------------------------------------


@override_settings(
    REST_FRAMEWORK={
        **__import__("django.conf", fromlist=["settings"]).settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **__import__("django.conf", fromlist=["settings"]).settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "sms_sender": "3/min",
        },
    }
)
def test_a_flood_from_one_number_is_cut_off_and_told_so(sms):
    for n in range(3):
        assert sms.send("T111 P01 3 B2", id=f"f-{n}").status_code == 200
    response = sms.send("T111 P01 3 B2", id="f-3", language="ms")
    assert response.status_code == 429
    assert response.json()["reply"].startswith("Terlalu banyak mesej dari nombor ini")
    assert "Retry-After" in response
    # Another number through the same gateway is not held back.
    assert sms.send("T111 P01 3 B2", sender=STRANGER_NUMBER, id="f-4").status_code == 200
    # Counted by the number's keyed hash, never by the number.
    from django.core.cache import cache

    keys = [key for key in cache._cache if "sms_sender" in key]  # LocMemCache (config/settings_test.py)
    assert len(keys) == 2 and not any(digits in key for key in keys for digits in CLEAR)


# --- The number is never in clear ------------------------------------------------------


def test_the_number_is_never_written_in_clear(cast, sms, caplog):
    caplog.set_level(logging.DEBUG)
    sms.send("T111 P01 3 B2", id="c-1")
    sms.send("T111 P01 3 B2", sender=STRANGER_NUMBER, id="c-2")
    sms.send("T111 P09 3 B2", sender=STRANGER_NUMBER, id="c-3")
    sms.client().post(URL, {"from": "+60 19876543x", "text": "", "id": "c-4"}, format="json")
    for digits in CLEAR:
        assert digits not in caplog.text
        for row in AuditEvent.objects.values():
            assert digits not in json.dumps(row, default=str)
        for row in TriageItem.objects.values():
            assert digits not in json.dumps(row, default=str)
    from intake.models import SenderNumber

    assert list(SenderNumber.objects.values_list("masked", flat=True)) == ["+60 1•• ••• •789"]


def test_a_number_is_registered_once_and_only_for_someone_who_reports(cast, sms):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        sender_number_register(user=cast.coordinator, number="0060 12 345 6789")
    with pytest.raises(ValidationError):
        sender_number_register(user=cast.cso_user, number="+60111111111")
    with pytest.raises(ValidationError) as caught:
        sender_number_register(user=cast.analyst, number="not-a-number 98711")
    assert "98711" not in str(caught.value)


def test_a_number_whose_monitor_may_no_longer_report_goes_to_triage(cast, sms):
    cast.analyst.is_active = False
    cast.analyst.save()
    assert sms.send("T111 P01 3 B2").json()["status"] == "triage"
    assert FieldReport.objects.count() == 0
