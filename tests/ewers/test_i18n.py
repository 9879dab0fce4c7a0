"""The user's language (the header's switch, kept on the account) and the Malay texts of
themes and indicators shown in it (ewers.i18n, ewers.middleware.UserLanguageMiddleware)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from alerts.selectors import alert_explanation_shown
from demo.catalogue import FRAMEWORK
from ewers.i18n import localized_labels
from ewers.models import User
from tests.api import as_user


@pytest.fixture
def malay_texts(cast):
    indicator = cast.indicator
    indicator.name_ms = "Ucapan kebencian di forum tempatan"
    indicator.scale_labels = {"0": "none", "4": "severe"}
    indicator.scale_labels_ms = {"4": "teruk"}
    indicator.save()
    indicator.theme.name_ms = "Ketegangan"
    indicator.theme.save()
    return cast


def test_a_signed_in_users_choice_is_kept_on_the_account_and_followed_everywhere(cast, client):
    client.force_login(cast.analyst)
    response = client.post(reverse("set_language"), {"language": "ms", "next": "/"})
    assert response.status_code == 302
    cast.analyst.refresh_from_db()
    assert cast.analyst.language == "ms"

    # Another device: no cookie, an English browser; the account's choice wins.
    del client.cookies[settings.LANGUAGE_COOKIE_NAME]
    page = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert page.headers["Content-Language"] == "ms"
    assert '<html lang="ms">' in page.content.decode()
    assert page.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ms"


def test_the_sign_in_page_switches_and_the_choice_becomes_the_users(cast, client):
    client.post(reverse("set_language"), {"language": "ms", "next": "/login/"})
    page = client.get(reverse("login"))
    assert '<html lang="ms">' in page.content.decode()
    assert 'name="language" value="en"' in page.content.decode()  # the switch is on the sign-in page

    client.force_login(cast.cso_user)
    client.get(reverse("home"))
    assert User.objects.get(pk=cast.cso_user.pk).language == "ms"


def test_a_chosen_language_is_not_replaced_by_the_cookie(cast, client):
    cast.police_user.language = "en"
    cast.police_user.save()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ms"
    client.force_login(cast.police_user)
    page = client.get(reverse("home"))
    assert '<html lang="en">' in page.content.decode()
    assert User.objects.get(pk=cast.police_user.pk).language == "en"


def test_an_unknown_language_changes_nothing(cast, client):
    client.force_login(cast.analyst)
    client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    assert User.objects.get(pk=cast.analyst.pk).language == ""


def test_the_report_form_names_indicators_and_values_in_malay(malay_texts, client):
    malay_texts.analyst.language = "ms"
    malay_texts.analyst.save()
    client.force_login(malay_texts.analyst)
    page = client.get(reverse("reports:new")).content.decode()
    assert "Ucapan kebencian di forum tempatan" in page
    assert "Hate speech in local forums" not in page
    assert "teruk" in page


def test_value_labels_fall_back_to_english_value_by_value(malay_texts):
    with translation.override("ms"):
        assert localized_labels(malay_texts.indicator) == {"0": "none", "4": "teruk"}
    with translation.override("en"):
        assert localized_labels(malay_texts.indicator) == {"0": "none", "4": "severe"}


def test_the_api_answers_in_the_requests_language(malay_texts):
    client = as_user(malay_texts.analyst)
    url = reverse("api-indicator-detail", args=[malay_texts.indicator.pk])
    malay = client.get(url, HTTP_ACCEPT_LANGUAGE="ms").json()
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").json()
    assert (malay["name"], malay["scale_labels"]["4"]) == ("Ucapan kebencian di forum tempatan", "teruk")
    assert (english["name"], english["scale_labels"]["4"]) == ("Hate speech in local forums", "severe")


def test_an_alerts_frozen_explanation_is_named_in_malay(malay_texts):
    frozen = [{"indicator": "P01", "indicator_name": "Hate speech in local forums", "amount": 3.0}]
    with translation.override("ms"):
        assert alert_explanation_shown(frozen)[0]["indicator_name"] == "Ucapan kebencian di forum tempatan"
    with translation.override("en"):
        assert alert_explanation_shown(frozen) == frozen


def test_the_demo_framework_carries_malay_for_every_theme_indicator_and_value():
    assert all(theme.name_ms and theme.description_ms for theme in FRAMEWORK.themes)
    for spec in FRAMEWORK.indicators:
        assert spec.name_ms and spec.description_ms, spec.code
        assert set(spec.scale_labels_ms) == set(spec.scale_labels), spec.code


def test_the_libraries_words_are_malay_too(cast, client):
    """REST framework's and allauth's own messages, from our catalogue (ewers/vendor_strings.py)."""
    answer = client.get(reverse("api-indicator-list"), HTTP_ACCEPT_LANGUAGE="ms")
    assert answer.status_code in (401, 403)
    assert answer.json()["detail"] == "Butiran pengesahan tidak diberikan."

    cast.analyst.language = "ms"
    cast.analyst.save()
    client.force_login(cast.analyst)
    page = client.get(reverse("account_change_password")).content.decode()
    assert "Kata laluan semasa" in page and "Current Password" not in page
