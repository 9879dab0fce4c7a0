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
