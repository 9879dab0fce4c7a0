"""Reads of the intake app, starting from ``visible_to``."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from ewers.models import User
from intake.choices import TriageState
from intake.models import TriageItem


def triage_items_visible(user: User, *, state: str | None = TriageState.PENDING) -> QuerySet[TriageItem]:
    """The messages for triage in the user's share, newest first (pending ones by default)."""
    items = TriageItem.objects.visible_to(user).select_related("community", "decided_by")
    if state:
        items = items.filter(state=state)
    return items.order_by("-created_at", "-id")


def triage_item_get(user: User, pk: int | str) -> TriageItem:
    """One message for triage; 404 outside the user's share."""
    try:
        return TriageItem.objects.visible_to(user).select_related("community", "decided_by", "report").get(pk=int(pk))
    except (TriageItem.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404(_("No such message.")) from None
