"""The report form with no connection, in headless Chromium (docs/offline.md).

An analyst signs in (the service worker keeps the form), the network goes off, the form
still opens and a report saved there waits in the outbox (IndexedDB) with its own
Idempotency-Key; the network comes back and it is sent, once. A refusal coming back is
shown with the server's field messages; signing out warns about unsent reports and clears
the device.

``context.set_offline`` cuts the service worker's requests too (Playwright routes and
emulates a service worker's network since 1.5x; older ones did not).
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from ewers.models import Region
from indicators.models import FieldReport, Indicator
from tests import factories
from tests.chromium import ARTIFACTS, SERVER_WORK_MS, require_chromium, sign_in, watch

require_chromium()

from playwright.sync_api import BrowserContext, Page, expect  # noqa: E402

FORM = "/reports/new/"
DATA = "/reports/offline.json"
SOURCE = "Contact 9, ferry landing"


def network(context: BrowserContext, *, on: bool) -> None:
    """The connection off or on, for the pages and (Playwright 1.5x+) the service worker."""
    context.set_offline(not on)


def in_flight(context: BrowserContext) -> set[Any]:
    """The requests of the pages and the service worker on their way, kept up to date."""
    pending: set[Any] = set()
    context.on("request", lambda r: pending.add(r))
    context.on("requestfinished", lambda r: pending.discard(r))
    context.on("requestfailed", lambda r: pending.discard(r))
    return pending


def settle(page: Page, pending: set[Any]) -> None:
    """Wait until no request has been on its way for half a second."""
    quiet = 0
    for _ in range(100):
        page.wait_for_timeout(100)
        quiet = quiet + 1 if not pending else 0
        if quiet >= 5:
            return


def wait_until_kept(page: Page) -> None:
    """Wait until the service worker controls the page and keeps the form and its data;
    fail with what the browser holds (the registration's workers, the caches) if not."""
    kept = page.evaluate(
        """async ([form, data]) => {
          for (let i = 0; i < 600; i += 1) {  // up to 60 s: a loaded 2-core machine
            if (navigator.serviceWorker.controller) {
              for (const name of await caches.keys()) {
                const cache = await caches.open(name);
                if (await cache.match(form) && await cache.match(data)) { return true; }
              }
            }
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
          return false;
        }""",
        [FORM, DATA],
    )
    if not kept:
        state = page.evaluate("""async () => {
          const out = {controller: !!navigator.serviceWorker.controller, caches: {}};
          const reg = await navigator.serviceWorker.getRegistration();
          out.reg = reg ? {active: !!reg.active, installing: !!reg.installing, waiting: !!reg.waiting} : null;
          for (const name of await caches.keys()) {
            out.caches[name] = (await (await caches.open(name)).keys()).map((r) => r.url);
          }
          return out;
        }""")
        pytest.fail(f"the service worker did not keep the form: {state}")


def open_form_kept(context: BrowserContext, base: str) -> Page:
    """Sign in as the cast's analyst, open the form and wait until the worker keeps it."""
    pending = in_flight(context)
    page = context.new_page()
    sign_in(page, base, "ana", factories.PASSWORD)
    page.goto(base + FORM)
    expect(page.locator("h1")).to_have_text("New field report")
    wait_until_kept(page)
    settle(page, pending)  # the worker's refresh of the form, asked for by each signed-in page
    return page


def drop_workers_requests(context: BrowserContext, path: str, times: int, *, answer: bool = True) -> list[Any]:
    """Make the service worker's first ``times`` requests for ``path`` fail on their way (a
    dropped connection) or, with ``answer=False``, never be answered; the pages' own
    requests go through. Returns the service worker that made each dropped request (a new
    install is a new worker)."""
    dropped: list[Any] = []

    def handle(route: Any) -> None:
        if route.request.service_worker is not None and len(dropped) < times:
            dropped.append(route.request.service_worker)
            if answer:
                route.abort("connectionreset")
        else:
            route.continue_()

    context.route(f"**{path}", handle)
    return dropped


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("times", "answer"),
    [
        pytest.param(2, True, id="the worker asks again for a file it could not fetch"),
        pytest.param(3, True, id="the page installs the worker again when its install failed"),
        pytest.param(1, False, id="the worker gives up a request with no answer and asks again"),
    ],
)
def test_the_form_is_kept_though_a_file_was_lost_on_its_way(browser, live_server, cast, times, answer):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    dropped = drop_workers_requests(context, "/static/css/ewers.css", times, answer=answer)
    page = open_form_kept(context, live_server.url)
    # The worker asked again on its own (one worker made every dropped request); when all
    # three of its tries were lost, its install failed and the page installed a new one.
    assert len(dropped) == times and len({id(worker) for worker in dropped}) == 1

    network(context, on=False)
    response = page.reload()
    assert response is not None and response.from_service_worker
    expect(page.locator("h1")).to_have_text("New field report")
    # The kept style sheet is the one the offline form is drawn with.
    assert page.evaluate(
        "[...document.styleSheets].some((s) => (s.href || '').includes('ewers.css') && s.cssRules.length > 0)"
    )
    expect(page.locator("#offline-notice")).to_be_visible()
    context.close()


