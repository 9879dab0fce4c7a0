"""The installable report form (docs/offline.md): the service worker and the manifest served
from the site itself, the form's JSON data within the user's share, and what every
signed-in page tells the offline scripts."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from ewers.choices import Role
from ewers.services import user_upsert
from tests import factories

pytestmark = pytest.mark.django_db

DATA = reverse("reports:offline-data")
WORKER = reverse("service-worker")
MANIFEST = reverse("web-manifest")


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def offline_app(content: bytes) -> dict | None:
    """The settings base.html gives offline.js (json_script "offline-app")."""
    text = content.decode()
    marker = '<script id="offline-app" type="application/json">'
    if marker not in text:
        return None
    return json.loads(text.split(marker, 1)[1].split("</script>", 1)[0])


# --- The service worker and the manifest --------------------------------------------------


def test_it_serves_the_service_worker_from_the_root_as_a_script_of_its_own(client):
    response = client.get(WORKER)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Cache-Control"] == "no-cache"
    body = response.content.decode()
    settings_json = body.split("self.EWERS_OFFLINE = ", 1)[1].split(";\n", 1)[0]
    settings = json.loads(settings_json)
    assert settings["form"] == reverse("reports:new")
    assert settings["data"] == DATA
    assert settings["api"] == reverse("api-report-list")
    assert settings["report"] == reverse("reports:detail", args=[0])
    assert "/static/js/report-offline.js" in settings["precache"]
    assert 'importScripts("/static/js/outbox.js", "/static/js/service-worker.js")' in body
    # Nothing from elsewhere, nothing of a user.
    assert "http" not in body


def test_it_keeps_the_strict_csp_on_the_worker_and_the_pages(client, cast):
    worker = client.get(WORKER)
    form = signed_in(cast.analyst).get(reverse("reports:new"))
    for response in (worker, form):
        policy = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy.split("script-src", 1)[1].split(";")[0]
        assert "worker-src 'self'" in policy


def test_it_gives_the_same_worker_to_everyone_and_a_new_one_when_a_file_changes(client, cast, settings):
    first = client.get(WORKER).content
    assert signed_in(cast.analyst).get(WORKER).content == first
    settings.STATIC_URL = "/assets/"
    assert client.get(WORKER).content != first


def test_a_changed_file_makes_a_new_worker_once_the_process_reads_it_again(client, monkeypatch, tmp_path):
    """The worker's version hashes the kept files' content, once per process (a deployment)."""
    from config import views

    kept = tmp_path / "outbox.js"
    kept.write_text("// one")
    monkeypatch.setattr(views.finders, "find", lambda path: str(kept))
    views._offline_digest.cache_clear()
    first = client.get(WORKER).content
    kept.write_text("// two")
    assert client.get(WORKER).content == first  # read once per process
    views._offline_digest.cache_clear()
    assert client.get(WORKER).content != first
    views._offline_digest.cache_clear()


def test_it_refuses_anything_but_get_for_the_worker_and_the_manifest(client):
    assert client.post(WORKER).status_code == 405
    assert client.post(MANIFEST).status_code == 405


def test_it_serves_a_manifest_that_opens_the_report_form(client):
    response = client.get(MANIFEST)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = response.json()
    assert manifest["start_url"] == reverse("reports:new")
    assert manifest["scope"] == "/"
    assert manifest["display"] == "standalone"
    assert manifest["icons"][0]["src"].startswith("/static/")


# --- The form's data ----------------------------------------------------------------------


def test_it_gives_the_analyst_the_communities_of_their_coverage_and_the_active_catalogue(cast):
    retired = factories.make_indicator("R09")
    retired.is_active = False
    retired.save()
    response = signed_in(cast.analyst).get(DATA)
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")  # no-store, like every signed-in answer
    data = response.json()
    assert data["user"] == "ana"
    assert data["csrf_token"]
    codes = {c["code"] for c in data["communities"]}
    assert codes == {cast.places["c1"].code, cast.places["c2"].code}
    assert not codes & {r.code for r in cast.other_places.values()}
    assert [i["code"] for i in data["indicators"]] == ["P01"]
    assert data["communities"][0]["label"].endswith("— T district")


def test_it_gives_another_analyst_only_their_own_share(cast):
    data = signed_in(cast.other_analyst).get(DATA).json()
    assert {c["code"] for c in data["communities"]} == {cast.other_places["c1"].code, cast.other_places["c2"].code}


def test_it_refuses_the_data_to_those_who_do_not_log_reports(cast):
    for user in (cast.police_user, cast.cso_user, cast.admin):
        assert signed_in(user).get(DATA).status_code == 403


def test_it_sends_a_stranger_to_the_sign_in_page(client):
    response = client.get(DATA)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- What each signed-in page tells the offline scripts -----------------------------------


def test_it_installs_the_worker_for_those_who_log_reports_only(cast):
    analyst = signed_in(cast.analyst).get(reverse("home")).content
    responder = signed_in(cast.police_user).get(reverse("home")).content
    assert offline_app(analyst)["register"] is True
    assert b'rel="manifest"' in analyst
    # A responder's sign-out still clears the device; nothing is installed for them.
    settings = offline_app(responder)
    assert settings["register"] is False and settings["logout"] == reverse("logout")
    assert b'rel="manifest"' not in responder
    assert "{count}" in settings["warning"]


def test_it_installs_no_worker_before_a_required_second_factor_is_enrolled(cast):
    """The worker's first fetch of the form would land on the enrolment page, and each
    visit of that page draws a new authenticator secret."""
    newcomer, _ = user_upsert(
        username="newcoord", organisation=cast.desk, role=Role.COORDINATOR, password=factories.PASSWORD
    )
    page = signed_in(newcomer).get(reverse("home"), follow=True)  # to the enrolment pages
    assert page.status_code == 200
    assert offline_app(page.content)["register"] is False
    assert offline_app(signed_in(cast.coordinator).get(reverse("home")).content)["register"] is True


def test_it_tells_a_signed_out_page_nothing(client):
    assert offline_app(client.get(reverse("login")).content) is None


def test_it_gives_the_form_its_outbox_with_translated_texts_and_no_inline_script(cast):
    content = signed_in(cast.analyst).get(reverse("reports:new")).content.decode()
    assert 'id="outbox"' in content
    assert 'data-text-waiting="Waiting to be sent"' in content
    assert 'data-time-zone="Asia/Kuala_Lumpur"' in content
    assert 'data-api="/api/v1/reports/"' in content
    # Scripts are files of the site; the only <script> without src is JSON data.
    for tag in content.split("<script")[1:]:
        assert ' src="/static/' in tag.split(">", 1)[0] or 'type="application/json"' in tag.split(">", 1)[0]


# --- Signing out ----------------------------------------------------------------------------


def test_it_tells_the_browser_to_clear_the_device_once_signed_out(cast):
    client = signed_in(cast.analyst)
    assert "Clear-Site-Data" not in client.get(reverse("logout"))  # the confirmation page
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert response["Clear-Site-Data"] == '"storage"'
    assert client.get(reverse("home")).status_code == 302  # signed out indeed


def test_it_clears_nothing_for_a_stranger(client):
    assert "Clear-Site-Data" not in client.post(reverse("logout"))
