"""The login journey in headless Chromium against a live server, with a screenshot per role.

Debian's Chromium drives these (never a downloaded browser). Without it the tests
skip, unless EWERS_REQUIRE_BROWSER is set (CI sets it), in which case they fail.
"""

from __future__ import annotations

import pytest

from demo.partners import DEMO_PASSWORD, DEMO_TOTP_SECRET
from demo.seed import seed_demo
from tests import factories
from tests.chromium import ARTIFACTS, require_chromium, watch
from tests.factories import totp_code

require_chromium()


HOMES = {
    "analyst": "Analyst workspace",
    "cso": "Response desk",
    "coordinator": "Coordination overview",
    "admin": "Administration",
}


@pytest.mark.django_db(transaction=True)
def test_each_demo_user_signs_in_and_sees_their_home(browser, live_server, settings):
    """One seeded demo, each role in turn (seeding per role cost a minute of the suite)."""
    settings.DEBUG = True
    seed_demo()
    for username, heading in HOMES.items():
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        outside, _errors = watch(page)
        page.goto(f"{live_server.url}/")
        assert page.locator("h1").inner_text() == "Sign in to EWERS", username
        page.fill("input[name=login]", username)
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.click("form.form button[type=submit]")
        page.wait_for_selector("h1")
        if username in ("coordinator", "admin"):
            # The second factor: the demo's published authenticator secret (README).
            assert page.locator("input[name=code]").count() == 1, username
            page.screenshot(path=str(ARTIFACTS / f"second-factor-{username}.png"), full_page=True)
            page.fill("input[name=code]", totp_code(DEMO_TOTP_SECRET))
            page.click("form.form button[type=submit]")
            page.wait_for_selector("h1")
        assert page.locator("h1").inner_text() == heading, username
        page.screenshot(path=str(ARTIFACTS / f"home-{username}.png"), full_page=True)
        # Sign out again through the header's form.
        page.click("text=Sign out")
        page.wait_for_selector("input[name=login]")
        assert outside == [], username
        page.close()


@pytest.mark.django_db(transaction=True)
def test_the_login_page_fits_a_phone(browser, live_server):
    page = browser.new_page(viewport={"width": 375, "height": 740}, is_mobile=True)
    page.goto(f"{live_server.url}/login/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375  # no sideways scrolling
    page.screenshot(path=str(ARTIFACTS / "login-phone.png"), full_page=True)
    page.close()


@pytest.mark.django_db(transaction=True)
def test_the_api_docs_render_offline_under_the_csp(browser, live_server, cast):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    _outside, errors = watch(page)
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=login]", "ana")
    page.fill("input[name=password]", factories.PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_selector("h1")
    page.goto(f"{live_server.url}/api/v1/docs/")
    page.wait_for_selector(".swagger-ui .info .title")
    assert "EWERS API" in page.locator(".swagger-ui .info .title").inner_text()
    assert errors == []
    page.close()