@pytest.mark.django_db(transaction=True)
def test_a_page_the_worker_missed_asks_to_be_claimed(browser, live_server, cast):
    # A page still loading when the worker was activated can miss its claim (CI, once):
    # the worker active, the form kept, the page without a controller. Loaded past the
    # worker (as Chromium's bypass loads it), the form is such a page; it asks the worker
    # to claim it, and is then served by it.
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = open_form_kept(context, live_server.url)
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setBypassServiceWorker", {"bypass": True})
    page.reload()
    cdp.send("Network.setBypassServiceWorker", {"bypass": False})
    expect(page.locator("h1")).to_have_text("New field report")
    assert page.evaluate(
        """async (ms) => {
          for (let waited = 0; waited < ms; waited += 100) {
            if (navigator.serviceWorker.controller) { return true; }
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
          return false;
        }""",
        SERVER_WORK_MS,
    ), "the page was left without the worker"
    network(context, on=False)
    response = page.reload()
    assert response is not None and response.from_service_worker
    context.close()


def fill(page: Page, community: str, *, observed: str | None = None) -> None:
    page.fill("#id_community", community)
    if observed is not None:
        page.fill("#id_observed_at", observed)
    page.select_option("#id_reading_P01", "3")
    page.check("#id_source_reliability_1")  # B
    page.check("#id_information_credibility_1")  # 2
    page.fill("#id_narrative", "Leaflets at the market calling for a boycott.")
    page.fill("#id_source_reference", SOURCE)


def outbox_records(page: Page) -> list[dict[str, Any]]:
    return page.evaluate("window.EwersOutbox.all()")  # type: ignore[no-any-return]


@pytest.mark.django_db(transaction=True)
def test_a_report_saved_offline_is_sent_once_when_the_connection_returns(browser, live_server, cast):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = open_form_kept(context, live_server.url)
    outside, _errors = watch(page)

    # What the server would answer now differs from the kept copy: the copy is what opens.
    c1 = cast.places["c1"]
    Region.objects.filter(pk=c1.pk).update(name="Renamed while offline")
    network(context, on=False)
    response = page.reload()
    assert response is not None and response.from_service_worker
    expect(page.locator("h1")).to_have_text("New field report")
    expect(page.locator("#offline-notice")).to_be_visible()
    assert (
        page.locator(f"#community-options option[value='{c1.code}']").text_content()
        == f"{c1.name} ({c1.code}) — T district"
    )
    assert page.evaluate("fetch('/healthz').then(() => 'reached', () => 'cut')") == "cut"
    # The time box starts from now in the site's zone, however old the kept copy.
    shown = datetime.strptime(page.input_value("#id_observed_at"), "%Y-%m-%dT%H:%M")
    assert abs(timezone.make_naive(timezone.now()) - shown) < timedelta(minutes=2)
    fill(page, c1.code)
    page.click("form.report-form button[type=submit]")

    waiting = page.locator(".outbox-item")
    expect(waiting).to_have_count(1)
    expect(waiting).to_have_attribute("data-state", "waiting")
    expect(waiting).to_contain_text("Waiting to be sent")
    expect(page.locator("#outbox-status")).to_contain_text("Saved on this device")
    page.screenshot(path=str(ARTIFACTS / "offline-outbox-waiting.png"), full_page=True)
    assert FieldReport.objects.count() == 0
    [record] = outbox_records(page)
    assert record["body"]["source_reference"] == SOURCE
    assert record["body"]["observed_at"].endswith("+08:00")  # the site's zone, Asia/Kuala_Lumpur

    # Closing the tab loses nothing: a new tab, still offline, shows it waiting.
    page.close()
    page = context.new_page()
    page.goto(live_server.url + FORM)
    expect(page.locator(".outbox-item[data-state=waiting]")).to_have_count(1)

    network(context, on=True)
    page.evaluate("window.dispatchEvent(new Event('online'))")  # the browser's own may come first
    sent = page.locator(".outbox-item[data-state=sent]")
    expect(sent).to_have_count(1, timeout=SERVER_WORK_MS)
    report = FieldReport.objects.get()
    expect(sent.locator("a")).to_have_text(f"Sent as report #{report.pk}")
    expect(sent.locator("a")).to_have_attribute("href", f"/reports/{report.pk}/")
    assert report.idempotency_key == record["key"]
    assert report.source_reference == SOURCE
    assert report.community == cast.places["c1"] and report.grading == "B2"
    page.screenshot(path=str(ARTIFACTS / "offline-outbox-sent.png"), full_page=True)
    # Nothing kept on the device names the source once the report has left.
    assert SOURCE not in json.dumps(outbox_records(page))

    # A resend (a lost answer, another tab) with the record's key makes no second report.
    status = page.evaluate(
        """async ([key, body]) => {
          const me = await (await fetch('/reports/offline.json', {cache: 'no-store'})).json();
          const response = await fetch('/api/v1/reports/', {
            method: 'POST', body: JSON.stringify(body),
            headers: {'Content-Type': 'application/json', 'X-CSRFToken': me.csrf_token, 'Idempotency-Key': key},
          });
          return [response.status, (await response.json()).id];
        }""",
        [record["key"], record["body"]],
    )
    assert status == [200, report.pk]
    assert FieldReport.objects.count() == 1
    assert outside == []

    # Installable: Chromium's only objection is the test's private (incognito-like) profile.
    devtools = context.new_cdp_session(page)
    problems = devtools.send("Page.getInstallabilityErrors")["installabilityErrors"]
    devtools.detach()
    assert [p["errorId"] for p in problems] == ["in-incognito"]
    context.close()


