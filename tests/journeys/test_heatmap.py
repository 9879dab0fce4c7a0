"""The coordinator's journey in headless Chromium: read the heatmap, drill into a community.

Debian's Chromium drives these (never a downloaded browser). Without it the tests skip,
unless EWERS_REQUIRE_BROWSER is set (CI sets it), in which case they fail. Screenshots
go to test-artifacts/. The map is Plotly's Choroplethmap on the "white-bg" style, so the
page must draw with no request leaving the live server and no CSP error.
"""

from __future__ import annotations

import pytest

from demo.partners import DEMO_PASSWORD
from demo.seed import seed_demo
from ewers.models import Region, User
from tests.chromium import ARTIFACTS, SERVER_WORK_MS, require_chromium, sign_in, watch

require_chromium()

from playwright.sync_api import Page, expect  # noqa: E402


def drawn_locations(page: Page, target: str) -> int:
    """How many areas the drawn figure's traces place on the map."""
    return page.evaluate(
        "(id) => document.getElementById(id).data.reduce((n, t) => n + (t.locations || []).length, 0)", target
    )


@pytest.mark.django_db(transaction=True)
def test_a_coordinator_reads_the_heatmap_and_drills_into_a_community(browser, live_server, settings):
    settings.DEBUG = True
    seed_demo()
    coordinator = User.objects.get(username="coordinator")
    communities = Region.objects.visible_to(coordinator).communities().count()
    districts = Region.objects.visible_to(coordinator).filter(level="district").count()
    assert communities > 0

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    outside, errors = watch(page)
    sign_in(page, live_server.url, "coordinator", DEMO_PASSWORD)
    page.click("nav.site-nav >> text=Heatmap")
    expect(page.locator("h1")).to_have_text("Risk heatmap")

    # The map: Plotly drew it (MapLibre's canvas), with one shape per community.
    expect(page.locator("#heatmap-map.is-drawn")).to_be_visible(timeout=SERVER_WORK_MS)
    assert page.locator("#heatmap-map.js-plotly-plot").count() == 1
    assert page.locator("#heatmap-map canvas").count() >= 1
    assert drawn_locations(page, "heatmap-map") == communities
    # Every community of the demo is assessed: all of them are in the coloured trace.
    colours = page.evaluate("document.getElementById('heatmap-map').data[0].locations.length")
    assert colours == communities

    # The matrix: 12 weeks, the current one last.
    expect(page.locator("#heatmap-matrix.is-drawn")).to_be_visible(timeout=SERVER_WORK_MS)
    assert page.evaluate("document.getElementById('heatmap-matrix').data[0].x.length") == 12
    page.wait_for_timeout(500)  # let MapLibre paint before the picture (not an assertion)
    page.screenshot(path=str(ARTIFACTS / "heatmap-communities.png"), full_page=True)

    # Districts: one shape per district.
    page.select_option("#id_level", "district")
    page.click("form.filters button[type=submit]")
    expect(page.locator("#heatmap-map.is-drawn")).to_be_visible(timeout=SERVER_WORK_MS)
    assert drawn_locations(page, "heatmap-map") == districts
    page.wait_for_timeout(500)
    page.screenshot(path=str(ARTIFACTS / "heatmap-districts.png"), full_page=True)

    # Drill down: a district's row opens its communities, a community's row its page.
    page.locator(".heatmap-table tbody th a").first.click()
    expect(page.locator("#heatmap-map.is-drawn")).to_be_visible(timeout=SERVER_WORK_MS)
    assert page.locator("#id_level").input_value() == "community"
    # The district's outline is drawn around its communities (a line layer of the map).
    assert page.locator("#heatmap-map-parent").count() == 1
    assert page.evaluate("document.getElementById('heatmap-map').layout.map.layers[0].type") == "line"
    page.wait_for_timeout(500)
    page.screenshot(path=str(ARTIFACTS / "heatmap-drilled.png"), full_page=True)
    page.locator(".heatmap-table tbody th a").first.click()
    page.wait_for_url("**/communities/*/")
    expect(page.locator("#community-trend.is-drawn")).to_be_visible(timeout=SERVER_WORK_MS)
    assert page.evaluate("document.getElementById('community-trend').data[0].y.length") > 1
    expect(page.locator("#community-explanation.is-drawn")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "community-page.png"), full_page=True)

    # The overview draws too.
    page.click("nav.site-nav >> text=Overview")
    expect(page.locator("#overview-levels.is-drawn")).to_be_visible(timeout=SERVER_WORK_MS)
    page.screenshot(path=str(ARTIFACTS / "overview.png"), full_page=True)

    # MapLibre starts its workers from blob: URLs of the page's own origin: not outside.
    assert [url for url in outside if not url.startswith(f"blob:{live_server.url}/")] == []
    assert errors == []
    page.close()
