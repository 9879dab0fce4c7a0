"""Accounts (issue 12; ASVS 2.1): everyone changes their own password on a page; a reset
goes by e-mail link; at least 12 characters and Django's checks; a password change ends
every other session and every API token; nobody signs up."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from ewers.models import ApiToken
from tests import factories
from tests.api import token_for

pytestmark = pytest.mark.django_db

NEW = "a-brand-new-passphrase"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def change(client: Client, new: str, old: str = factories.PASSWORD):
    data = {"oldpassword": old, "password1": new, "password2": new}
    return client.post(reverse("account_change_password"), data)


def test_the_header_links_the_account_page(cast):
    page = signed_in(cast.analyst).get(reverse("home")).content.decode()
    assert f'href="{reverse("account_change_password")}"' in page


def test_a_password_shorter_than_12_or_common_is_refused(cast):
    client = signed_in(cast.analyst)
    short = change(client, "Abc-123-xyz")  # 11 characters
    assert short.status_code == 200
    assert "at least 12 characters" in short.content.decode()
    common = change(client, "password1234")
    assert "too common" in common.content.decode()
    cast.analyst.refresh_from_db()
    assert cast.analyst.check_password(factories.PASSWORD)


def test_a_wrong_current_password_is_refused(cast):
    response = change(signed_in(cast.analyst), NEW, old="not-my-password")
    assert response.status_code == 200
    cast.analyst.refresh_from_db()
    assert not cast.analyst.check_password(NEW)


def test_a_password_change_ends_every_other_session_and_token(cast):
    here, elsewhere = signed_in(cast.analyst), signed_in(cast.analyst)
    key = token_for(cast.analyst)
    response = change(here, NEW)
    assert response.status_code == 302
    cast.analyst.refresh_from_db()
    assert cast.analyst.check_password(NEW)
    assert here.get(reverse("home")).status_code == 200  # this session goes on
    assert elsewhere.get(reverse("home")).status_code == 302  # the other one ended
    assert APIClient(HTTP_AUTHORIZATION=f"Token {key}").get("/api/v1/me/").status_code == 401
    assert not ApiToken.objects.filter(user=cast.analyst).exists()


def test_a_reset_link_by_e_mail_sets_a_new_password(cast):
    cast.analyst.email = "ana@example.org"
    cast.analyst.save()
    key = token_for(cast.analyst)
    client = Client()
    response = client.post(reverse("account_reset_password"), {"email": "ana@example.org"})
    assert response.status_code == 302
    [message] = mail.outbox
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+)", message.body).group(1)
    form = client.get(link, follow=True)
    assert form.status_code == 200
    action = form.redirect_chain[-1][0] if form.redirect_chain else link
    done = client.post(action, {"password1": NEW, "password2": NEW})
    assert done.status_code == 302
    cast.analyst.refresh_from_db()
    assert cast.analyst.check_password(NEW)
    assert APIClient(HTTP_AUTHORIZATION=f"Token {key}").get("/api/v1/me/").status_code == 401


def test_a_reset_for_an_unknown_address_tells_nothing(cast):
    response = Client().post(reverse("account_reset_password"), {"email": "nobody@example.org"})
    assert response.status_code == 302  # the same answer as for a known address
    assert mail.outbox == []


def test_nobody_signs_up(client):
    assert client.get("/accounts/signup/").status_code == 404
    page = client.get(reverse("login")).content.decode()
    assert "signup" not in page.lower() and "sign up" not in page.lower()
