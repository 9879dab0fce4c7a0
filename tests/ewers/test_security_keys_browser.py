"""Security keys (WebAuthn) as the second factor, in headless Chromium with a virtual
authenticator (issue 12): a new coordinator adds a key instead of an authenticator app,
signs in with password and key, and reaches their home; without the key, or with a forged
answer, the sign-in stops at the second step. Every page passes the CSP (no console
error) and loads nothing from outside.

WebAuthn needs a secure context and a host name for the relying party: the live server is
http://localhost (a secure context), never 127.0.0.1 (an address is no relying party)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
from allauth.mfa.models import Authenticator
from axes.models import AccessAttempt

from ewers.choices import Role
from ewers.models import User
from ewers.services import user_upsert
from tests import factories
from tests.chromium import ARTIFACTS, require_chromium, sign_out, watch

if TYPE_CHECKING:
    from playwright.sync_api import Browser, CDPSession, Page

require_chromium()

HOME = "Coordination overview"
SECOND_STEP = "Second factor"


def virtual_key(cdp: CDPSession) -> str:
    """Plug a USB security key into the page's browser: it answers every request at once,
    as if touched (CDP's WebAuthn domain)."""
    cdp.send("WebAuthn.enable")
    answer: dict[str, Any] = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "usb",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return str(answer["authenticatorId"])


def password_step(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("input[name=login]", username)
    page.fill("input[name=password]", factories.PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_selector("h1")


@pytest.fixture
def new_coordinator(cast) -> User:
    user, _ = user_upsert(
        username="keycoord", organisation=cast.desk, role=Role.COORDINATOR, password=factories.PASSWORD
    )
    return user


@pytest.mark.django_db(transaction=True)
def test_a_new_coordinator_adds_a_key_then_signs_in_with_it(browser: Browser, live_server, new_coordinator):
    base = live_server.url
    assert base.startswith("http://localhost:")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    outside, errors = watch(page)
    cdp = context.new_cdp_session(page)
    key = virtual_key(cdp)

    # Enrolment: the password again (allauth), then the app's page offers a key instead.
    password_step(page, base, "keycoord")
    page.wait_for_selector("input[name=password]")
    page.fill("input[name=password]", factories.PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_selector("input[name=code]")
    page.click("text=Add a security key instead")
    page.wait_for_selector("button[data-security-key=add]")
    page.fill("input[name=name]", "Blue USB key")
    page.screenshot(path=str(ARTIFACTS / "security-key-add.png"), full_page=True)
    page.click("button[data-security-key=add]")
    # The first key comes with recovery codes, shown once after it is added.
    page.wait_for_url("**/accounts/2fa/recovery-codes/")
    assert "Recovery" in page.locator("h1").inner_text()
    stored = Authenticator.objects.get(user=new_coordinator, type=Authenticator.Type.WEBAUTHN)
    assert stored.wrap().name == "Blue USB key"
    assert Authenticator.objects.filter(user=new_coordinator, type=Authenticator.Type.RECOVERY_CODES).exists()
    page.goto(f"{base}/")
    assert page.locator("h1").inner_text() == HOME

    # Account → Two-factor sign-in counts it; Security keys lists it, and it can be renamed.
    page.click("a.account-link")
    page.click("nav.account-nav >> text=Two-factor sign-in")
    page.wait_for_selector("main .panel")
    assert "1 security key" in page.locator("main").inner_text()
    page.click("nav.account-nav >> text=Security keys")
    page.wait_for_selector("main table")
    assert "Blue USB key" in page.locator("main table").inner_text()
    page.screenshot(path=str(ARTIFACTS / "security-keys.png"), full_page=True)

    # Signing in again: the password, then the key.
    sign_out(page)
    password_step(page, base, "keycoord")
    assert page.locator("h1").inner_text() == SECOND_STEP
    page.screenshot(path=str(ARTIFACTS / "security-key-sign-in.png"), full_page=True)
    page.click("button[data-security-key=authenticate]")
    page.wait_for_url(f"{base}/")
    assert page.locator("h1").inner_text() == HOME
    stored.refresh_from_db()
    assert stored.last_used_at is not None

    # Renaming a key asks to confirm it is you (allauth): the key will do.
    page.goto(f"{base}/accounts/2fa/webauthn/")
    page.click("text=Rename")
    page.wait_for_url("**/accounts/reauthenticate/**")
    page.click("main a:has-text('Use a security key')")
    page.wait_for_selector("button[data-security-key=authenticate]")
    page.click("button[data-security-key=authenticate]")
    page.wait_for_selector("input[name=name]")
    page.fill("input[name=name]", "Office key")
    page.click("form.form button[type=submit]")
    page.wait_for_selector("main table")
    assert "Office key" in page.locator("main table").inner_text()

    # Without the key (another device, none plugged in) the second step does not pass.
    sign_out(page)
    cdp.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": key})
    virtual_key(cdp)  # a key that holds no credential of this site
    password_step(page, base, "keycoord")
    page.click("button[data-security-key=authenticate]")
    page.wait_for_selector("#security-key-error:not([hidden])")
    assert "did not answer" in page.locator("#security-key-error").inner_text()
    assert page.locator("h1").inner_text() == SECOND_STEP
    page.goto(f"{base}/")  # still not signed in: back to the second step
    assert page.url == f"{base}/accounts/2fa/authenticate/"
    assert outside == []
    assert errors == []
    context.close()


@pytest.mark.django_db(transaction=True)
def test_a_forged_key_answer_is_refused_and_counted(browser: Browser, live_server, new_coordinator):
    """An answer the key did not sign (here: another key's, for another challenge) is
    refused on the server, and counts towards the lockout like a wrong code."""
    base = live_server.url
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    outside, _errors = watch(page)
    cdp = context.new_cdp_session(page)
    virtual_key(cdp)
    page_sign_in_and_add_key(page, base)
    sign_out(page)
    # The key's answer to one sign-in, kept, is replayed at the next: its challenge is spent.
    password_step(page, base, "keycoord")
    kept = page.evaluate(
        """async () => {
            const options = JSON.parse(document.getElementById('webauthn-options').textContent);
            const answer = await window.webauthnJSON.get(options.request_options);
            return JSON.stringify(answer);
        }"""
    )
    # The page's challenge was answered (outside the form): a fresh sign-in, a new challenge.
    context.clear_cookies()
    password_step(page, base, "keycoord")
    page.evaluate(
        "(kept) => { document.getElementById('id_credential').value = kept;"
        " document.getElementById('webauthn_form').submit(); }",
        kept,
    )
    page.wait_for_selector("#webauthn_form ul.errorlist li")
    assert page.locator("h1").inner_text() == SECOND_STEP
    assert "security key was not accepted" in page.locator("#webauthn_form ul.errorlist").inner_text()
    page.goto(f"{base}/")
    assert page.url == f"{base}/accounts/2fa/authenticate/"
    assert json.loads(kept)["type"] == "public-key"
    assert AccessAttempt.objects.get(username="keycoord").failures_since_start == 1
    assert outside == []
    context.close()


def page_sign_in_and_add_key(page: Page, base: str) -> None:
    password_step(page, base, "keycoord")
    page.fill("input[name=password]", factories.PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_selector("input[name=code]")
    page.goto(f"{base}/accounts/2fa/webauthn/add/")
    page.click("button[data-security-key=add]")
    page.wait_for_url("**/accounts/2fa/recovery-codes/")
