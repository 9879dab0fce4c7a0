"""The login journey in headless Chromium against a live server, with a screenshot per role.

Debian's Chromium drives these (never a downloaded browser). Without it the tests
skip, unless EWERS_REQUIRE_BROWSER is set (CI sets it), in which case they fail.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlparse

import pytest

from ewers.demo import DEMO_PASSWORD, seed_demo
from tests import factories

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"

if not Path(CHROMIUM).exists() and not os.environ.get("EWERS_REQUIRE_BROWSER"):
    pytest.skip("Debian chromium is not installed (apt-get install chromium)", allow_module_level=True)

# Playwright's sync API runs an event loop in the test thread; Django's ORM refuses
# to run beside one unless told it is safe (it is: the loop only drives the browser).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from playwright.sync_api import sync_playwright  # noqa: E402


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        yield browser
        browser.close()


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
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    outside: list[str] = []
    page.on(
        "request",
        lambda r: (
            outside.append(r.url)
            if urlparse(r.url).hostname not in {"localhost", "127.0.0.1"} and not r.url.startswith("data:")
            else None
        ),
    )
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
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 375, "height": 740}, is_mobile=True)
    page.goto(f"{live_server.url}/login/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375  # no sideways scrolling
    page.screenshot(path=str(ARTIFACTS / "login-phone.png"), full_page=True)
    page.close()


@pytest.mark.django_db(transaction=True)
def test_the_api_docs_render_offline_under_the_csp(browser, live_server, cast):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
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
