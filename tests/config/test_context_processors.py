"""The navigation of every page (config/context_processors.py): its links follow the role."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("who", "present", "absent"),
    [
        ("analyst", ["Reports", "New report"], ["Alerts"]),
        ("coordinator", ["Reports", "New report", "Alerts"], []),
        ("police_user", ["Alerts"], ["Reports", "New report"]),
        ("admin", [], ["Reports", "New report", "Alerts"]),
    ],
)
def test_the_navigation_follows_the_role(cast, client, who, present, absent):
    client.force_login(getattr(cast, who))
    labels = [str(item["label"]) for item in client.get(reverse("home")).context["nav_items"]]
    for label in present:
        assert label in labels
    for label in absent:
        assert label not in labels


def test_the_notification_links_are_in_the_navigation_but_not_for_administrators(cast, client):
    client.force_login(cast.analyst)
    assert reverse("notifications:list") in client.get(reverse("home")).content.decode()
    assert reverse("assignments:list") not in client.get(reverse("home")).content.decode()
    client.force_login(cast.cso_user)
    assert reverse("assignments:list") in client.get(reverse("home")).content.decode()
    client.force_login(cast.admin)
    assert reverse("notifications:list") not in client.get(reverse("home")).content.decode()


def test_it_puts_the_pages_in_the_navigation_by_role(client, cast):
    client.force_login(cast.coordinator)
    labels = [item["label"] for item in client.get(reverse("home")).context["nav_items"]]
    assert "Heatmap" in labels and "Overview" in labels
    client.force_login(cast.analyst)
    labels = [item["label"] for item in client.get(reverse("home")).context["nav_items"]]
    assert "Heatmap" in labels and "Overview" not in labels
