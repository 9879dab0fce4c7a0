"""Static files (config/staticfiles.py): plotly.js from the installed package, nothing else of it."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


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
