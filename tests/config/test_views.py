"""Login, logout and the landing page of each role, as a browser would use them; the
security headers of every page."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from demo.partners import DEMO_PASSWORD
from demo.seed import seed_demo
from tests import factories

pytestmark = pytest.mark.django_db

HOME_HEADINGS = {
    "analyst": "Analyst workspace",
    "police": "Response desk",
    "agency": "Response desk",
    "cso": "Response desk",
    "coordinator": "Coordination overview",
    "admin": "Administration",
}


def login(client: Client, username: str, password: str):
    return client.post(reverse("login"), {"username": username, "password": password}, follow=True)


def test_the_login_page_is_served_to_anyone(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert "Sign in to EWERS" in response.content.decode()


def test_the_home_page_asks_for_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_every_demo_user_logs_in_and_lands_on_the_page_for_their_role(settings, django_user_model):
    settings.DEBUG = True
    seed_demo()
    for username, heading in HOME_HEADINGS.items():
        client = Client()
        response = login(client, username, DEMO_PASSWORD)
        page = response.content.decode()
        assert response.status_code == 200, username
        assert response.redirect_chain[-1][0] == reverse("home"), username
        assert f"<h1>{heading}</h1>" in page, username
        user = django_user_model.objects.get(username=username)
        assert user.get_full_name() in page  # the header names who is signed in


def test_a_wrong_password_gives_a_clear_error(cast, client):
    response = login(client, "ana", "wrong-password")
    assert response.status_code == 200
    assert "The username or password is not right" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_repeated_failures_lock_the_account(cast, client, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "ana", "wrong-password")
    response = login(client, "ana", factories.PASSWORD)  # even the right password is refused now
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_logout_is_a_post_and_ends_the_session(cast, client):
    login(client, "ana", factories.PASSWORD)
    assert "_auth_user_id" in client.session
    response = client.post(reverse("logout"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("login")
    assert "_auth_user_id" not in client.session


def test_pages_carry_the_security_headers(client):
    response = client.get(reverse("login"))
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_the_pages_load_nothing_from_outside(cast, client):
    client.force_login(cast.coordinator)
    for url in (reverse("home"), reverse("login")):
        page = client.get(url).content.decode()
        assert "http://" not in page.replace("http://testserver", "")
        assert "https://" not in page


def test_members_of_a_deactivated_organisation_cannot_sign_in_or_stay_signed_in(cast, client):
    login(client, "cso", factories.PASSWORD)
    assert client.get(reverse("home")).status_code == 200
    cast.cso.is_active = False
    cast.cso.save()
    # The open session ends at the next request...
    assert client.get(reverse("home")).status_code == 302
    # ...and a new sign-in is refused.
    response = login(client, "cso", factories.PASSWORD)
    assert "The username or password is not right" in response.content.decode()
    assert client.get(reverse("home")).status_code == 302
