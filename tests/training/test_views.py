"""The training pages: a coordinator writes a vignette, an analyst practises in the real
report form and sees their readings beside the expert's; bad input gives form errors."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from indicators.models import FieldReport
from tests.training.conftest import attempt_form
from training.models import TrainingAttempt, Vignette

pytestmark = pytest.mark.django_db


def vignette_form(cast, **overrides):
    values = {
        "title": "A study circle",
        "situation": "A closed study circle meets at night.",
        "community_type": "Campus",
        "theme": "",
        "is_active": "on",
        "reading_P01": "1",
    }
    values.update(overrides)
    return values


def test_a_coordinator_writes_and_changes_a_vignette(client, cast):
    client.force_login(cast.coordinator)
    assert client.get("/training/vignettes/new/").status_code == 200
    response = client.post("/training/vignettes/new/", vignette_form(cast))
    vignette = Vignette.objects.get()
    assert response.status_code == 302 and response.url == f"/training/vignettes/{vignette.pk}/"
    assert vignette.organisation == cast.desk and [r.value for r in vignette.readings.all()] == [1.0]
    page = client.get(f"/training/vignettes/{vignette.pk}/edit/")
    assert page.status_code == 200 and 'value="1" selected' in page.content.decode()
    client.post(f"/training/vignettes/{vignette.pk}/edit/", vignette_form(cast, title="Renamed", reading_P01="4"))
    vignette.refresh_from_db()
    assert vignette.title == "Renamed" and [r.value for r in vignette.readings.all()] == [4.0]
    assert AuditEvent.objects.filter(object_type="vignette", object_id=str(vignette.pk)).count() == 2
    assert "Renamed" in client.get("/training/").content.decode()


def test_bad_vignette_input_comes_back_as_form_errors(client, cast):
    client.force_login(cast.coordinator)
    for bad in (
        {"title": ""},
        {"situation": "   "},
        {"situation": "nul\x00here"},
        {"reading_P01": ""},  # no expert reading at all
        {"reading_P01": "9"},
        {"theme": "999999"},
        {"title": "x" * 500},
    ):
        response = client.post("/training/vignettes/new/", vignette_form(cast, **bad))
        assert response.status_code == 400, bad
        assert response.context["form"].has_any_errors()
    assert not Vignette.objects.exists()


def test_an_analyst_practises_in_the_report_form_and_sees_the_expert_beside(client, cast, vignette):
    client.force_login(cast.analyst)
    page = client.get(f"/training/vignettes/{vignette.pk}/practise/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Training — this report is not recorded." in html and "Posters call the other congregation" in html
    assert 'name="reading_P01"' in html and 'name="source_reliability"' in html  # the real form's fields
    i = html.find('name="community"')
    assert i < 0, html[i - 300 : i + 100]
    assert 'id="outbox"' not in html and "report-offline.js" not in html
    response = client.post(f"/training/vignettes/{vignette.pk}/practise/", attempt_form(cast))
    attempt = TrainingAttempt.objects.get()
    assert response.status_code == 302 and response.url == f"/training/attempts/{attempt.pk}/"
    assert attempt.analyst == cast.analyst and attempt.organisation == cast.lab
    detail = client.get(response.url).content.decode()
    assert "The readings given, beside the expert" in detail
    assert "1 step apart" in detail  # P01: 2 given, 3 expected
    assert "2 steps apart" not in detail and "not observed" in detail  # T01 left out: counts as 0, expert 1
    assert not FieldReport.objects.exists()


def test_bad_training_input_comes_back_as_form_errors(client, cast, vignette):
    client.force_login(cast.analyst)
    url = f"/training/vignettes/{vignette.pk}/practise/"
    for bad in (
        {"reading_P01": None},  # no reading
        {"reading_P01": "7"},  # off the scale
        {"reading_P01": "abc"},
        {"source_reliability": "Z"},
        {"information_credibility": "9"},
        {"information_credibility": None},
    ):
        response = client.post(url, attempt_form(cast, **bad))
        assert response.status_code == 400, bad
        assert response.context["form"].has_any_errors()
    assert "not saved" in response.content.decode()
    assert not TrainingAttempt.objects.exists()


def test_an_inactive_vignette_is_not_offered(client, cast, vignette):
    vignette.is_active = False
    vignette.save()
    client.force_login(cast.analyst)
    assert client.get(f"/training/vignettes/{vignette.pk}/practise/").status_code == 404
    assert client.post(f"/training/vignettes/{vignette.pk}/practise/", attempt_form(cast)).status_code == 404
    assert "Posters at the market" not in client.get("/training/").content.decode()
    assert not TrainingAttempt.objects.exists()


def test_the_calibration_pages_show_not_enough_data_without_a_crash(client, cast, vignette, desk_analyst):
    client.force_login(cast.analyst)
    client.post(f"/training/vignettes/{vignette.pk}/practise/", attempt_form(cast))
    own = client.get("/training/calibration/")
    assert own.status_code == 200 and "not enough data" in own.content.decode()
    client.force_login(cast.coordinator)
    page = client.get("/training/calibration/")
    assert page.status_code == 200 and "No indicator is flagged." in page.content.decode()
