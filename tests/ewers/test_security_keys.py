"""Security keys (WebAuthn) as a second factor (issue 12), through the pages with a key in
software (tests/securitykey.py): a coordinator enrols a key instead of an app (and gets
recovery codes), signs in with password and key; a key counts as the second factor their
role requires; another key, a replayed answer or a forged one is refused and counted
towards the lockout; there is no sign-in with a key alone (passkeys are off); the API
takes codes only and tells a key-only user so; the pages carry no inline script."""

from __future__ import annotations

import json
import re

import pytest
from allauth.mfa.models import Authenticator
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from django.urls import NoReverseMatch, reverse
from rest_framework.test import APIClient

from ewers.accounts import second_factor_enrol, second_factor_enrolled
from ewers.choices import Role
from ewers.models import User
from ewers.services import user_upsert
from tests import factories
from tests.securitykey import HOST, SoftKey

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token/"


def browser() -> Client:
    """A client on http://localhost: the relying party and a secure origin."""
    return Client(HTTP_HOST=HOST)


def password_step(client: Client, username: str) -> None:
    client.post(reverse("login"), {"login": username, "password": factories.PASSWORD})


def add_key(client: Client, key: SoftKey, name: str = "USB key"):
    """Add ``key`` on the page, as a signed-in user who just gave their password again."""
    client.post(reverse("account_reauthenticate"), {"password": factories.PASSWORD})
    page = client.get(reverse("mfa_add_webauthn"))
    assert page.status_code == 200
    credential = key.register(page.context["js_data"]["creation_options"])
    return client.post(reverse("mfa_add_webauthn"), {"name": name, "credential": credential})


def key_step(client: Client, key: SoftKey):
    """The second step of signing in, answered by ``key``."""
    page = client.get(reverse("mfa_authenticate"))
    assert page.status_code == 200
    answer = key.sign(page.context["js_data"]["request_options"])
    return client.post(reverse("mfa_authenticate"), {"credential": answer})


@pytest.fixture
def new_coordinator(cast) -> User:
    user, _ = user_upsert(
        username="keycoord", organisation=cast.desk, role=Role.COORDINATOR, password=factories.PASSWORD
    )
    return user


@pytest.fixture
def key() -> SoftKey:
    return SoftKey()


@pytest.fixture
def key_coordinator(new_coordinator, key) -> User:
    """A coordinator whose only second factor is a security key (and its recovery codes)."""
    client = browser()
    password_step(client, "keycoord")
    assert add_key(client, key).status_code == 302
    return new_coordinator


def test_the_settings_offer_keys_as_a_second_factor_and_never_alone():
    assert "webauthn" in settings.MFA_SUPPORTED_TYPES
    assert settings.MFA_PASSKEY_LOGIN_ENABLED is False
    assert settings.MFA_PASSKEY_SIGNUP_ENABLED is False
    assert settings.MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN is False
    # No sign-in with a key alone: allauth's passkey sign-in has no URL.
    with pytest.raises(NoReverseMatch):
        reverse("mfa_login_webauthn")


def test_a_coordinator_without_a_second_factor_may_add_a_key(new_coordinator, key):
    client = browser()
    password_step(client, "keycoord")
    assert client.get(reverse("home"))["Location"] == reverse("mfa_activate_totp")
    # The app's page offers a key instead; the key pages are open before enrolment.
    client.post(reverse("account_reauthenticate"), {"password": factories.PASSWORD})
    assert reverse("mfa_add_webauthn") in client.get(reverse("mfa_activate_totp")).content.decode()
    assert client.get(reverse("mfa_list_webauthn")).status_code == 200
    response = add_key(client, key, name="Blue key")
    # The first key comes with recovery codes, shown next.
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_view_recovery_codes")
    stored = Authenticator.objects.get(user=new_coordinator, type=Authenticator.Type.WEBAUTHN)
    assert stored.wrap().name == "Blue key"
    assert len(Authenticator.objects.get(user=new_coordinator, type="recovery_codes").wrap().get_unused_codes()) == 10
    # A key is the second factor the role requires: the site opens.
    assert second_factor_enrolled(new_coordinator)
    assert client.get(reverse("home")).status_code == 200
    assert "keycoord" in client.get(reverse("mfa_list_webauthn")).content.decode()
    assert "Blue key" in client.get(reverse("mfa_list_webauthn")).content.decode()


