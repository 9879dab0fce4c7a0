"""Who may write vignettes and practise on them: read-only predicates and each refusal's
message (written once). Seeing a vignette or an attempt is the model's ``visible_to``
(404 outside it)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from ewers.choices import Role
from ewers.models import User
from training.models import Vignette

MAY_NOT_WRITE = _("Only coordinators write vignettes.")
MAY_NOT_EDIT = _("Only the coordinators of the organisation that wrote this vignette change it.")
MAY_NOT_PRACTISE = _("Only analysts practise on vignettes.")
MAY_NOT_TRAIN = _("Training is for analysts and the coordinators who write its vignettes.")
MAY_NOT_READ_CALIBRATION = _("Calibration is shown to analysts, for themselves, and to coordinators.")


def vignette_may_write(user: User) -> bool:
    """Coordinators write vignettes for their organisation."""
    return bool(user.is_active and user.role == Role.COORDINATOR and user.organisation_id is not None)


def vignette_may_edit(user: User, vignette: Vignette) -> bool:
    """A vignette is changed by the coordinators of the organisation that wrote it."""
    return vignette_may_write(user) and vignette.organisation_id == user.organisation_id


def training_may_practise(user: User) -> bool:
    """Analysts practise (the people who log field reports from what they see)."""
    return bool(user.is_active and user.role == Role.ANALYST and user.organisation_id is not None)


def calibration_may_read(user: User) -> bool:
    """Analysts read their own calibration; coordinators that of their organisation's analysts."""
    return bool(user.is_active and user.role in (Role.ANALYST, Role.COORDINATOR) and user.organisation_id is not None)
