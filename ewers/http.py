"""Request types shared by the apps' views."""

from __future__ import annotations

from django.http import HttpRequest

from ewers.models import User


class AuthenticatedHttpRequest(HttpRequest):
    """A request behind login_required: its user is a real User."""

    user: User