def test_a_key_user_signs_in_with_password_and_key(key_coordinator, key):
    client = browser()
    password_step(client, "keycoord")
    assert "_auth_user_id" not in client.session
    page = client.get(reverse("mfa_authenticate")).content.decode()
    assert 'data-security-key="authenticate"' in page
    response = key_step(client, key)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(key_coordinator.pk)
    assert client.get(reverse("home")).status_code == 200
    stored = Authenticator.objects.get(user=key_coordinator, type=Authenticator.Type.WEBAUTHN)
    assert stored.last_used_at is not None


def test_a_recovery_code_still_signs_a_key_user_in(key_coordinator):
    code = Authenticator.objects.get(user=key_coordinator, type="recovery_codes").wrap().get_unused_codes()[0]
    client = browser()
    password_step(client, "keycoord")
    client.post(reverse("mfa_authenticate"), {"code": code})
    assert client.session["_auth_user_id"] == str(key_coordinator.pk)


def refused(client: Client, response) -> bool:
    return (
        response.status_code == 200
        and "security key was not accepted" in response.content.decode()
        and "_auth_user_id" not in client.session
    )


def test_another_key_is_refused_and_counted(key_coordinator):
    client = browser()
    password_step(client, "keycoord")
    assert refused(client, key_step(client, SoftKey()))
    assert AccessAttempt.objects.get(username="keycoord").failures_since_start == 1


def test_a_replayed_answer_is_refused(key_coordinator, key):
    first = browser()
    password_step(first, "keycoord")
    page = first.get(reverse("mfa_authenticate"))
    answer = key.sign(page.context["js_data"]["request_options"])
    assert first.post(reverse("mfa_authenticate"), {"credential": answer}).status_code == 302
    # The same answer at another sign-in: its challenge is not this one's.
    second = browser()
    password_step(second, "keycoord")
    second.get(reverse("mfa_authenticate"))
    assert refused(second, second.post(reverse("mfa_authenticate"), {"credential": answer}))


def test_an_answer_for_another_site_is_refused(key_coordinator, key):
    client = browser()
    password_step(client, "keycoord")
    page = client.get(reverse("mfa_authenticate"))
    answer = key.sign(page.context["js_data"]["request_options"], origin="https://evil.example")
    assert refused(client, client.post(reverse("mfa_authenticate"), {"credential": answer}))


@pytest.mark.parametrize("credential", ['{"type": "public-key"}', "[]", '{"id": "x", "rawId": "y"}'])
def test_a_malformed_answer_is_refused_not_a_server_error(key_coordinator, credential):
    client = browser()
    password_step(client, "keycoord")
    client.get(reverse("mfa_authenticate"))
    response = client.post(reverse("mfa_authenticate"), {"credential": credential})
    assert response.status_code == 200
    assert 'class="errorlist"' in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_wrong_keys_lock_out_like_wrong_codes(key_coordinator, key, settings):
    client = browser()
    password_step(client, "keycoord")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        key_step(client, SoftKey())
    # Locked out: even the right key is not checked.
    response = key_step(client, key)
    assert response.status_code == 200
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_code_user_is_not_offered_a_key(cast):
    client = browser()
    password_step(client, "coord")
    page = client.get(reverse("mfa_authenticate")).content.decode()
    assert 'name="code"' in page
    assert "data-security-key" not in page


def test_a_key_is_renamed_and_removed_on_its_pages_after_the_key_again(key_coordinator, key):
    client = browser()
    password_step(client, "keycoord")
    key_step(client, key)
    stored = Authenticator.objects.get(user=key_coordinator, type=Authenticator.Type.WEBAUTHN)
    rename = reverse("mfa_edit_webauthn", kwargs={"pk": stored.pk})
    remove = reverse("mfa_remove_webauthn", kwargs={"pk": stored.pk})
    # Changing a key asks to confirm it is you first (allauth); the key itself will do.
    assert client.post(rename, {"name": "Office key"})["Location"].startswith(reverse("account_reauthenticate"))
    page = client.get(reverse("mfa_reauthenticate_webauthn"))
    assert page.status_code == 200
    answer = key.sign(page.context["js_data"]["request_options"])
    assert client.post(reverse("mfa_reauthenticate_webauthn"), {"credential": answer}).status_code == 302
    assert client.post(rename, {"name": "Office key"})["Location"] == reverse("mfa_list_webauthn")
    stored.refresh_from_db()
    assert stored.wrap().name == "Office key"
    assert "Office key" in client.get(reverse("mfa_list_webauthn")).content.decode()
    assert client.get(remove).status_code == 200
    assert client.post(remove).status_code == 302
    assert not Authenticator.objects.filter(user=key_coordinator, type=Authenticator.Type.WEBAUTHN).exists()
    # Without a second factor the coordinator is back at the enrolment.
    assert client.get(reverse("home"))["Location"] == reverse("mfa_activate_totp")