@pytest.mark.django_db(transaction=True)
def test_the_service_workers_sync_sends_the_outbox_with_no_form_open(browser, live_server, cast):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = open_form_kept(context, live_server.url)
    network(context, on=False)
    page.reload()
    fill(page, cast.places["c1"].code)
    page.click("form.report-form button[type=submit]")
    expect(page.locator(".outbox-item[data-state=waiting]")).to_have_count(1)
    blank = context.new_page()
    page.close()  # no page left to send it: only the worker can
    network(context, on=True)

    devtools = context.new_cdp_session(blank)
    registrations: list[dict[str, Any]] = []
    devtools.on("ServiceWorker.workerRegistrationUpdated", lambda e: registrations.extend(e["registrations"]))
    devtools.send("ServiceWorker.enable")
    for _ in range(50):
        if registrations:
            break
        blank.wait_for_timeout(100)
    [registration] = [r for r in registrations if not r["isDeleted"]]
    devtools.send(
        "ServiceWorker.dispatchSyncEvent",
        {
            "origin": live_server.url,
            "registrationId": registration["registrationId"],
            "tag": "ewers-outbox",
            "lastChance": False,
        },
    )
    for _ in range(100):
        if FieldReport.objects.exists():
            break
        blank.wait_for_timeout(100)
    report = FieldReport.objects.get()
    devtools.send("ServiceWorker.disable")
    devtools.detach()

    page = context.new_page()
    page.goto(live_server.url + FORM)
    expect(page.locator(".outbox-item[data-state=sent] a")).to_have_text(f"Sent as report #{report.pk}")
    assert FieldReport.objects.count() == 1
    context.close()


