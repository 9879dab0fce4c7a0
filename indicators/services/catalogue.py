"""The indicator catalogue: created and changed with every change of a weight,
threshold or half-life recorded as a version, so past scores stay explainable."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ewers.broker import enqueue
from ewers.choices import HandlingLevel
from ewers.models import Theme, User
from indicators import tasks
from indicators.choices import (
    Polarity,
)
from indicators.models import Indicator, IndicatorVersion
from indicators.services.rollups import rollups_theme_moved

# The settings whose every change is recorded, so past scores stay explainable.
VERSIONED_FIELDS = ("weight", "threshold_moderate", "threshold_high", "threshold_critical", "half_life_days")


# What a reading's value means: fixed once an indicator has readings.
MEANING_FIELDS = ("category", "polarity", "scale_min", "scale_max")


def _version_record(indicator: Indicator, *, changed_by: User | None, reason: str) -> IndicatorVersion:
    return IndicatorVersion.objects.create(
        indicator=indicator,
        version=indicator.version,
        changed_by=changed_by,
        reason=reason,
        **{name: getattr(indicator, name) for name in VERSIONED_FIELDS},
    )


@transaction.atomic
def indicator_upsert(
    *,
    code: str,
    name: str,
    category: str,
    theme: Theme,
    polarity: str = Polarity.RISK,
    weight: float,
    scale_min: float = 0,
    scale_max: float = 4,
    threshold_moderate: float,
    threshold_high: float,
    threshold_critical: float,
    half_life_days: float,
    description: str = "",
    scale_labels: dict[str, str] | None = None,
    is_active: bool = True,
    handling_level: str = HandlingLevel.PARTNERS,
    name_ms: str | None = None,
    description_ms: str | None = None,
    scale_labels_ms: dict[str, str] | None = None,
    changed_by: User | None = None,
    reason: str = "",
) -> tuple[Indicator, bool]:
    """Create or update an indicator; a change to a versioned setting records a new version.
    The Malay texts change only when given."""
    indicator = Indicator.objects.select_for_update().filter(code=code).first()
    created = indicator is None
    if indicator is None:
        indicator = Indicator(code=code)
    before = {name: getattr(indicator, name) for name in VERSIONED_FIELDS}
    meaning_before = {name: getattr(indicator, name) for name in MEANING_FIELDS}
    theme_before = indicator.theme_id
    indicator.name = name
    indicator.description = description
    indicator.category = category
    indicator.theme = theme
    indicator.polarity = polarity
    indicator.scale_min = scale_min
    indicator.scale_max = scale_max
    indicator.scale_labels = scale_labels or {}
    if name_ms is not None:
        indicator.name_ms = name_ms
    if description_ms is not None:
        indicator.description_ms = description_ms
    if scale_labels_ms is not None:
        indicator.scale_labels_ms = scale_labels_ms
    indicator.weight = weight
    indicator.threshold_moderate = threshold_moderate
    indicator.threshold_high = threshold_high
    indicator.threshold_critical = threshold_critical
    indicator.half_life_days = half_life_days
    indicator.is_active = is_active
    indicator.handling_level = handling_level
    meaning_changed = any(meaning_before[name] != getattr(indicator, name) for name in MEANING_FIELDS)
    if not created and meaning_changed and indicator.readings.exists():
        # Stored values were read on the old scale and in the old sense: changing it
        # would silently re-interpret every past reading.
        raise ValidationError(
            _(
                "%(code)s already has readings: its category, polarity and scale cannot change. "
                "Create a new indicator and retire this one instead."
            )
            % {"code": indicator.code}
        )
    changed = created or any(before[name] != getattr(indicator, name) for name in VERSIONED_FIELDS)
    if changed and not created:
        indicator.version += 1
    indicator.full_clean()
    indicator.save()
    if theme_before is not None:  # an indicator moved to another theme takes its readings' counts
        rollups_theme_moved(indicator, theme_before)
    if changed:
        _version_record(indicator, changed_by=changed_by, reason=reason or ("created" if created else "updated"))
    if changed and not created:
        # New weights or thresholds re-score the communities whose recent readings use them.
        indicator_id, version = indicator.pk, indicator.version
        transaction.on_commit(lambda: enqueue(tasks.indicator_rescore, indicator_id, version))
    return indicator, created


def indicator_update_settings(
    *, indicator: Indicator, changed_by: User | None, reason: str = "", **settings: float
) -> Indicator:
    """Change an indicator's weight, thresholds or half-life, recording a new version."""
    unknown = set(settings) - set(VERSIONED_FIELDS)
    if unknown:
        raise ValidationError(_("Not a versioned setting: %(names)s.") % {"names": ", ".join(sorted(unknown))})
    values = {name: getattr(indicator, name) for name in VERSIONED_FIELDS} | settings
    updated, _created = indicator_upsert(
        code=indicator.code,
        name=indicator.name,
        description=indicator.description,
        category=indicator.category,
        theme=indicator.theme,
        polarity=indicator.polarity,
        scale_min=indicator.scale_min,
        scale_max=indicator.scale_max,
        scale_labels=indicator.scale_labels,
        is_active=indicator.is_active,
        handling_level=indicator.handling_level,
        changed_by=changed_by,
        reason=reason,
        **values,
    )
    return updated
