"""Operators' commands."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from ewers.models import User

pytestmark = pytest.mark.django_db


def create_user(monkeypatch, *args: str, password: str = "a-sound-passphrase-42"):
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    out = io.StringIO()
    call_command("create_user", *args, "--password-stdin", stdout=out)
    return out.getvalue()


def test_it_creates_a_user_in_an_organisation(cast, monkeypatch):
    out = create_user(
        monkeypatch, "rina", "--organisation", "cso", "--role", "responder", "--email", "rina@example.org"
    )
    user = User.objects.get(username="rina")
    assert (user.organisation, user.role, user.email) == (cast.cso, "responder", "rina@example.org")
    assert user.check_password("a-sound-passphrase-42")
    assert "Created rina" in out


def test_it_refuses_an_existing_username(cast, monkeypatch):
    with pytest.raises(CommandError, match="exists already"):
        create_user(monkeypatch, "adm", "--organisation", "cso", "--role", "responder")
    assert User.objects.get(username="adm").role == "admin"


def test_it_refuses_an_unknown_organisation(cast, monkeypatch):
    with pytest.raises(CommandError, match="No organisation with code 'nope'"):
        create_user(monkeypatch, "rina", "--organisation", "nope", "--role", "responder")
    assert not User.objects.filter(username="rina").exists()


def test_it_refuses_a_weak_password(cast, monkeypatch):
    with pytest.raises(CommandError, match=r"too short|too common"):
        create_user(monkeypatch, "rina", "--organisation", "cso", "--role", "responder", password="password")
    assert not User.objects.filter(username="rina").exists()
