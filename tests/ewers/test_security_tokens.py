"""API tokens and gateway tokens (issue 12; API.md "Authentication"): a new token per
sign-in, stored as a digest, expiring, revoked by sign-out, a password change and a
deactivation; a second factor where the user has one; gateways' named tokens issued and
revoked by administrators, limited to submitting reports."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from knox.settings import CONSTANTS
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.test import APIClient

from audit.models import AuditEvent
from ewers.auth import MemberTokenAuthentication
from ewers.models import ApiToken, GatewayToken
from ewers.services import gateway_token_issue, user_password_set, user_upsert
from tests import factories

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token/"


def sign_in(username: str, password: str = factories.PASSWORD, otp: str | None = None, **extra):
    body = {"username": username, "password": password} | ({"otp": otp} if otp is not None else {})
    return APIClient(**extra).post(TOKEN, body, format="json")


def me(key: str) -> int:
    return APIClient(HTTP_AUTHORIZATION=f"Token {key}").get("/api/v1/me/").status_code


def report_body(cast) -> dict[str, object]:
    return {
        "community": cast.places["c1"].code,
        "observed_at": (timezone.now() - timedelta(hours=1)).isoformat(),
        "readings": [{"indicator": cast.indicator.code, "value": 2}],
        "source_reliability": "B",
        "information_credibility": 2,
        "narrative": "From the gateway.",
    }


def test_a_sign_in_answers_a_new_expiring_token_stored_as_a_digest(cast, settings):
    first = sign_in("ana")
    assert first.status_code == 200
    body = first.json()
    assert set(body) == {"token", "expires_at"}
    expires = parse_datetime(body["expires_at"])
    expected = timezone.now() + timedelta(hours=settings.EWERS_TOKEN_TTL_HOURS)
    assert abs((expires - expected).total_seconds()) < 60
    assert "no-store" in first["Cache-Control"]
    second = sign_in("ana").json()["token"]
    assert second != body["token"]
    assert ApiToken.objects.filter(user=cast.analyst).count() == 2
    # Only digests are kept: no column holds the key.
    for token in ApiToken.objects.all():
        assert body["token"] not in {token.digest, token.token_key, token.password_fingerprint}
    assert me(body["token"]) == 200 and me(second) == 200


def test_an_expired_token_is_refused(cast):
    key = sign_in("ana").json()["token"]
    ApiToken.objects.update(expiry=timezone.now() - timedelta(seconds=1))
    assert me(key) == 401


def test_an_expired_token_sent_is_deleted_and_others_wait_for_the_sweep(cast):
    fresh, stale = sign_in("ana").json()["token"], sign_in("ana").json()["token"]
    expired = timezone.now() - timedelta(seconds=1)
    ApiToken.objects.filter(token_key=stale[: CONSTANTS.TOKEN_KEY_LENGTH]).update(expiry=expired)
    other = sign_in("ana").json()["token"]
    ApiToken.objects.filter(token_key=other[: CONSTANTS.TOKEN_KEY_LENGTH]).update(expiry=expired)
    # A request with a valid token leaves the other expired ones to api_tokens_clear...
    assert me(fresh) == 200
    assert ApiToken.objects.filter(user=cast.analyst).count() == 3
    # ...and each is refused (and deleted) when sent.
    assert me(stale) == 401
    assert me(other) == 401
    assert me(fresh) == 200
    assert ApiToken.objects.filter(user=cast.analyst).count() == 1


def test_it_authenticates_a_users_token_in_one_query(cast, django_assert_num_queries):
    key = sign_in("ana").json()["token"]
    with django_assert_num_queries(1):
        user, token = MemberTokenAuthentication().authenticate_credentials(key.encode())
        # The organisation, which the membership check reads, came with it.
        assert user.organisation.is_active
    assert user == cast.analyst and token.user_id == cast.analyst.pk
    with pytest.raises(AuthenticationFailed):
        wrong = key[:-1] + ("1" if key.endswith("0") else "0")
        MemberTokenAuthentication().authenticate_credentials(wrong.encode())


def _columns(instance):
    return (
        None if instance is None else {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}
    )


def test_the_token_read_is_the_querysets(cast):
    """The token, its user and the user's organisation, as the ORM reads them (PostgreSQL:
    a plain statement of their own), with and without an organisation."""
    from ewers.auth import api_tokens_named

    key = sign_in("ana").json()["token"]
    loner = factories.make_user("loner", cast.lab)  # a bootstrap superuser: in no organisation
    loner.organisation, loner.is_superuser = None, True
    loner.save(update_fields=["organisation", "is_superuser"])
    issued, _key = ApiToken.objects.create(user=loner, expiry=None)
    for token_key in (key[: CONSTANTS.TOKEN_KEY_LENGTH], issued.token_key):
        [read] = api_tokens_named(token_key)
        [orm] = ApiToken.objects.filter(token_key=token_key).select_related("user__organisation")
        assert _columns(read) == _columns(orm)
        assert _columns(read.user) == _columns(orm.user)
        assert _columns(read.user.organisation) == _columns(orm.user.organisation)
    assert api_tokens_named("0" * CONSTANTS.TOKEN_KEY_LENGTH) == []


def test_signing_out_revokes_only_the_token_sent(cast):
    one, two = sign_in("ana").json()["token"], sign_in("ana").json()["token"]
    response = APIClient(HTTP_AUTHORIZATION=f"Token {one}").post("/api/v1/auth/logout/")
    assert response.status_code == 204
    assert me(one) == 401
    assert me(two) == 200


def test_a_password_change_revokes_every_token_whatever_changed_it(cast):
    key = sign_in("ana").json()["token"]
    user_password_set(user=cast.analyst, password="a-new-long-passphrase")
    assert me(key) == 401
    # Even a change that bypasses the services (the admin's form, a shell) voids it.
    key = sign_in("ana", "a-new-long-passphrase").json()["token"]
    cast.analyst.set_password("another-long-passphrase")
    cast.analyst.save()
    assert me(key) == 401
    assert not ApiToken.objects.filter(user=cast.analyst).exists()


def test_deactivating_a_user_or_their_organisation_revokes_their_tokens(cast):
    ana, cso = sign_in("ana").json()["token"], sign_in("cso").json()["token"]
    user_upsert(username="ana", organisation=cast.lab, role="analyst", is_active=False)
    assert me(ana) == 401
    assert not ApiToken.objects.filter(user__username="ana").exists()
    cast.cso.is_active = False
    cast.cso.save()
    assert me(cso) == 401


def test_a_user_with_two_factors_needs_the_code(cast):
    missing = sign_in("coord")
    assert missing.status_code == 401
    assert missing.json()["otp_required"] is True
    wrong = sign_in("coord", otp="000000" if factories.totp_code() != "000000" else "111111")
    assert wrong.status_code == 401
    assert wrong.json()["otp_required"] is True
    right = sign_in("coord", otp=factories.totp_code())
    assert right.status_code == 200
    assert me(right.json()["token"]) == 200
    # The same code twice is refused (used once), a recovery code works.
    assert sign_in("coord", otp=factories.totp_code()).status_code == 401


def test_a_wrong_password_does_not_tell_whether_a_second_factor_exists(cast):
    response = sign_in("coord", "wrong-password")
    assert response.status_code == 400
    assert "otp_required" not in response.json()


def test_a_coordinator_without_a_second_factor_gets_no_token(cast):
    user_upsert(username="newcoord", organisation=cast.desk, role="coordinator", password=factories.PASSWORD)
    response = sign_in("newcoord")
    assert response.status_code == 401
    assert response.json()["otp_required"] is True
    assert "two-factor" in response.json()["detail"]


def test_wrong_codes_lock_out_like_wrong_passwords(cast, settings):
    wrong = "000000" if factories.totp_code() != "000000" else "111111"
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in("coord", otp=wrong).status_code == 401
    assert sign_in("coord", otp=wrong).status_code == 429
    assert sign_in("coord", otp=factories.totp_code()).status_code == 429
    # Another address is not concerned.
    assert sign_in("coord", otp=factories.totp_code(), REMOTE_ADDR="192.0.2.9").status_code == 200


def test_a_successful_token_sign_in_resets_the_failures(cast, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in("ana", "wrong-password").status_code == 400
    assert sign_in("ana").status_code == 200
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in("ana", "wrong-password").status_code == 400
    assert sign_in("ana").status_code == 200  # not locked: the count started again


# --- Gateways' named tokens ---------------------------------------------------------------


@pytest.fixture
def gateway(cast) -> tuple[GatewayToken, str]:
    return gateway_token_issue(name="SMS gateway", user=cast.analyst, actor=cast.admin)


def test_a_gateway_token_submits_reports_and_nothing_else(cast, gateway):
    token, key = gateway
    client = APIClient(HTTP_AUTHORIZATION=f"Token {key}")
    created = client.post("/api/v1/reports/", report_body(cast), format="json")
    assert created.status_code == 201, created.content
    assert created.json()["created_by"] == cast.analyst.username
    batch = client.post("/api/v1/reports/batch/", {"reports": [report_body(cast)]}, format="json")
    assert batch.status_code == 200 and batch.json()["counts"]["created"] == 1
    for url in ("/api/v1/reports/", "/api/v1/me/", "/api/v1/alerts/", "/api/v1/communities/"):
        refused = client.get(url)
        assert refused.status_code == 403, url
        assert refused.json()["detail"] == "A gateway token may only submit reports."
    assert client.post("/api/v1/reports/import/", b"x", content_type="text/csv").status_code == 403
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_a_gateway_token_is_stored_as_a_digest_and_revocable(cast, gateway):
    from ewers.services import gateway_tokens_revoke

    token, key = gateway
    assert key not in {token.digest, token.prefix} and token.prefix == key[:8]
    gateway_tokens_revoke(tokens=[token], actor=cast.admin)
    response = APIClient(HTTP_AUTHORIZATION=f"Token {key}").post("/api/v1/reports/", report_body(cast), format="json")
    assert response.status_code == 401
    assert list(
        AuditEvent.objects.filter(object_type="gateway_token").order_by("id").values_list("detail", flat=True)
    ) == ["issued to SMS gateway, acting as ana", "revoked SMS gateway"]


def test_an_administrator_issues_a_gateway_token_shown_once(cast):
    client = Client()
    client.force_login(cast.admin)
    response = client.post(reverse("admin:ewers_gatewaytoken_add"), {"name": "Partner system", "user": cast.analyst.pk})
    assert response.status_code == 200
    page = response.content.decode()
    token = GatewayToken.objects.get(name="Partner system")
    key = page.split('id="gateway-token">Authorization: Token ', 1)[1].split("<", 1)[0]
    assert key.startswith(token.prefix)
    assert "no-store" in response["Cache-Control"]
    assert (
        APIClient(HTTP_AUTHORIZATION=f"Token {key}")
        .post("/api/v1/reports/", report_body(cast), format="json")
        .status_code
        == 201
    )
    # Listed with its last use; the key itself is on no later page.
    listing = client.get(reverse("admin:ewers_gatewaytoken_changelist")).content.decode()
    assert "Partner system" in listing and key not in listing
    change = client.get(reverse("admin:ewers_gatewaytoken_change", args=[token.pk])).content.decode()
    assert key not in change
    # Revoked from the list's action.
    client.post(
        reverse("admin:ewers_gatewaytoken_changelist"),
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_a_gateway_key_never_has_the_shape_of_a_users_token(cast, gateway):
    from ewers.auth import user_token_shaped
    from ewers.services import api_token_issue

    token, key = gateway
    _user_token, user_key = api_token_issue(user=cast.analyst)
    assert user_token_shaped(user_key) and not user_token_shaped(key)
    # Such a key would be taken for a user's token: the gateway could never use it.
    with pytest.raises(ValueError, match="shape of a user's API token"):
        gateway_token_issue(name="Shaped", user=cast.analyst, actor=cast.admin, key="ab" * 32)
    assert not GatewayToken.objects.filter(name="Shaped").exists()
    # Both still authenticate: the user's token as the user, the gateway's as the gateway.
    for credential in (user_key, key):
        client = APIClient(HTTP_AUTHORIZATION=f"Token {credential}")
        assert client.post("/api/v1/reports/", report_body(cast), format="json").status_code == 201
        assert (client.get("/api/v1/me/").status_code == 200) == (credential == user_key)
    token.refresh_from_db()
    assert token.last_used_at is not None