@pytest.mark.django_db(transaction=True)
def test_a_refusal_for_a_queued_report_shows_the_servers_field_messages(browser, live_server, cast):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = open_form_kept(context, live_server.url)

    network(context, on=False)
    page.reload()
    tomorrow = timezone.localtime(timezone.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    fill(page, cast.places["c1"].code, observed=tomorrow)
    page.click("form.report-form button[type=submit]")
    expect(page.locator(".outbox-item[data-state=waiting]")).to_have_count(1)

    network(context, on=True)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    refused = page.locator(".outbox-item[data-state=refused]")
    expect(refused).to_have_count(1, timeout=SERVER_WORK_MS)
    expect(refused).to_contain_text("Refused by the server")
    expect(refused.locator(".errorlist")).to_contain_text("Observed at: ")
    expect(refused.locator(".errorlist")).to_contain_text("future")
    page.screenshot(path=str(ARTIFACTS / "offline-outbox-refused.png"), full_page=True)
    assert FieldReport.objects.count() == 0
    assert SOURCE not in json.dumps(outbox_records(page))

    # Put back in the form to be corrected (the source reference was not kept).
    refused.locator("button", has_text="Put back in the form").click()
    expect(page.locator(".outbox-item")).to_have_count(0)
    expect(page.locator("#id_community")).to_have_value(cast.places["c1"].code)
    expect(page.locator("#id_observed_at")).to_have_value(tomorrow)
    expect(page.locator("#id_reading_P01")).to_have_value("3")
    expect(page.locator("#id_source_reliability_1")).to_be_checked()
    expect(page.locator("#id_narrative")).to_have_value("Leaflets at the market calling for a boycott.")
    expect(page.locator("#id_source_reference")).to_have_value("")

    # An indicator retired while a report naming it waited: refused, the reading named.
    network(context, on=False)
    an_hour_ago = timezone.localtime(timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    fill(page, cast.places["c1"].code, observed=an_hour_ago)
    page.click("form.report-form button[type=submit]")
    expect(page.locator(".outbox-item[data-state=waiting]")).to_have_count(1)
    Indicator.objects.filter(pk=cast.indicator.pk).update(is_active=False)
    network(context, on=True)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(refused).to_have_count(1, timeout=SERVER_WORK_MS)
    expect(refused.locator(".errorlist")).to_contain_text("Indicator readings")
    assert FieldReport.objects.count() == 0
    # Removed from the device by the person who read it.
    refused.locator("button", has_text="Remove from this device").click()
    expect(page.locator(".outbox-item")).to_have_count(0)
    context.close()


@pytest.mark.django_db(transaction=True)
def test_signing_out_warns_about_unsent_reports_and_clears_the_device(browser, live_server, cast):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = open_form_kept(context, live_server.url)
    network(context, on=False)
    page.reload()
    fill(page, cast.places["c1"].code)
    page.click("form.report-form button[type=submit]")
    expect(page.locator(".outbox-item[data-state=waiting]")).to_have_count(1)
    # Back online, but the report cannot get through yet: it stays unsent.
    context.route("**/api/v1/reports/", lambda route: route.abort("connectionrefused"))
    network(context, on=True)
    page.goto(live_server.url + "/")

    messages: list[str] = []

    def answer(dialog: Any, accept: bool) -> None:
        messages.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda d: answer(d, accept=False))
    page.click(".logout-form button[type=submit]")
    for _ in range(50):  # the warning comes once the outbox has been read
        if messages:
            break
        page.wait_for_timeout(100)
    assert messages and "not yet sent: 1" in messages[0]
    expect(page.locator(".user-name")).to_be_visible()  # still signed in
    assert len(outbox_records(page)) == 1

    page.once("dialog", lambda d: answer(d, accept=True))
    page.click(".logout-form button[type=submit]")
    page.wait_for_url("**/login/**")
    left = page.evaluate(
        """async () => ({
          databases: (await indexedDB.databases()).map((d) => d.name),
          caches: await caches.keys(),
          workers: (await navigator.serviceWorker.getRegistrations()).length,
        })"""
    )
    assert left == {"databases": [], "caches": [], "workers": 0}
    assert FieldReport.objects.count() == 0
    context.close()


@pytest.mark.django_db(transaction=True)
def test_readme_reporting_without_a_connection(browser, live_server, settings):
    """README's "Reporting without a connection", step by step, on a freshly seeded demo."""
    from demo.partners import DEMO_PASSWORD
    from demo.seed import seed_demo

    settings.DEBUG = True
    seed_demo()
    before = FieldReport.objects.count()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pending = in_flight(context)
    page = context.new_page()
    outside, _errors = watch(page)
    base = live_server.url

    # 1. Sign in as analyst and open New report once.
    sign_in(page, base, "analyst", DEMO_PASSWORD)
    page.click("nav.site-nav >> text=New report")
    expect(page.locator("h1")).to_have_text("New field report")
    wait_until_kept(page)
    settle(page, pending)

    # 2. Cut the connection, reload /reports/new/: the form opens, with its notice.
    network(context, on=False)
    page.reload()
    expect(page.locator("h1")).to_have_text("New field report")
    expect(page.locator("#offline-notice")).to_contain_text("No connection")

    # 3. HM-01-01-02, P01 at 3, grade B2, Save report: waiting in the Outbox.
    page.fill("#id_community", "HM-01-01-02")
    page.select_option("select[name=reading_P01]", "3")
    page.check("#id_source_reliability_1")  # B
    page.check("#id_information_credibility_1")  # 2
    page.click("button:has-text('Save report')")
    expect(page.locator("#outbox h2")).to_have_text("Outbox: reports saved on this device")
    expect(page.locator(".outbox-item")).to_contain_text("Waiting to be sent")
    page.screenshot(path=str(ARTIFACTS / "readme-offline-3-waiting.png"), full_page=True)

    # 4. Reconnect: sent by itself as report #N, a link to it.
    network(context, on=True)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    link = page.locator(".outbox-item[data-state=sent] a")
    expect(link).to_have_text(re.compile(r"Sent as report #\d+"), timeout=SERVER_WORK_MS)
    report = FieldReport.objects.latest("pk")
    assert FieldReport.objects.count() == before + 1
    assert report.community.code == "HM-01-01-02" and report.grading == "B2"
    link.click()
    page.wait_for_url(f"**/reports/{report.pk}/")
    page.screenshot(path=str(ARTIFACTS / "readme-offline-4-sent.png"), full_page=True)

    # 5. Sign out clears the device (nothing unsent: no warning).
    page.click(".logout-form button")
    page.wait_for_url("**/login/**")
    assert page.evaluate("caches.keys()") == []
    assert page.evaluate("navigator.serviceWorker.getRegistrations().then((r) => r.length)") == 0
    assert outside == []
    context.close()
