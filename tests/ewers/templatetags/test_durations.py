"""Durations as people read them (ewers/templatetags/durations.py)."""

from __future__ import annotations

import pytest

from ewers.templatetags.durations import duration_short

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 min"),
        (59, "0 min"),
        (40 * 60, "40 min"),
        (70 * 60, "1 h 10 min"),
        (2 * 3600, "2 h"),
        (5 * 3600 + 59 * 60, "5 h"),
        (47 * 3600, "47 h"),
        (49 * 3600, "2 days"),
        (-5, "0 min"),
    ],
)
def test_it_says_durations_shortly(seconds, text):
    assert duration_short(seconds) == text