def test_another_users_key_is_a_404_even_after_confirming(key_coordinator, cast):
    stored = Authenticator.objects.get(user=key_coordinator, type=Authenticator.Type.WEBAUTHN)
    client = Client()
    client.force_login(cast.coordinator)
    client.post(reverse("account_reauthenticate"), {"password": factories.PASSWORD})
    for name in ("mfa_edit_webauthn", "mfa_remove_webauthn"):
        url = reverse(name, kwargs={"pk": stored.pk})
        assert client.get(url).status_code == 404, name
        assert client.post(url, {"name": "Mine"}).status_code == 404, name
    assert Authenticator.objects.get(pk=stored.pk).wrap().name == "USB key"
    assert "USB key" not in client.get(reverse("mfa_list_webauthn")).content.decode()


# --- The API takes codes, never a key -----------------------------------------------------


def api_sign_in(otp: str | None = None):
    body = {"username": "keycoord", "password": factories.PASSWORD} | ({"otp": otp} if otp is not None else {})
    return APIClient().post(TOKEN, body, format="json")


def test_the_api_tells_a_key_only_user_to_add_an_app_or_give_a_recovery_code(key_coordinator):
    for otp in (None, "", "123456"):
        response = api_sign_in(otp)
        assert response.status_code == 401, otp
        body = response.json()
        assert body["otp_required"] is True
        assert "security key" in body["detail"] and "authenticator app" in body["detail"]
        assert "recovery code" in body["detail"]
    code = Authenticator.objects.get(user=key_coordinator, type="recovery_codes").wrap().get_unused_codes()[0]
    response = api_sign_in(code)
    assert response.status_code == 200
    assert set(response.json()) == {"token", "expires_at"}


def test_a_key_user_who_adds_an_app_signs_in_to_the_api_with_its_code(key_coordinator):
    second_factor_enrol(user=key_coordinator, secret=factories.TOTP_SECRET)
    refusal = api_sign_in()
    assert refusal.status_code == 401
    assert "security key" not in refusal.json()["detail"]
    assert api_sign_in(factories.totp_code()).status_code == 200


# --- Under the strict CSP -----------------------------------------------------------------

SCRIPT = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)


def scripts(html: str) -> list[str]:
    return SCRIPT.findall(html)


def test_the_key_pages_carry_no_inline_script_and_load_theirs_from_our_static_files(key_coordinator, key):
    client = browser()
    password_step(client, "keycoord")
    pages = [client.get(reverse("mfa_authenticate")).content.decode()]
    key_step(client, key)
    client.post(reverse("account_reauthenticate"), {"password": factories.PASSWORD})
    pages += [
        client.get(reverse(name)).content.decode()
        for name in ("mfa_add_webauthn", "mfa_reauthenticate_webauthn", "mfa_list_webauthn", "mfa_index")
    ]
    sources: set[str] = set()
    for html in pages:
        assert "data-allauth-onload" not in html
        for attributes in scripts(html):
            # Either a file of ours or data (json_script), which the browser never runs.
            source = re.search(r'src="([^"]+)"', attributes)
            assert source or 'type="application/json"' in attributes, attributes
            if source:
                sources.add(source.group(1))
        for data in re.findall(r'<script id="webauthn-options" type="application/json">(.*?)</script>', html):
            assert json.loads(data)
    # The key pages' scripts, beside the site's own (the offline app's), all from our static files.
    assert {"/static/mfa/js/webauthn-json.js", "/static/mfa/js/webauthn.js", "/static/js/security-keys.js"} <= sources
    assert all(source.startswith("/static/") for source in sources), sources
    for source in sources:
        assert client.get(source).status_code == 200, source
