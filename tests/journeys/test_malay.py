"""Malay throughout, in headless Chromium on a freshly seeded demo: the language is chosen
on the sign-in page, then the analyst logs a report, the CSO's responder opens the alert it
raised and the coordinator the heatmap. No English EWERS string may show: none of the
catalogue's English texts whose Malay differs appears in a page's visible text.
Screenshots go to test-artifacts/ms-*.png.
"""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest
from django.conf import settings

from alerts.choices import AlertState
from alerts.models import Alert
from demo.partners import DEMO_PASSWORD
from demo.seed import seed_demo
from ewers.choices import LANGUAGES
from ewers.models import User
from tests.chromium import ARTIFACTS, SERVER_WORK_MS, require_chromium, sign_in, sign_out, watch

require_chromium()

from playwright.sync_api import Page, expect  # noqa: E402

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "ms" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sdf]|%[sdf]|\{\{.*?\}\}|\{\w*\}")


def english_texts() -> tuple[set[str], list[str]]:
    """The catalogue's English texts whose Malay differs: whole texts (a label, a heading)
    and, for texts of three words or more, their longest literal run between placeholders."""
    whole: set[str] = set()
    phrases: set[str] = set()
    for entry in polib.pofile(str(CATALOGUE)).translated_entries():
        for msgid, msgstr in ((entry.msgid, entry.msgstr), (entry.msgid_plural, entry.msgstr_plural.get(0, ""))):
            if not msgid or msgid.strip() == msgstr.strip():
                continue
            if not PLACEHOLDER.search(msgid):
                whole.add(" ".join(msgid.split()))
            run = max(PLACEHOLDER.split(msgid), key=len).strip(" .,:;·—-")
            if len(run.split()) >= 3:
                phrases.add(" ".join(run.split()))
    return whole, sorted(phrases)


def english_shown(page: Page, texts: tuple[set[str], list[str]]) -> list[str]:
    whole, phrases = texts
    visible = page.locator("body").inner_text()
    lines = {" ".join(line.split()) for line in visible.splitlines()}
    flat = " ".join(visible.split())
    # The language switch names each language in itself ("English" on a Malay page).
    named_in_itself = {name for _code, name in LANGUAGES}
    return sorted(((lines - named_in_itself) & whole) | {p for p in phrases if p in flat})


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"ms-{name}.png"), full_page=True)


def sign_in_malay(page: Page, base: str, username: str) -> None:
    """Choose Bahasa Melayu on the sign-in page, then sign in: the choice becomes the user's."""
    page.goto(f"{base}/login/")
    if page.locator("html").get_attribute("lang") != "ms":
        page.click(".language-form button[value=ms]")
        page.wait_for_selector("html[lang=ms] input[name=login]")
    sign_in(page, base, username, DEMO_PASSWORD)
    expect(page.locator("html")).to_have_attribute("lang", "ms")
    assert User.objects.get(username=username).language == "ms"


@pytest.mark.django_db(transaction=True)
def test_malay_walk_through_report_alert_and_heatmap(browser, live_server, settings):
    settings.DEBUG = True
    seed_demo()
    texts = english_texts()
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    outside, errors = watch(page)
    base = live_server.url

    page.goto(f"{base}/login/")
    page.click(".language-form button[value=ms]")
    page.wait_for_selector("html[lang=ms] input[name=login]")
    shot(page, "0-sign-in")
    assert english_shown(page, texts) == []

    # The analyst's report form, in Malay, then the report it saved.
    sign_in_malay(page, base, "analyst")
    page.goto(f"{base}/reports/new/")
    expect(page.locator("label[for=id_reading_P01]")).not_to_be_empty()
    shot(page, "1-report-form")
    assert english_shown(page, texts) == []
    page.locator("#id_community").press_sequentially("HM-01-01-02")
    for code in ("P01", "P04", "S02"):
        page.select_option(f"select[name=reading_{code}]", "4")
    page.check("#id_source_reliability_0")
    page.check("#id_information_credibility_1")
    page.click("form.report-form button[type=submit]")
    page.wait_for_url("**/reports/*/")
    expect(page.locator(".notice-alert")).to_be_visible(timeout=SERVER_WORK_MS)
    shot(page, "2-report")
    assert english_shown(page, texts) == []
    alert = Alert.objects.get(community__code="HM-01-01-02", state=AlertState.OPEN)
    sign_out(page)

    # The CSO's responder opens the alert.
    sign_in_malay(page, base, "cso")
    page.goto(f"{base}/alerts/{alert.pk}/")
    expect(page.locator("h1")).to_be_visible()
    expect(page.locator(".timeline")).to_contain_text("Skor ")  # the score note, stored in English
    shot(page, "3-alert")
    assert english_shown(page, texts) == []
    sign_out(page)

    # The coordinator's heatmap: legend, matrix and chart axes in Malay.
    sign_in_malay(page, base, "coordinator")
    page.goto(f"{base}/heatmap/")
    expect(page.locator("#heatmap-map canvas").first).to_be_attached(timeout=SERVER_WORK_MS)
    page.wait_for_timeout(500)
    shot(page, "4-heatmap")
    assert english_shown(page, texts) == []
    page.goto(f"{base}/communities/HM-01-01-02/")
    expect(page.locator("[data-figure].is-drawn").first).to_be_attached(timeout=SERVER_WORK_MS)
    shot(page, "5-community")
    assert english_shown(page, texts) == []
    sign_out(page)

    assert outside == []
    assert errors == []
