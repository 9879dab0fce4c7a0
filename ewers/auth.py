"""Authentication rules of EWERS: a member of a deactivated organisation cannot sign in.

One rule, applied to every way in: the session backend (also consulted for each request
of an existing session) and the API token authentication.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication


def user_may_sign_in(user: Any) -> bool:
    """Active users whose organisation, if they have one, is active too."""
    if not getattr(user, "is_active", False):
        return False
    organisation = getattr(user, "organisation", None)
    return organisation is None or organisation.is_active


class MemberBackend(ModelBackend):
    """Django's password backend, closed to members of deactivated organisations."""

    def user_can_authenticate(self, user: Any) -> bool:
        return user_may_sign_in(user)


class MemberTokenAuthentication(TokenAuthentication):
    """DRF token authentication with the same rule as the session backend."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        user, token = super().authenticate_credentials(key)
        if not user_may_sign_in(user):
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return user, token
