"""Login, logout and the home page of each role, as a browser would use them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from alerts.models import Alert
from config import homes
from demo.partners import DEMO_PASSWORD
from demo.seed import seed_demo
from ewers.choices import RiskLevel
from tests import factories
from tests.queries import count_queries

pytestmark = pytest.mark.django_db

HOME_HEADINGS = {
    "analyst": "Analyst workspace",
    "police": "Response desk",
    "agency": "Response desk",
    "cso": "Response desk",
    "coordinator": "Coordination overview",
    "admin": "Administration",
}


def login(client: Client, username: str, password: str):
    """Sign in as a browser does: the password, then (coordinators, administrators) the code."""
    response = client.post(reverse("login"), {"login": username, "password": password}, follow=True)
    if response.redirect_chain and response.redirect_chain[-1][0] == reverse("mfa_authenticate"):
        response = client.post(reverse("mfa_authenticate"), {"code": factories.totp_code()}, follow=True)
    return response


def test_the_login_page_is_served_to_anyone(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert "Sign in to EWERS" in response.content.decode()


def test_the_home_page_asks_for_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_every_demo_user_logs_in_and_lands_on_the_page_for_their_role(settings, django_user_model):
    settings.DEBUG = True
    seed_demo()
    for username, heading in HOME_HEADINGS.items():
        client = Client()
        response = login(client, username, DEMO_PASSWORD)
        page = response.content.decode()
        assert response.status_code == 200, username
        assert response.redirect_chain[-1][0] == reverse("home"), username
        assert f"<h1>{heading}</h1>" in page, username
        user = django_user_model.objects.get(username=username)
        assert user.get_full_name() in page  # the header names who is signed in


def test_the_analyst_sees_their_organisations_latest_reports(cast, client):
    factories.make_report(cast.analyst, cast.places["c1"], cast.indicator)
    factories.make_report(cast.other_analyst, cast.other_places["c1"], cast.indicator)
    client.force_login(cast.analyst)
    page = client.get(reverse("home")).content.decode()
    assert "T village one" in page
    assert "U village one" not in page


def test_the_responder_sees_their_organisations_assignments_only(cast, client):
    alert = Alert.objects.create(community=cast.places["c1"], level=RiskLevel.HIGH)
    factories.make_assignment(alert=alert, organisation=cast.cso, due_at=timezone.now() - timedelta(minutes=5))
    other = Alert.objects.create(community=cast.other_places["c2"], level=RiskLevel.CRITICAL)
    factories.make_assignment(alert=other, organisation=cast.police, due_at=timezone.now() + timedelta(hours=1))
    client.force_login(cast.cso_user)
    page = client.get(reverse("home")).content.decode()
    assert "T village one" in page
    assert 'class="badge badge-overdue"' in page
    assert "U village two" not in page


def test_the_coordinator_sees_the_regions_covered(cast, client):
    factories.make_report(cast.analyst, cast.places["c1"], cast.indicator)
    factories.make_report(cast.other_analyst, cast.other_places["c1"], cast.indicator)
    client.force_login(cast.coordinator)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    [row] = response.context["summary"].regions
    assert (row.region.code, row.communities, row.reports_recent) == ("T", 2, 1)
    assert "U land" not in response.content.decode()
    assert "No open alerts in your regions." in response.content.decode()


def test_the_coordinator_sees_open_alerts_by_level(cast, client):
    Alert.objects.create(community=cast.places["c1"], level=RiskLevel.HIGH)
    Alert.objects.create(community=cast.other_places["c1"], level=RiskLevel.CRITICAL)  # outside the coverage
    client.force_login(cast.coordinator)
    summary = client.get(reverse("home")).context["summary"]
    assert summary.alerts_by_level == {"critical": 0, "high": 1, "moderate": 0}


def test_a_wrong_password_gives_a_clear_error(cast, client):
    response = login(client, "ana", "wrong-password")
    assert response.status_code == 200
    assert "The username or password is not right" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_repeated_failures_lock_the_account(cast, client, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "ana", "wrong-password")
    response = login(client, "ana", factories.PASSWORD)  # even the right password is refused now
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_logout_is_a_post_and_ends_the_session(cast, client):
    login(client, "ana", factories.PASSWORD)
    assert "_auth_user_id" in client.session
    response = client.post(reverse("logout"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("login")
    assert "_auth_user_id" not in client.session


def test_pages_carry_the_security_headers(client):
    response = client.get(reverse("login"))
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_the_pages_load_nothing_from_outside(cast, client):
    client.force_login(cast.coordinator)
    for url in (reverse("home"), reverse("login")):
        page = client.get(url).content.decode()
        assert "http://" not in page.replace("http://testserver", "")
        assert "https://" not in page


def count_home_queries(client, user) -> int:
    client.force_login(user)
    return count_queries(client, reverse("home"))


@pytest.mark.parametrize("role", ["analyst", "cso_user", "coordinator", "admin"])
def test_home_pages_make_the_same_number_of_queries_for_many_rows(cast, client, role):
    user = getattr(cast, role)
    factories.make_report(cast.analyst, cast.places["c1"], cast.indicator)
    alert = Alert.objects.create(community=cast.places["c1"], level=RiskLevel.HIGH)
    factories.make_assignment(alert=alert, organisation=cast.cso, due_at=timezone.now() + timedelta(hours=1))
    few = count_home_queries(client, user)
    for _ in range(8):
        factories.make_report(cast.analyst, cast.places["c2"], cast.indicator)
    alert2 = Alert.objects.create(community=cast.places["c2"], level=RiskLevel.CRITICAL)
    factories.make_assignment(alert=alert2, organisation=cast.cso, due_at=timezone.now() - timedelta(hours=1))
    assert count_home_queries(client, user) == few


def test_the_responder_cards_count_beyond_the_listed_rows(cast, monkeypatch):
    monkeypatch.setattr(homes, "HOME_LIST_LIMIT", 1)
    for code in ("c1", "c2"):
        alert = Alert.objects.create(community=cast.places[code], level=RiskLevel.HIGH)
        factories.make_assignment(alert=alert, organisation=cast.cso, due_at=timezone.now() - timedelta(hours=1))
    summary = homes.home_summary(cast.cso_user)
    assert len(summary.assignments) == 1
    assert summary.cards["assignments_active"] == 2
    assert summary.cards["assignments_overdue"] == 2


def test_members_of_a_deactivated_organisation_cannot_sign_in_or_stay_signed_in(cast, client):
    login(client, "cso", factories.PASSWORD)
    assert client.get(reverse("home")).status_code == 200
    cast.cso.is_active = False
    cast.cso.save()
    # The open session ends at the next request...
    assert client.get(reverse("home")).status_code == 302
    # ...and a new sign-in is refused.
    response = login(client, "cso", factories.PASSWORD)
    assert "The username or password is not right" in response.content.decode()
    assert client.get(reverse("home")).status_code == 302


def test_plotly_is_served_from_the_installed_package_and_nothing_else_of_it(client, cast):
    """The charts' script comes from the plotly package (no CDN, no copy in the tree); its
    widget bundle, datasets and templates are not published."""
    from django.contrib.staticfiles import finders

    found = finders.find("plotly/plotly.min.js")
    assert found and found.endswith("plotly/package_data/plotly.min.js")
    assert not finders.find("plotly/widgetbundle.js")
    client.force_login(cast.coordinator)
    assert client.get("/static/plotly/plotly.min.js").status_code == 200
    assert client.get("/static/plotly/widgetbundle.js").status_code == 404
