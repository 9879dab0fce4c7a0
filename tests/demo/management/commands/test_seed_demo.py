"""The seed_demo command: refused with DEBUG off, and what it reports."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from ewers.models import User

pytestmark = pytest.mark.django_db


def test_the_command_refuses_to_run_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="refuses to run with DEBUG off"):
        call_command("seed_demo")
    assert not User.objects.exists()


def test_the_command_reports_what_it_made(settings, capsys):
    settings.DEBUG = True
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "77 places, 18 indicators" in out
    assert "password ewers-demo" in out
