"""Notifications and their e-mails in each reader's language (User.language), whatever the
language of the request that caused them."""

from __future__ import annotations

import pytest
from django.core import mail
from django.utils import translation

from alerts.models import Notification
from tests.conftest import report


@pytest.fixture
def malay_cso(cast):
    cast.cso_user.language = "ms"
    cast.cso_user.save(update_fields=["language"])
    return cast.cso_user


def test_a_malay_reader_is_told_in_malay(malay_cso, raised):
    told = Notification.objects.get(user=malay_cso)
    assert "Komuniti: " in told.body and "Community: " not in told.body
    assert [m.body for m in mail.outbox if m.to == ["cso@example.org"]] == [told.body]


def test_a_reader_without_a_language_is_told_in_the_sites_whatever_the_request(
    people, strong, django_capture_on_commit_callbacks
):
    with translation.override("ms"), django_capture_on_commit_callbacks(execute=True):
        report(people, strong)
    told = Notification.objects.get(user=people.cso_user)
    assert "Community: " in told.body


def test_an_alerts_score_notes_are_kept_in_the_sites_language_and_shown_in_the_readers(
    people, strong, django_capture_on_commit_callbacks
):
    from alerts.models import AlertEvent
    from alerts.services import score_note_shown

    with translation.override("ms"), django_capture_on_commit_callbacks(execute=True):
        report(people, strong)
    opened = AlertEvent.objects.get(kind="opened")
    assert opened.note.startswith("Score ")
    with translation.override("ms"):
        assert score_note_shown(opened.note).startswith("Skor ")
        assert score_note_shown(
            "From High. Score 81.0 (Critical). A trigger reading reached its critical threshold."
        ) != ("From High. Score 81.0 (Critical). A trigger reading reached its critical threshold.")
        assert score_note_shown("Committee met.") == "Committee met."
    with translation.override("en"):
        assert score_note_shown(opened.note) == opened.note
