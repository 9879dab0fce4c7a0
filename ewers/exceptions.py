"""Errors of the domain that every app raises and every interface translates the same way.

The permission vocabulary (STYLE.md 16) is Django's: ``Http404`` outside a user's share,
``PermissionDenied`` (with a message written once, where the rule lives) for an action the
user may not take on something they can see. This module adds the third answer, and
the answers of a request sent again with its ``Idempotency-Key`` (API.md).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class StateConflict(Exception):
    """The action is not allowed from the object's current state: the API answers 409 and
    the pages show the message; ``str()`` is a sentence for the user."""


# Answered with a 503 and Retry-After while the database cannot be reached (ewers.middleware).
DATABASE_UNAVAILABLE = _("The database cannot be reached just now; try again shortly.")


class IdempotencyKeyReused(Exception):
    """An ``Idempotency-Key`` sent again with a different request: the API answers 422
    (the IETF Idempotency-Key draft's answer) and the first request's result, object
    ``first_id``, stands."""

    def __init__(self, message: str, *, first_id: int) -> None:
        super().__init__(message)
        self.first_id = first_id


class IdempotencyKeyInFlight(StateConflict):
    """The first request with this ``Idempotency-Key`` is still being processed: 409, and
    the client sends it again a moment later."""
