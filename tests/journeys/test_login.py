"""The login journey in headless Chromium against a live server, with a screenshot per role.

Debian's Chromium drives these (never a downloaded browser). Without it the tests
skip, unless EWERS_REQUIRE_BROWSER is set (CI sets it), in which case they fail.
"""

from __future__ import annotations

import pytest

from demo.partners import DEMO_PASSWORD
from demo.seed import seed_demo
from tests import factories
from tests.chromium import ARTIFACTS, require_chromium, watch

require_chromium()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("username", "heading"),
    [
        ("analyst", "Analyst workspace"),
        ("cso", "Response desk"),
        ("coordinator", "Coordination overview"),
        ("admin", "Administration"),
    ],
)
def test_a_demo_user_signs_in_and_sees_their_home(browser, live_server, settings, username, heading):
    settings.DEBUG = True
    seed_demo()
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    outside, _errors = watch(page)
    page.goto(f"{live_server.url}/")
    assert page.locator("h1").inner_text() == "Sign in to EWERS"
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("h1")
    assert page.locator("h1").inner_text() == heading
    page.screenshot(path=str(ARTIFACTS / f"home-{username}.png"), full_page=True)
    # Sign out again through the header's form.
    page.click("text=Sign out")
    page.wait_for_selector("input[name=username]")
    assert outside == []
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
    page.fill("input[name=username]", "ana")
    page.fill("input[name=password]", factories.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("h1")
    page.goto(f"{live_server.url}/api/v1/docs/")
    page.wait_for_selector(".swagger-ui .info .title")
    assert "EWERS API" in page.locator(".swagger-ui .info .title").inner_text()
    assert errors == []
    page.close()
