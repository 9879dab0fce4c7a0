"""Two-factor sign-in (issue 12; ASVS 2.2, 4.3.1): an authenticator app's codes (each used
once) or a recovery code after the password; required for coordinators and administrators,
who reach only the enrolment page until they have one; the admin site behind the same
sign-in; wrong codes lock out like wrong passwords."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from django.test import Client
from django.urls import reverse

from ewers.accounts import second_factor_enrol
from ewers.choices import Role
from ewers.models import User
from ewers.services import user_upsert
from tests import factories

pytestmark = pytest.mark.django_db


def password_step(client: Client, username: str, password: str = factories.PASSWORD, **extra):
    return client.post(reverse("login"), {"login": username, "password": password}, **extra)


def test_it_asks_a_coordinator_for_the_code_after_the_password(cast, client):
    response = password_step(client, "coord")
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session  # not signed in yet
    page = client.get(reverse("mfa_authenticate")).content.decode()
    assert 'name="code"' in page and 'autocomplete="one-time-code"' in page
    response = client.post(reverse("mfa_authenticate"), {"code": factories.totp_code()})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(cast.coordinator.pk)
    assert client.get(reverse("home")).status_code == 200


def test_a_wrong_code_does_not_sign_in(cast, client):
    password_step(client, "coord")
    wrong = "000000" if factories.totp_code() != "000000" else "111111"
    response = client.post(reverse("mfa_authenticate"), {"code": wrong})
    assert response.status_code == 200
    assert "Incorrect code." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_code_is_used_only_once(cast, client):
    code = factories.totp_code()
    password_step(client, "coord")
    client.post(reverse("mfa_authenticate"), {"code": code})
    assert "_auth_user_id" in client.session
    other = Client()
    password_step(other, "coord")
    response = other.post(reverse("mfa_authenticate"), {"code": code})
    assert response.status_code == 200
    assert "_auth_user_id" not in other.session


def test_a_recovery_code_signs_in_once(cast, client):
    codes = Authenticator.objects.get(user=cast.coordinator, type=Authenticator.Type.RECOVERY_CODES).wrap()
    code = codes.get_unused_codes()[0]
    password_step(client, "coord")
    client.post(reverse("mfa_authenticate"), {"code": code})
    assert client.session["_auth_user_id"] == str(cast.coordinator.pk)
    again = Client()
    password_step(again, "coord")
    assert again.post(reverse("mfa_authenticate"), {"code": code}).status_code == 200
    assert "_auth_user_id" not in again.session


def test_others_sign_in_with_the_password_alone_unless_they_enrol(cast, client):
    response = password_step(client, "ana")
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert client.session["_auth_user_id"] == str(cast.analyst.pk)
    # An analyst who enrols is asked for the code from then on.
    second_factor_enrol(user=cast.analyst, secret=factories.TOTP_SECRET)
    later = Client()
    assert password_step(later, "ana")["Location"] == reverse("mfa_authenticate")


def test_the_secret_is_stored_encrypted(cast):
    stored = Authenticator.objects.get(user=cast.coordinator, type=Authenticator.Type.TOTP).data["secret"]
    assert factories.TOTP_SECRET not in stored
    assert stored.startswith("fernet:")


@pytest.fixture
def new_coordinator(cast) -> User:
    """A coordinator whose account was just issued: no second factor yet."""
    user, _ = user_upsert(
        username="newcoord", organisation=cast.desk, role=Role.COORDINATOR, password=factories.PASSWORD
    )
    return user


def test_a_coordinator_without_a_second_factor_reaches_only_the_enrolment(new_coordinator, client):
    response = password_step(client, "newcoord")
    assert client.session["_auth_user_id"] == str(new_coordinator.pk)
    for url in (reverse("home"), reverse("alerts:list"), reverse("analytics:heatmap"), "/admin/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == reverse("mfa_activate_totp"), url
    api = client.get(reverse("api-me"))
    assert api.status_code == 403
    assert "two-factor" in api.json()["detail"]
    # The enrolment asks for the password again first (allauth), and that page is open too.
    reauthenticate = client.get(reverse("mfa_activate_totp"))
    assert reauthenticate["Location"].startswith(reverse("account_reauthenticate"))
    assert client.get(reauthenticate["Location"]).status_code == 200
    assert client.post(reverse("logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_enrolling_opens_the_site(new_coordinator, client):
    password_step(client, "newcoord")
    client.post(reverse("account_reauthenticate"), {"password": factories.PASSWORD})
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = client.session["mfa.totp.secret"]  # shown on the page as text and QR code
    assert secret in page.content.decode()
    response = client.post(reverse("mfa_activate_totp"), {"code": factories.totp_code(secret)})
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_view_recovery_codes")
    assert client.get(reverse("mfa_view_recovery_codes")).status_code == 200
    assert client.get(reverse("home")).status_code == 200
    # From now on the code is asked for at every sign-in.
    assert password_step(Client(), "newcoord")["Location"] == reverse("mfa_authenticate")


def test_the_admin_site_signs_in_through_the_site_sign_in(cast, client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    # Its own password-only form is never served, not even to a POST.
    response = client.post("/admin/login/", {"username": "adm", "password": factories.PASSWORD})
    assert response.status_code == 302 and "_auth_user_id" not in client.session
    # A signed-in user who is not staff is refused, not shown a form.
    client.force_login(cast.analyst)
    assert client.get("/admin/login/").status_code == 403


def test_an_administrator_reaches_the_admin_after_both_factors(cast, client):
    password_step(client, "adm", QUERY_STRING="next=/admin/")
    client.post(reverse("mfa_authenticate"), {"code": factories.totp_code()})
    assert client.get("/admin/").status_code == 200


def test_wrong_codes_lock_the_account_at_that_address_only(cast, client, settings):
    wrong = "000000" if factories.totp_code() != "000000" else "111111"
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        password_step(client, "coord")
        assert client.post(reverse("mfa_authenticate"), {"code": wrong}).status_code == 200
    password_step(client, "coord")
    locked = client.post(reverse("mfa_authenticate"), {"code": wrong})
    assert locked.status_code == 429
    # Locked at this address: the right code is refused now, and so is the password...
    refused = client.post(reverse("mfa_authenticate"), {"code": factories.totp_code()})
    assert "Too many failed sign-in attempts" in refused.content.decode()
    assert "_auth_user_id" not in client.session
    assert password_step(Client(), "coord").status_code == 429
    # ...but not from another address.
    elsewhere = Client(REMOTE_ADDR="192.0.2.44")
    assert password_step(elsewhere, "coord")["Location"] == reverse("mfa_authenticate")
    elsewhere.post(reverse("mfa_authenticate"), {"code": factories.totp_code()})
    assert elsewhere.session["_auth_user_id"] == str(cast.coordinator.pk)


def test_the_demo_enrols_its_coordinator_and_admin_with_the_published_secret(settings):
    from demo.partners import DEMO_PASSWORD, DEMO_TOTP_SECRET
    from demo.seed import seed_demo

    settings.DEBUG = True
    seed_demo()
    enrolled = set(Authenticator.objects.filter(type=Authenticator.Type.TOTP).values_list("user__username", flat=True))
    assert enrolled == {"coordinator", "admin"}
    client = Client()
    assert password_step(client, "coordinator", DEMO_PASSWORD)["Location"] == reverse("mfa_authenticate")
    client.post(reverse("mfa_authenticate"), {"code": factories.totp_code(DEMO_TOTP_SECRET)})
    assert client.get(reverse("home")).status_code == 200
