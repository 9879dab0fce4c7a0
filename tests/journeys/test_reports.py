"""The analyst's journey in headless Chromium: log a report in the browser and watch it scored.

Debian's Chromium drives these (never a downloaded browser). Without it the tests skip,
unless EWERS_REQUIRE_BROWSER is set (CI sets it), in which case they fail. Screenshots
go to test-artifacts/.
"""

from __future__ import annotations

import pytest

from demo.partners import DEMO_PASSWORD
from demo.seed import seed_demo
from indicators.models import FieldReport
from indicators.services import report_score
from tests import factories
from tests.chromium import ARTIFACTS, SERVER_WORK_MS, require_chromium, sign_in, watch

require_chromium()

from playwright.sync_api import expect  # noqa: E402


@pytest.mark.django_db(transaction=True)
def test_an_analyst_logs_a_report_and_sees_it_scored(browser, live_server, settings):
    settings.DEBUG = True
    seed_demo()
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    outside, errors = watch(page)
    sign_in(page, live_server.url, "analyst", DEMO_PASSWORD)

    page.click("nav.site-nav >> text=New report")
    expect(page.locator("h1")).to_have_text("New field report")
    community = page.locator("#community-options option").first.get_attribute("value")
    assert community
    page.locator("#id_community").press_sequentially(community)
    # Every risk indicator at the top of its scale; resilience left "not observed".
    for select in page.locator(".reading-row:not(.is-resilience) select").all():
        select.select_option(index=select.locator("option").count() - 1)
    page.check("#id_source_reliability_0")  # A — completely reliable
    page.check("#id_information_credibility_0")  # 1 — confirmed
    page.fill("#id_narrative", "Calls to retaliate after last night's incident; weapons seen at the meeting place.")
    page.fill("#id_source_reference", "Contact 7, market")
    page.screenshot(path=str(ARTIFACTS / "report-form.png"), full_page=True)
    page.click("form.report-form button[type=submit]")

    page.wait_for_url("**/reports/*/")
    expect(page.locator("h1")).to_contain_text("Report #")
    expect(page.locator(".score-number")).to_be_visible(timeout=SERVER_WORK_MS)
    expect(page.locator(".score-level .badge")).to_have_text("Critical")
    expect(page.locator(".notice-alert")).to_contain_text("Alert open for this community")
    report = FieldReport.objects.get(pk=int(page.url.rstrip("/").rsplit("/", 1)[1]))
    assert report.community.code == community and report.grading == "A1"
    assert "Contact 7, market" in page.content()
    page.screenshot(path=str(ARTIFACTS / "report-scored.png"), full_page=True)
    assert outside == []
    assert errors == []
    page.close()


@pytest.mark.django_db(transaction=True)
def test_the_status_panel_updates_itself_once_the_report_is_scored(browser, live_server, cast):
    report = factories.make_report(cast.analyst, cast.places["c1"], cast.indicator, value=4, enqueue_scoring=False)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    outside, errors = watch(page)
    sign_in(page, live_server.url, "ana", factories.PASSWORD)
    page.goto(f"{live_server.url}/reports/{report.pk}/")
    expect(page.locator("#report-status")).to_contain_text("Scoring…")
    report_score(report_id=report.pk)  # the worker's turn
    expect(page.locator(".score-number")).to_be_visible(timeout=SERVER_WORK_MS)  # htmx polled, under the CSP
    # Scored: the panel stops polling altogether.
    assert page.locator("#report-status").get_attribute("hx-trigger") is None
    assert outside == []
    assert errors == []
    page.close()


@pytest.mark.django_db(transaction=True)
def test_the_report_form_fits_a_phone(browser, live_server, cast):
    page = browser.new_page(viewport={"width": 375, "height": 740}, is_mobile=True)
    sign_in(page, live_server.url, "ana", factories.PASSWORD)
    page.goto(f"{live_server.url}/reports/new/")
    expect(page.locator("h1")).to_have_text("New field report")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # no sideways scrolling
    page.screenshot(path=str(ARTIFACTS / "report-form-phone.png"), full_page=True)
    # A submission with nothing filled in comes back with its errors listed first.
    page.click("form.report-form button[type=submit]")
    expect(page.locator("#error-summary")).to_be_focused()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=str(ARTIFACTS / "report-form-errors-phone.png"))
    page.close()
