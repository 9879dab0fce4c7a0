"""The one way a permission rule refuses (STYLE.md 16).

Each app states its rules as read-only predicates in its ``permissions`` module, with the
message of each refusal written once beside them; pages, the API and the services all
refuse through ``permission_require``, so a user hears the same sentence everywhere.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from ewers.choices import Role
from ewers.models import User


def permission_require(allowed: bool, message: Promise | str) -> None:
    """``PermissionDenied`` with ``message`` unless ``allowed``."""
    if not allowed:
        raise PermissionDenied(str(message))


# --- Accounts ----------------------------------------------------------------------------

USER_MANAGE_DENIED = _("Only a superuser creates administrators or changes their accounts.")
SECOND_FACTOR_REQUIRED = _("Set up two-factor sign-in first: your role requires it.")


def user_may_manage(*, actor: User, target: User | None, role: str) -> bool:
    """May ``actor`` create ``target`` (None: a new user) or change it to have ``role``?

    Superusers manage every account. Administrators manage the accounts of the other roles:
    they never give the administrator role, nor change an administrator or a superuser,
    so that nobody raises themselves or a friend above what their own role allows.
    """
    if actor.is_superuser:
        return True
    if not actor.is_administrator or role == Role.ADMIN:
        return False
    return target is None or not (target.is_superuser or target.role == Role.ADMIN)


def user_needs_second_factor(user: User) -> bool:
    """Coordinators, administrators and superusers sign in with a second factor."""
    return user.is_superuser or user.role in settings.EWERS_SECOND_FACTOR_ROLES
