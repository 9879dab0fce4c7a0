"""The base of every API viewset: the signed-in user, typed, and reads through the
app's selectors (need-to-know in one place, STYLE.md 4).

A viewset names two selector hooks instead of wiring ``get_queryset`` and ``get_object``
itself: ``share(user)`` lists what the user may see (a selector that starts from
``visible_to``), and ``share_get(user, ref)`` fetches one, raising ``Http404`` outside the
share. Actions fetch the object they act on through the app's ``*_get_to_manage`` /
``*_get_to_work`` selectors, which add the 403 for one the user sees but may not change.
"""

from __future__ import annotations

from typing import TypeVar, cast

from django.db.models import Model, QuerySet
from rest_framework import viewsets

from ewers.models import User

M = TypeVar("M", bound=Model)


class ShareViewSet(viewsets.GenericViewSet[M]):
    """A viewset over the rows the user may see; add the list/retrieve mixins it serves."""

    @property
    def user(self) -> User:
        # IsAuthenticated (the default permission) has run before any handler: a real User.
        return cast(User, self.request.user)

    def share(self, user: User) -> QuerySet[M]:
        """The rows ``user`` may see, ordered as the list shows them."""
        raise NotImplementedError

    def share_get(self, user: User, ref: str) -> M:
        """The row ``ref`` (the URL's id or code) names, within the share; ``Http404`` outside."""
        raise NotImplementedError

    def get_queryset(self) -> QuerySet[M]:
        return self.share(self.user)

    def get_object(self) -> M:
        kwarg = self.lookup_url_kwarg or self.lookup_field
        obj = self.share_get(self.user, str(self.kwargs[kwarg]))
        self.check_object_permissions(self.request, obj)
        return obj
