"""Lockout that cannot be turned on others (issue 12; ASVS 2.2.1): failures count per
username AND client address; the address is the one the trusted proxies vouch for
(EWERS_TRUSTED_PROXIES), never what a client writes in X-Forwarded-For itself."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from ewers.client import client_address
from tests import factories

pytestmark = pytest.mark.django_db


def attempt(client: Client, password: str, username: str = "ana", **extra):
    return client.post(reverse("login"), {"login": username, "password": password}, **extra)


def request_from(remote: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote} | ({"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {})
    return RequestFactory().get("/", **extra)


def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.EWERS_TRUSTED_PROXIES = 0
    assert client_address(request_from("203.0.113.5", "198.51.100.1")) == "203.0.113.5"


def test_behind_one_proxy_the_proxys_entry_is_the_client(settings):
    settings.EWERS_TRUSTED_PROXIES = 1
    # The client wrote "198.51.100.1" itself; the proxy appended the address it saw.
    assert client_address(request_from("10.0.0.2", "198.51.100.1, 203.0.113.7")) == "203.0.113.7"
    settings.EWERS_TRUSTED_PROXIES = 2
    assert client_address(request_from("10.0.0.2", "198.51.100.1, 203.0.113.7, 10.0.0.9")) == "203.0.113.7"


def test_a_request_that_bypassed_the_proxies_or_forged_garbage_keys_on_the_connection(settings):
    settings.EWERS_TRUSTED_PROXIES = 2
    assert client_address(request_from("203.0.113.5", "198.51.100.1")) == "203.0.113.5"
    settings.EWERS_TRUSTED_PROXIES = 1
    assert client_address(request_from("10.0.0.2", "not-an-address")) == "10.0.0.2"


def test_failures_from_one_address_do_not_lock_the_account_elsewhere(cast, settings):
    attacker = Client(REMOTE_ADDR="198.51.100.66")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(attacker, "wrong-password")
    assert attempt(attacker, factories.PASSWORD).status_code == 429
    owner = Client(REMOTE_ADDR="203.0.113.20")
    response = attempt(owner, factories.PASSWORD)
    assert response.status_code == 302 and response["Location"] == reverse("home")


def test_behind_the_proxy_each_client_has_its_own_count(cast, settings):
    settings.EWERS_TRUSTED_PROXIES = 1
    proxy = "10.0.0.2"  # every request arrives from the proxy
    attacker = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="198.51.100.66")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(attacker, "wrong-password")
    assert attempt(attacker, factories.PASSWORD).status_code == 429
    # The attacker cannot pose as the owner's address: the proxy's own entry counts.
    posing = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="203.0.113.20, 198.51.100.66")
    assert attempt(posing, factories.PASSWORD).status_code == 429
    owner = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="203.0.113.20")
    assert attempt(owner, factories.PASSWORD).status_code == 302


def test_a_successful_sign_in_clears_the_count(cast, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt(client, "wrong-password")
    assert attempt(client, factories.PASSWORD).status_code == 302
    client.post(reverse("logout"))
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt(client, "wrong-password")
    assert attempt(client, factories.PASSWORD).status_code == 302
