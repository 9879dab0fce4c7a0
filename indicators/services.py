"""Writes of the indicators app: the catalogue (versioned) and field reports."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ewers.choices import RegionLevel, Role
from ewers.models import Region, Theme, User
from indicators.choices import InformationCredibility, Polarity, SourceReliability
from indicators.models import FieldReport, Indicator, IndicatorVersion, Reading

# Field devices' clocks drift: an observation a little ahead of the server is accepted.
CLOCK_SKEW_TOLERANCE = timedelta(minutes=5)
MAX_READINGS_PER_REPORT = 50
IDEMPOTENCY_KEY_MAX_LENGTH = 128

# The settings whose every change is recorded, so past scores stay explainable.
VERSIONED_FIELDS = ("weight", "threshold_moderate", "threshold_high", "threshold_critical", "half_life_days")


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
    changed_by: User | None = None,
    reason: str = "",
) -> tuple[Indicator, bool]:
    """Create or update an indicator; a change to a versioned setting records a new version."""
    indicator = Indicator.objects.select_for_update().filter(code=code).first()
    created = indicator is None
    if indicator is None:
        indicator = Indicator(code=code)
    before = {name: getattr(indicator, name) for name in VERSIONED_FIELDS}
    indicator.name = name
    indicator.description = description
    indicator.category = category
    indicator.theme = theme
    indicator.polarity = polarity
    indicator.scale_min = scale_min
    indicator.scale_max = scale_max
    indicator.scale_labels = scale_labels or {}
    indicator.weight = weight
    indicator.threshold_moderate = threshold_moderate
    indicator.threshold_high = threshold_high
    indicator.threshold_critical = threshold_critical
    indicator.half_life_days = half_life_days
    indicator.is_active = is_active
    changed = created or any(before[name] != getattr(indicator, name) for name in VERSIONED_FIELDS)
    if changed and not created:
        indicator.version += 1
    indicator.full_clean()
    indicator.save()
    if changed:
        _version_record(indicator, changed_by=changed_by, reason=reason or ("created" if created else "updated"))
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
        changed_by=changed_by,
        reason=reason,
        **values,
    )
    return updated


@dataclass(frozen=True)
class ReadingInput:
    """One reading as submitted: an indicator (object, id or code) and a value."""

    indicator: Indicator | int | str
    value: float


def _resolve_indicators(readings: Sequence[ReadingInput]) -> dict[int, Indicator]:
    refs = [r.indicator for r in readings]
    ids = {ref for ref in refs if isinstance(ref, int) and not isinstance(ref, bool)}
    codes = {ref for ref in refs if isinstance(ref, str)}
    found: dict[int | str, Indicator] = {}
    for by_id in Indicator.objects.filter(is_active=True).filter(pk__in=ids) if ids else []:
        found[by_id.pk] = by_id
    for by_code in Indicator.objects.filter(is_active=True).filter(code__in=codes) if codes else []:
        found[by_code.code] = by_code
    resolved: dict[int, Indicator] = {}
    for i, ref in enumerate(refs):
        indicator: Indicator | None = ref if isinstance(ref, Indicator) else found.get(ref)
        if indicator is None:
            raise ValidationError(
                {"readings": _("Reading %(n)d: unknown indicator %(ref)s.") % {"n": i + 1, "ref": ref}}
            )
        resolved[i] = indicator
    return resolved


def _idempotency_key_valid(key: str) -> bool:
    return len(key) <= IDEMPOTENCY_KEY_MAX_LENGTH and key.isprintable()


def field_report_validate(
    *,
    user: User,
    community: Region,
    observed_at: datetime,
    readings: Sequence[ReadingInput],
    source_reliability: str,
    information_credibility: int,
    narrative: str,
    source_reference: str | None,
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> dict[int, Indicator]:
    """Check a report before anything is written; raises ValidationError with field messages.

    A community outside the user's coverage is "unknown": its existence is not confirmed.
    """
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    if community.level != RegionLevel.COMMUNITY:
        errors.setdefault("community", []).append(_("Reports are logged for a community."))
    elif not Region.objects.visible_to(user).filter(pk=community.pk).exists():
        errors.setdefault("community", []).append(_("Unknown community."))
    if idempotency_key is not None and not _idempotency_key_valid(idempotency_key):
        errors.setdefault("idempotency_key", []).append(
            _("An idempotency key is at most %(n)d printable characters.") % {"n": IDEMPOTENCY_KEY_MAX_LENGTH}
        )
    if timezone.is_naive(observed_at):
        errors.setdefault("observed_at", []).append(_("Give the time with its time zone."))
    elif observed_at > now + CLOCK_SKEW_TOLERANCE:
        errors.setdefault("observed_at", []).append(_("The observation time is in the future."))
    if source_reliability not in SourceReliability.values:
        errors.setdefault("source_reliability", []).append(_("Source reliability is a grade from A to F."))
    if information_credibility not in InformationCredibility.values:
        errors.setdefault("information_credibility", []).append(_("Information credibility is a grade from 1 to 6."))
    for name, text in (("narrative", narrative), ("source_reference", source_reference or "")):
        if "\x00" in text:
            errors.setdefault(name, []).append(_("The text contains a NUL character."))
    if not readings:
        errors.setdefault("readings", []).append(_("Give at least one indicator reading."))
    elif len(readings) > MAX_READINGS_PER_REPORT:
        errors.setdefault("readings", []).append(
            _("At most %(n)d readings per report.") % {"n": MAX_READINGS_PER_REPORT}
        )
    if errors:
        raise ValidationError(errors)
    indicators = _resolve_indicators(readings)
    seen: set[int] = set()
    for i, reading in enumerate(readings):
        indicator = indicators[i]
        value = reading.value
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            errors.setdefault("readings", []).append(_("Reading %(n)d: the value must be a number.") % {"n": i + 1})
        elif not indicator.scale_min <= value <= indicator.scale_max:
            errors.setdefault("readings", []).append(
                _("Reading %(n)d: %(code)s takes values from %(min)g to %(max)g, not %(value)g.")
                % {
                    "n": i + 1,
                    "code": indicator.code,
                    "min": indicator.scale_min,
                    "max": indicator.scale_max,
                    "value": value,
                }
            )
        if indicator.pk in seen:
            errors.setdefault("readings", []).append(
                _("Reading %(n)d: %(code)s is read twice in one report.") % {"n": i + 1, "code": indicator.code}
            )
        seen.add(indicator.pk)
    if errors:
        raise ValidationError(errors)
    return indicators


def field_report_create(
    *,
    user: User,
    community: Region,
    observed_at: datetime,
    readings: Sequence[ReadingInput],
    source_reliability: str,
    information_credibility: int,
    narrative: str = "",
    source_reference: str | None = None,
    idempotency_key: str | None = None,
    received_at: datetime | None = None,
) -> tuple[FieldReport, bool]:
    """Save a report with its readings in one transaction; returns (report, created).

    With an ``idempotency_key`` the same user's resend returns the first report
    instead of making a second one (gateways resend). Nothing is written when any
    part is invalid.
    """
    if user.role not in (Role.ANALYST, Role.COORDINATOR) or user.organisation_id is None:
        raise PermissionError(_("Only analysts and coordinators log field reports."))
    idempotency_key = idempotency_key or None
    # Only a well-formed key is looked up (PostgreSQL refuses NUL in a query); a malformed
    # one is reported by the validation below.
    if idempotency_key and _idempotency_key_valid(idempotency_key):
        existing = FieldReport.objects.filter(created_by=user, idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing, False
    indicators = field_report_validate(
        user=user,
        community=community,
        observed_at=observed_at,
        readings=readings,
        source_reliability=source_reliability,
        information_credibility=information_credibility,
        narrative=narrative,
        source_reference=source_reference,
        idempotency_key=idempotency_key,
    )
    report = FieldReport(
        community=community,
        observed_at=observed_at,
        received_at=received_at or timezone.now(),
        source_reliability=source_reliability,
        information_credibility=information_credibility,
        narrative=narrative,
        source_reference=source_reference or None,
        created_by=user,
        organisation_id=user.organisation_id,
        idempotency_key=idempotency_key,
    )
    try:
        with transaction.atomic():
            report.save()
            Reading.objects.bulk_create(
                Reading(report=report, indicator=indicators[i], value=float(r.value)) for i, r in enumerate(readings)
            )
    except IntegrityError:
        # Two resends raced past the lookup above: the first one's report stands.
        if idempotency_key:
            existing = FieldReport.objects.filter(created_by=user, idempotency_key=idempotency_key).first()
            if existing is not None:
                return existing, False
        raise
    return report, True
