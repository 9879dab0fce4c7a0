"""The one way a permission rule refuses (STYLE.md 16).

Each app states its rules as read-only predicates in its ``permissions`` module, with the
message of each refusal written once beside them; pages, the API and the services all
refuse through ``permission_require``, so a user hears the same sentence everywhere.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.functional import Promise


def permission_require(allowed: bool, message: Promise | str) -> None:
    """``PermissionDenied`` with ``message`` unless ``allowed``."""
    if not allowed:
        raise PermissionDenied(str(message))
