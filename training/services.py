"""Writes of the training app: vignettes written and changed, training attempts submitted.

A training attempt is stored in its own tables and nothing else: no field report, no
reading, no task queued, no assessment, alert or notification (docs/learning.md).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.choices import AuditAction
from audit.services import audit_record
from ewers.models import Theme, User
from ewers.permissions import permission_require
from indicators.choices import InformationCredibility, SourceReliability
from indicators.models import Indicator
from training.models import TrainingAttempt, TrainingReading, Vignette, VignetteReading
from training.permissions import (
    MAY_NOT_EDIT,
    MAY_NOT_PRACTISE,
    MAY_NOT_WRITE,
    training_may_practise,
    vignette_may_edit,
    vignette_may_write,
)

TITLE_MAX_LENGTH = 200
SITUATION_MAX_LENGTH = 5000
COMMUNITY_TYPE_MAX_LENGTH = 200


@dataclass(frozen=True)
class TrainingValue:
    """One indicator's value, as a form gives it."""

    indicator: Indicator
    value: float


def readings_check(readings: Sequence[TrainingValue], errors: dict[str, list[str]]) -> None:
    """At least one reading, each a number on its indicator's scale, each indicator once."""
    if not readings:
        errors.setdefault("readings", []).append(_("Give at least one indicator reading."))
    seen: set[int] = set()
    for reading in readings:
        indicator, value = reading.indicator, reading.value
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            errors.setdefault("readings", []).append(
                _("%(code)s: the value must be a number.") % {"code": indicator.code}
            )
        elif not indicator.scale_min <= value <= indicator.scale_max:
            errors.setdefault("readings", []).append(
                _("%(code)s takes values from %(min)g to %(max)g, not %(value)g.")
                % {"code": indicator.code, "min": indicator.scale_min, "max": indicator.scale_max, "value": value}
            )
        if not indicator.is_active:
            errors.setdefault("readings", []).append(_("%(code)s is not in use.") % {"code": indicator.code})
        if indicator.pk in seen:
            errors.setdefault("readings", []).append(_("%(code)s is read twice.") % {"code": indicator.code})
        seen.add(indicator.pk)


def _text_check(name: str, text: str, limit: int, errors: dict[str, list[str]], *, required: bool) -> None:
    if required and not text.strip():
        errors.setdefault(name, []).append(_("This field is required."))
    if "\x00" in text:
        errors.setdefault(name, []).append(_("The text contains a NUL character."))
    if len(text) > limit:
        errors.setdefault(name, []).append(_("At most %(n)d characters.") % {"n": limit})


@transaction.atomic
def vignette_save(
    *,
    user: User,
    vignette: Vignette | None = None,
    title: str,
    situation: str,
    community_type: str = "",
    theme: Theme | None = None,
    is_active: bool = True,
    readings: Sequence[TrainingValue],
    now: datetime | None = None,
) -> Vignette:
    """Write a new vignette (``vignette`` None) or change one, with the expert's readings
    (which replace the old ones). Coordinators only, a change by the writing organisation's;
    ValidationError with field messages and nothing written otherwise."""
    now = now or timezone.now()
    if vignette is None:
        permission_require(vignette_may_write(user), MAY_NOT_WRITE)
    else:
        permission_require(vignette_may_edit(user, vignette), MAY_NOT_EDIT)
    errors: dict[str, list[str]] = {}
    _text_check("title", title, TITLE_MAX_LENGTH, errors, required=True)
    _text_check("situation", situation, SITUATION_MAX_LENGTH, errors, required=True)
    _text_check("community_type", community_type, COMMUNITY_TYPE_MAX_LENGTH, errors, required=False)
    readings_check(readings, errors)
    if errors:
        raise ValidationError(errors)
    created = vignette is None
    if vignette is None:
        assert user.organisation_id is not None  # vignette_may_write
        vignette = Vignette(organisation_id=user.organisation_id, created_by=user, created_at=now)
    vignette.title, vignette.situation, vignette.community_type = title.strip(), situation.strip(), community_type
    vignette.theme, vignette.is_active, vignette.updated_at = theme, is_active, now
    vignette.save()
    vignette.readings.all().delete()
    VignetteReading.objects.bulk_create(
        VignetteReading(vignette=vignette, indicator=r.indicator, value=float(r.value)) for r in readings
    )
    audit_record(
        action=AuditAction.STATE_CHANGE,
        actor=user,
        object_type="vignette",
        object_id=vignette.pk,
        detail=f"vignette {'written' if created else 'changed'}: {len(readings)} expert readings",
        at=now,
    )
    return vignette


@transaction.atomic
def training_attempt_submit(
    *,
    user: User,
    vignette: Vignette,
    readings: Sequence[TrainingValue],
    source_reliability: str,
    information_credibility: int,
    now: datetime | None = None,
) -> TrainingAttempt:
    """Store an analyst's training attempt on an active vignette they see, with its
    readings, and nothing else: never a field report, never scored."""
    permission_require(training_may_practise(user), MAY_NOT_PRACTISE)
    errors: dict[str, list[str]] = {}
    if not vignette.is_active or not Vignette.objects.visible_to(user).filter(pk=vignette.pk).exists():
        errors.setdefault("vignette", []).append(_("This vignette is not offered for practice."))
    if source_reliability not in SourceReliability.values:
        errors.setdefault("source_reliability", []).append(_("Source reliability is a grade from A to F."))
    if information_credibility not in InformationCredibility.values:
        errors.setdefault("information_credibility", []).append(_("Information credibility is a grade from 1 to 6."))
    readings_check(readings, errors)
    if errors:
        raise ValidationError(errors)
    assert user.organisation_id is not None  # training_may_practise
    attempt = TrainingAttempt.objects.create(
        vignette=vignette,
        analyst=user,
        organisation_id=user.organisation_id,
        submitted_at=now or timezone.now(),
        source_reliability=source_reliability,
        information_credibility=information_credibility,
    )
    TrainingReading.objects.bulk_create(
        TrainingReading(attempt=attempt, indicator=r.indicator, value=float(r.value)) for r in readings
    )
    return attempt
