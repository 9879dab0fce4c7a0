"""The responder's journey in headless Chromium: see the assignment at home, open the
alert, acknowledge, start and complete it; then the coordinator resolves the alert.

Debian's Chromium drives these (never a downloaded browser). Without it the tests skip,
unless EWERS_REQUIRE_BROWSER is set (CI sets it), in which case they fail. Screenshots
go to test-artifacts/.
"""

from __future__ import annotations

import pytest

from alerts.choices import AlertState, AssignmentState
from alerts.models import Alert, Assignment
from indicators.choices import Category
from indicators.services import report_score
from tests import factories
from tests.chromium import ARTIFACTS, require_chromium, sign_in, sign_out, watch

require_chromium()

from playwright.sync_api import expect  # noqa: E402

SECRET = "Contact 12, brother of the shopkeeper"
NARRATIVE = "Youths gathered behind the surau after the sermon, some carrying machetes."


@pytest.mark.django_db(transaction=True)
def test_the_cso_works_its_assignment_and_the_coordinator_resolves(browser, live_server, cast):
    # A trigger report raises a critical alert; routing gives it to the CSO.
    trigger = factories.make_indicator("TRG", theme=cast.indicator.theme, category=Category.TRIGGER)
    report = factories.make_report(
        cast.analyst,
        cast.places["c1"],
        trigger,
        value=4,
        source_reference=SECRET,
        narrative=NARRATIVE,
        enqueue_scoring=False,
    )
    report_score(report_id=report.pk)
    alert = Alert.objects.get(community=cast.places["c1"], state=AlertState.OPEN)
    assignment = Assignment.objects.get(alert=alert, organisation=cast.cso)

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    outside, errors = watch(page)
    sign_in(page, live_server.url, "cso", factories.PASSWORD)
    expect(page.locator("h1")).to_have_text("Response desk")
    row = page.locator("section[aria-labelledby=assignments-heading] tbody tr").first
    expect(row).to_contain_text("T village one")
    expect(row).to_contain_text("Critical")
    expect(row).to_contain_text("left")
    expect(page.locator("nav.site-nav .nav-count")).to_have_text("1 unread")
    page.screenshot(path=str(ARTIFACTS / "responder-home.png"), full_page=True)

    row.locator("a", has_text="T village one").click()
    page.wait_for_url(f"**/alerts/{alert.pk}/")
    expect(page.locator(".report-narratives")).to_contain_text("some carrying machetes")
    assert SECRET not in page.content()
    page.screenshot(path=str(ARTIFACTS / "responder-alert.png"), full_page=True)

    page.click("button:has-text('Acknowledge')")
    expect(page.locator(".message-success")).to_have_text("Assignment acknowledged.")
    page.click("button:has-text('Start work')")
    expect(page.locator(".message-success")).to_have_text("Work on the assignment has started.")
    page.fill(
        f"#id_complete_{assignment.pk}_outcome", "Met the imam and the youth leaders; a dialogue is set for Friday."
    )
    page.click("button:has-text('Complete')")
    expect(page.locator(".message-success")).to_have_text("Assignment completed. Thank you.")
    expect(page.locator(f"#assignment-{assignment.pk} .badge.state-completed")).to_be_visible()
    assert Assignment.objects.get(pk=assignment.pk).state == AssignmentState.COMPLETED
    page.screenshot(path=str(ARTIFACTS / "responder-completed.png"), full_page=True)
    page.click("nav.site-nav >> text=Assignments")
    expect(page.locator("h1")).to_have_text("Assignments")
    expect(page.locator("tbody tr").first).to_contain_text("Completed")
    page.screenshot(path=str(ARTIFACTS / "responder-assignments.png"), full_page=True)
    sign_out(page)

    sign_in(page, live_server.url, "coord", factories.PASSWORD)
    page.goto(f"{live_server.url}/alerts/{alert.pk}/")
    page.click("summary:has-text('Resolve')")
    page.check("input[name=outcome][value=no]")
    page.fill("#id_resolve_note", "The CSO mediated; calm returned.")
    page.screenshot(path=str(ARTIFACTS / "coordinator-alert-actions.png"), full_page=True)
    page.click("button:has-text('Resolve alert')")
    expect(page.locator(".message-success")).to_have_text(
        f"Alert #{alert.pk} is resolved; every organisation that held it is told."
    )
    expect(page.locator(".badge.alert-state-resolved")).to_be_visible()
    timeline = page.locator(".timeline")
    for step in ("Opened", "Assigned", "Acknowledged", "Work started", "Completed", "Resolved"):
        expect(timeline).to_contain_text(step)
    expect(timeline).to_contain_text("a dialogue is set for Friday")
    expect(timeline).to_contain_text("by coord")
    page.screenshot(path=str(ARTIFACTS / "coordinator-resolved.png"), full_page=True)
    page.click("nav.site-nav >> text=Home")
    expect(page.locator("h1")).to_have_text("Coordination overview")
    expect(page.locator("section[aria-labelledby=alerts-heading]")).to_contain_text("No open alerts in your regions.")
    page.screenshot(path=str(ARTIFACTS / "coordinator-home.png"), full_page=True)
    alert.refresh_from_db()
    assert (alert.state, alert.outcome) == (AlertState.RESOLVED, "no")
    assert outside == []
    assert errors == []
    page.close()


@pytest.mark.django_db(transaction=True)
def test_the_alert_page_fits_a_phone(browser, live_server, cast):
    trigger = factories.make_indicator("TRG", theme=cast.indicator.theme, category=Category.TRIGGER)
    report = factories.make_report(cast.analyst, cast.places["c1"], trigger, value=4, enqueue_scoring=False)
    report_score(report_id=report.pk)
    alert = Alert.objects.get(community=cast.places["c1"], state=AlertState.OPEN)
    page = browser.new_page(viewport={"width": 375, "height": 740}, is_mobile=True)
    sign_in(page, live_server.url, "cso", factories.PASSWORD)
    page.goto(f"{live_server.url}/alerts/{alert.pk}/")
    expect(page.locator("button:has-text('Acknowledge')")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # no sideways scrolling
    page.screenshot(path=str(ARTIFACTS / "responder-alert-phone.png"), full_page=True)
    page.close()
