"""README's walk through the response, word for word, in headless Chromium on a freshly
seeded demo: a report raises an alert; it goes to the first tier (the CSO, and the agency
for social exclusion), not the police; the CSO writes a note to every organisation on it,
acknowledges, starts and completes; the coordinator resolves; every holder is told and
shown the closing summary; the heatmap and the overview.

Each step is the one README.md tells a new user to take; if the README changes, this
changes with it. Screenshots go to test-artifacts/readme-*.png.
"""

from __future__ import annotations

import pytest

from alerts.choices import AlertState, AssignmentState, NotificationKind
from alerts.models import Alert, Assignment, Notification
from demo.partners import DEMO_PASSWORD
from demo.seed import seed_demo
from tests.chromium import ARTIFACTS, SERVER_WORK_MS, require_chromium, sign_in, sign_out, watch

require_chromium()

from playwright.sync_api import Page, expect  # noqa: E402

NOTE = "We meet the mosque and temple committees tonight; agency colleagues welcome."


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"readme-{name}.png"), full_page=True)


@pytest.mark.django_db(transaction=True)
def test_readme_walk_through_the_response(browser, live_server, settings):
    settings.DEBUG = True
    seed_demo()
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    outside, errors = watch(page)
    base = live_server.url

    # 1. analyst → New report → HM-01-01-02, P01, P04 and S02 at 4, grade A2, Save report.
    sign_in(page, base, "analyst", DEMO_PASSWORD)
    page.click("nav.site-nav >> text=New report")
    page.locator("#id_community").press_sequentially("HM-01-01-02")
    for code in ("P01", "P04", "S02"):
        page.select_option(f"select[name=reading_{code}]", "4")
    page.check("#id_source_reliability_0")  # A
    page.check("#id_information_credibility_1")  # 2
    page.click("button:has-text('Save report')")
    page.wait_for_url("**/reports/*/")
    expect(page.locator(".score-level .badge")).to_have_text("High", timeout=SERVER_WORK_MS)
    expect(page.locator(".notice-alert")).to_contain_text("Alert open for this community")
    shot(page, "1-report")
    alert = Alert.objects.get(community__code="HM-01-01-02", state=AlertState.OPEN)
    sign_out(page)

    # 2. cso and agency see the new assignment on their home; police do not.
    for login, sees in (("cso", True), ("agency", True), ("police", False)):
        sign_in(page, base, login, DEMO_PASSWORD)
        desk = page.locator("section[aria-labelledby=assignments-heading]")
        if sees:
            expect(desk).to_contain_text("Batu Melati")
        else:
            expect(desk).not_to_contain_text("Batu Melati")
        shot(page, f"2-home-{login}")
        sign_out(page)
    assert {a.organisation.code for a in Assignment.objects.filter(alert=alert)} == {
        "jaringan-damai",
        "national-unity",
    }

    # 3. cso opens the alert: co-responders, then a note to every organisation on it.
    sign_in(page, base, "cso", DEMO_PASSWORD)
    page.locator("section[aria-labelledby=assignments-heading] a", has_text="Batu Melati").first.click()
    page.wait_for_url(f"**/alerts/{alert.pk}/")
    expect(page.locator("section[aria-labelledby=co-responders-heading]")).to_contain_text(
        "Department of National Unity"
    )
    page.click("summary:has-text('Add a note')")
    page.check("input[name=audience][value=assigned]")  # All organisations on this alert
    page.fill("#id_note_text", NOTE)
    page.click("button:has-text('Add note')")
    expect(page.locator(".message-success")).to_have_text("Note added; its readers are told.")
    expect(page.locator(".timeline")).to_contain_text(NOTE)
    shot(page, "3-note")

    # 4. cso: Acknowledge, Start work, Complete with an outcome.
    mine = Assignment.objects.get(alert=alert, organisation__code="jaringan-damai")
    page.click("button:has-text('Acknowledge')")
    expect(page.locator(".message-success")).to_have_text("Assignment acknowledged.")
    page.click("button:has-text('Start work')")
    page.fill(f"#id_complete_{mine.pk}_outcome", "Both committees met; a joint statement is out.")
    page.click("button:has-text('Complete')")
    expect(page.locator(".message-success")).to_have_text("Assignment completed. Thank you.")
    shot(page, "4-completed")
    sign_out(page)

    # ... and agency finds the note on the timeline and in its notifications.
    sign_in(page, base, "agency", DEMO_PASSWORD)
    page.click("nav.site-nav >> text=Notifications")
    expect(page.locator(".notification-list")).to_contain_text("a note from Jaringan Damai")
    page.goto(f"{base}/alerts/{alert.pk}/")
    expect(page.locator(".timeline")).to_contain_text(NOTE)
    sign_out(page)

    # 5. coordinator opens the alert from its home and resolves: No incident followed.
    sign_in(page, base, "coordinator", DEMO_PASSWORD)
    page.locator("section[aria-labelledby=alerts-heading] a", has_text=f"#{alert.pk}").first.click()
    page.wait_for_url(f"**/alerts/{alert.pk}/")
    page.click("summary:has-text('Resolve')")
    page.check("input[name=outcome][value=no]")  # No incident followed
    page.fill("#id_resolve_note", "Committees met; no further incident.")
    page.click("button:has-text('Resolve alert')")
    expect(page.locator(".message-success")).to_have_text(
        f"Alert #{alert.pk} is resolved; every organisation that held it is told."
    )
    shot(page, "5-resolved")
    agency = Assignment.objects.get(alert=alert, organisation__code="national-unity")
    assert agency.state == AssignmentState.CLOSED
    told = Notification.objects.filter(alert=alert, kind=NotificationKind.CLOSED)
    assert set(told.values_list("user__username", flat=True)) >= {"cso", "agency"}

    # 6. coordinator → Heatmap and Overview.
    page.click("nav.site-nav >> text=Heatmap")
    expect(page.locator("#heatmap-map canvas").first).to_be_attached(timeout=SERVER_WORK_MS)
    expect(page.locator(".legend-title")).to_have_text("Level of each community")
    page.select_option("#id_level", "district")
    page.click("form.filters button[type=submit]")
    expect(page.locator(".legend-title")).to_have_text("Level of the highest community")
    shot(page, "6-heatmap")
    page.click("nav.site-nav >> text=Overview")
    expect(page.locator("section[aria-labelledby=police-heading]")).to_contain_text("Handled without the police")
    shot(page, "6-overview")
    sign_out(page)

    # The holders are told, and the alert opens for them as its closing summary.
    for login in ("cso", "agency"):
        sign_in(page, base, login, DEMO_PASSWORD)
        page.click("nav.site-nav >> text=Notifications")
        closed = page.locator(".notification", has_text="Closed").first
        expect(closed).to_contain_text("resolved — no incident followed")
        closed.locator("a.notification-subject").click()
        expect(page.locator("#summary-heading")).to_have_text("Closing summary")
        expect(page.locator("body")).not_to_contain_text(NOTE)  # nothing of the conversation
        shot(page, f"closing-summary-{login}")
        sign_out(page)
    assert outside == []
    assert errors == []
    page.close()
