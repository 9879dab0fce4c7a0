"""Who may work the triage queue, and the message each refusal gives."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from ewers.choices import Role
from ewers.models import User
from intake.models import TriageItem

MAY_NOT_TRIAGE = _("Messages from unregistered numbers are reviewed by the coordinators covering their community.")
ONLY_GATEWAYS = _("Only an SMS gateway's named token posts messages here.")


def triage_may_see_queue(*, user: User) -> bool:
    return user.role == Role.COORDINATOR and not user.is_administrator


def triage_may_decide(*, item: TriageItem, user: User) -> bool:
    """A coordinator whose organisation covers the message's community (the queue's own rule)."""
    return triage_may_see_queue(user=user) and user.is_active and item.community_id in user.covered_community_ids
