"""The two-factor pages in headless Chromium (issue 12): a new coordinator enrols an
authenticator app before anything else and signs in with its code; every page on the way
passes the CSP (no console error) and loads nothing from outside."""

from __future__ import annotations

import pytest

from ewers.choices import Role
from ewers.services import user_upsert
from tests import factories
from tests.chromium import ARTIFACTS, require_chromium, watch

require_chromium()


@pytest.mark.django_db(transaction=True)
def test_a_new_coordinator_enrols_then_signs_in_with_the_code(browser, live_server, cast):
    user_upsert(username="newcoord", organisation=cast.desk, role=Role.COORDINATOR, password=factories.PASSWORD)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    outside, errors = watch(page)
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=login]", "newcoord")
    page.fill("input[name=password]", factories.PASSWORD)
    page.click("form.form button[type=submit]")
    # Only the enrolment is open: first the password again, then the app's secret.
    page.wait_for_selector("input[name=password]")
    page.fill("input[name=password]", factories.PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_selector("input[name=code]")
    page.screenshot(path=str(ARTIFACTS / "enrol-authenticator.png"), full_page=True)
    # What a person types into their app: the secret shown beside the QR code.
    secret = page.locator("input#authenticator_secret").input_value()
    assert page.locator("main img").count() == 1  # the QR code, a data: image the CSP allows
    page.fill("input[name=code]", factories.totp_code(secret))
    page.click("form.form button[type=submit]")
    # Wait for the next page, not for the heading the set-up page already has.
    page.wait_for_selector("h1:has-text('Recovery')")
    page.screenshot(path=str(ARTIFACTS / "recovery-codes.png"), full_page=True)
    page.goto(f"{live_server.url}/")
    assert page.locator("h1").inner_text() == "Coordination overview"
    # Signing in again asks for the code.
    page.click("text=Sign out")
    page.fill("input[name=login]", "newcoord")
    page.fill("input[name=password]", factories.PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_selector("input[name=code]")
    page.screenshot(path=str(ARTIFACTS / "second-factor.png"), full_page=True)
    page.fill("input[name=code]", factories.totp_code(secret, step=1))
    page.click("form.form button[type=submit]")
    page.wait_for_selector("h1")
    assert page.locator("h1").inner_text() == "Coordination overview"
    page.goto(f"{live_server.url}/accounts/password/change/")
    page.wait_for_selector("input[name=oldpassword]")
    assert outside == []
    assert errors == []
    page.close()
