"""What the browser tests share: Debian's Chromium, headless, and a watch on each page.

Debian's Chromium drives them (never a downloaded browser). Without it they skip,
unless EWERS_REQUIRE_BROWSER is set (CI sets it), in which case they fail.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
LOCAL_HOSTS = {"localhost", "127.0.0.1"}
# Milliseconds to wait for what the server works out or draws after the page asked (a
# score, a sent outbox, a chart): passes as soon as it is there, and a loaded 2-core
# machine has taken more than twice its usual time (CI runs of 6 to 14 minutes).
SERVER_WORK_MS = 30_000


def require_chromium() -> None:
    """Call at the top of a browser test module."""
    if not Path(CHROMIUM).exists() and not os.environ.get("EWERS_REQUIRE_BROWSER"):
        pytest.skip("Debian chromium is not installed (apt-get install chromium)", allow_module_level=True)
    # Playwright's sync API runs an event loop in the test thread; Django's ORM refuses
    # to run beside one unless told it is safe (it is: the loop only drives the browser).
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    ARTIFACTS.mkdir(exist_ok=True)


def chromium() -> Iterator[Browser]:
    """Body of the module-scoped ``browser`` fixture (tests/conftest.py)."""
    from playwright.sync_api import expect, sync_playwright

    # Each expectation's own wait (5 s by default) is for the page itself: three times that,
    # for the same loaded machine (an expectation passes as soon as it holds).
    expect.set_options(timeout=15_000)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


def watch(page: Page) -> tuple[list[str], list[str]]:
    """Collect the requests that leave this machine and the page's console errors."""
    outside: list[str] = []
    errors: list[str] = []
    page.on(
        "request",
        lambda r: (
            outside.append(r.url)
            # data: and blob: URLs (the map's worker) are made in the page, not fetched.
            if urlparse(r.url).hostname not in LOCAL_HOSTS and not r.url.startswith(("data:", "blob:"))
            else None
        ),
    )
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    return outside, errors


def sign_out(page: Page) -> None:
    """Sign out through the header's form and wait for the sign-in page: the sign-out first
    clears the device (static/js/offline.js), so a page opened at once would still be
    signed in."""
    page.click(".logout-form button")
    page.wait_for_selector("input[name=login]")


def sign_in(page: Page, base: str, username: str, password: str) -> None:
    """Sign in through the login form and wait for the page it leads to; a user with two
    factors gives the code of the cast's and the demo's authenticator secret next."""
    from tests.factories import totp_code

    page.goto(f"{base}/login/")
    page.fill("input[name=login]", username)
    page.fill("input[name=password]", password)
    page.click("form.form button[type=submit]")
    page.wait_for_selector("h1")
    if page.locator("input[name=code]").count():
        page.fill("input[name=code]", totp_code())
        page.click("form.form button[type=submit]")
        page.wait_for_selector("h1")
