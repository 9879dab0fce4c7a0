"""Who may record incidents: read-only predicates and the refusal's message (written once).

Seeing an incident is ``Incident.objects.visible_to`` (404 outside it)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from ewers.choices import Role
from ewers.models import User

MAY_NOT_RECORD = _("Only coordinators and responders record incidents.")
MAY_NOT_READ_QUALITY = _("Only coordinators read alert quality.")


def incident_may_record(user: User) -> bool:
    """Coordinators and responders record incidents, in the communities their
    organisation covers (the service checks the community)."""
    return bool(
        user.is_active
        and user.role in (Role.COORDINATOR, Role.RESPONDER)
        and user.organisation_id is not None
        and not user.is_administrator
    )


def alert_quality_may_read(user: User) -> bool:
    """Alert quality is the coordinators' (PRODUCT.md, "What the screens are")."""
    return bool(user.is_active and user.role == Role.COORDINATOR and not user.is_administrator)
