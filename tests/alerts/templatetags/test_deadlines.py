"""Time left before a deadline, as people read it (alerts/templatetags/deadlines.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from alerts.templatetags.deadlines import time_left_text

pytestmark = pytest.mark.django_db


def test_it_says_time_left_or_overdue():
    now = timezone.now()
    assert time_left_text(now + timedelta(hours=2), now) == "2 h left"
    assert time_left_text(now - timedelta(minutes=40), now) == "overdue by 40 min"
