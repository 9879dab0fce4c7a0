"""Errors of the domain that every app raises and every interface translates the same way.

The permission vocabulary (STYLE.md 16) is Django's: ``Http404`` outside a user's share,
``PermissionDenied`` (with a message written once, where the rule lives) for an action the
user may not take on something they can see. This module adds the third answer.
"""

from __future__ import annotations


class StateConflict(Exception):
    """The action is not allowed from the object's current state: the API answers 409 and
    the pages show the message; ``str()`` is a sentence for the user."""
