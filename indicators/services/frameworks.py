"""Indicator frameworks in and out of the database: import (update by code) and export.

The file is read and checked by the pure ``indicators.frameworks``; here a checked
framework is written through ``theme_upsert`` and ``indicator_upsert`` (so a change of a
weight or threshold is versioned and re-scores, and an indicator with readings keeps its
scale and sense), all in one transaction: any refusal writes nothing. A dry run does
everything and rolls it back, so its counts and refusals are the real run's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ewers.models import Theme, ThemeTier, User
from ewers.services import theme_upsert
from indicators.frameworks import (
    Framework,
    FrameworkError,
    IndicatorSpec,
    ThemeSpec,
    framework_load,
    framework_parse,
)
from indicators.models import Indicator
from indicators.services.catalogue import indicator_upsert


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class FrameworkImportResult:
    """What an import did (or, for a dry run, would do)."""

    name: str
    themes: Counts = field(default_factory=Counts)
    indicators: Counts = field(default_factory=Counts)
    dry_run: bool = False
    # The objects by code, as written (a dry run's are rolled back).
    theme_objects: dict[str, Theme] = field(default_factory=dict)
    indicator_objects: dict[str, Indicator] = field(default_factory=dict)


class _DryRunRollback(Exception):
    pass


def _theme_state(theme: Theme | None) -> tuple[Any, ...] | None:
    if theme is None:
        return None
    tiers = dict(ThemeTier.objects.filter(theme=theme).values_list("sector", "tier"))
    return (theme.name, theme.name_ms, theme.description, theme.description_ms, theme.police_at_once, tiers)


def _indicator_values(spec: IndicatorSpec) -> dict[str, Any]:
    return {
        "name": spec.name,
        "name_ms": spec.name_ms,
        "description": spec.description,
        "description_ms": spec.description_ms,
        "category": spec.category,
        "polarity": spec.polarity,
        "weight": spec.weight,
        "scale_min": spec.scale_min,
        "scale_max": spec.scale_max,
        "scale_labels": spec.scale_labels,
        "scale_labels_ms": spec.scale_labels_ms,
        "threshold_moderate": spec.threshold_moderate,
        "threshold_high": spec.threshold_high,
        "threshold_critical": spec.threshold_critical,
        "half_life_days": spec.half_life_days,
        "handling_level": spec.handling_level,
        "is_active": spec.active,
    }


def _theme_write(spec: ThemeSpec, counts: Counts) -> Theme:
    before = _theme_state(Theme.objects.filter(code=spec.code).first())
    tiers_wanted = spec.tiers if spec.tiers is not None else (before[5] if before is not None else {})
    wanted = (spec.name, spec.name_ms, spec.description, spec.description_ms, spec.police_at_once, tiers_wanted)
    if before == wanted:
        counts.unchanged += 1
        return Theme.objects.get(code=spec.code)
    theme = theme_upsert(
        code=spec.code,
        name=spec.name,
        name_ms=spec.name_ms,
        description=spec.description,
        description_ms=spec.description_ms,
        police_at_once=spec.police_at_once,
        tiers=spec.tiers,
    )
    if before is None:
        counts.created += 1
    else:
        counts.updated += 1
    return theme


def _indicator_write(
    spec: IndicatorSpec, theme: Theme, counts: Counts, *, changed_by: User | None, reason: str
) -> Indicator:
    current = Indicator.objects.filter(code=spec.code).first()
    values = _indicator_values(spec)
    same = current is not None and all(getattr(current, k) == v for k, v in values.items())
    if current is not None and same and current.theme_id == theme.pk:
        counts.unchanged += 1
        return current
    try:
        indicator, created = indicator_upsert(
            code=spec.code, theme=theme, changed_by=changed_by, reason=reason, **values
        )
    except ValidationError as exc:
        raise FrameworkError(
            [
                f"indicators ({spec.code}): {message}"
                for message in (
                    [f"{key}: {' '.join(texts)}" for key, texts in exc.message_dict.items()]
                    if hasattr(exc, "error_dict")
                    else exc.messages
                )
            ]
            + [_("Nothing was imported.")]
        ) from None
    if created:
        counts.created += 1
    else:
        counts.updated += 1
    return indicator


def framework_import(
    *,
    source: Path | bytes | str | Mapping[str, Any] | Framework,
    dry_run: bool = False,
    changed_by: User | None = None,
    reason: str = "",
) -> FrameworkImportResult:
    """Create or update the themes and indicators of a framework, by code; returns the counts.

    ``source`` is a file (``Path``), its text, its parsed JSON or a parsed ``Framework``.
    Themes and indicators of the database that the file does not name are left as they
    are (retire an indicator with ``"active": false``). Any problem raises FrameworkError
    with every message, and nothing is written; a dry run writes nothing either way.
    """
    framework = source if isinstance(source, Framework) else framework_parse(framework_load(source))
    result = FrameworkImportResult(name=framework.name, dry_run=dry_run)
    reason = reason or _("framework %(name)s imported") % {"name": framework.name}
    try:
        with transaction.atomic():
            for theme_spec in framework.themes:
                result.theme_objects[theme_spec.code] = _theme_write(theme_spec, result.themes)
            for spec in framework.indicators:
                result.indicator_objects[spec.code] = _indicator_write(
                    spec, result.theme_objects[spec.theme], result.indicators, changed_by=changed_by, reason=reason
                )
            if dry_run:
                raise _DryRunRollback
    except _DryRunRollback:
        pass
    return result


def framework_export(
    *,
    name: str = "",
    name_ms: str = "",
    description: str = "",
    description_ms: str = "",
    codes: Iterable[str] | None = None,
) -> Framework:
    """Every theme and indicator of the database (retired indicators marked inactive), by
    code; with ``codes``, only those indicators and the themes they belong to."""
    chosen = Indicator.objects.select_related("theme").order_by("code")
    themes_chosen = Theme.objects.order_by("code")
    if codes is not None:
        chosen = chosen.filter(code__in=list(codes))
        themes_chosen = themes_chosen.filter(indicators__in=chosen).distinct()
    tiers: dict[int, dict[str, int]] = {}
    for theme_id, sector, tier in ThemeTier.objects.values_list("theme_id", "sector", "tier"):
        tiers.setdefault(theme_id, {})[sector] = tier
    themes = [
        ThemeSpec(
            code=theme.code,
            name=theme.name,
            name_ms=theme.name_ms,
            description=theme.description,
            description_ms=theme.description_ms,
            police_at_once=theme.police_at_once,
            tiers=tiers.get(theme.pk, {}),
        )
        for theme in themes_chosen
    ]
    indicators = [
        IndicatorSpec(
            code=indicator.code,
            name=indicator.name,
            name_ms=indicator.name_ms,
            description=indicator.description,
            description_ms=indicator.description_ms,
            category=indicator.category,
            theme=indicator.theme.code,
            polarity=indicator.polarity,
            weight=indicator.weight,
            half_life_days=indicator.half_life_days,
            scale_min=indicator.scale_min,
            scale_max=indicator.scale_max,
            scale_labels=dict(indicator.scale_labels or {}),
            scale_labels_ms=dict(indicator.scale_labels_ms or {}),
            threshold_moderate=indicator.threshold_moderate,
            threshold_high=indicator.threshold_high,
            threshold_critical=indicator.threshold_critical,
            handling_level=indicator.handling_level,
            active=indicator.is_active,
        )
        for indicator in chosen
    ]
    return Framework(
        name=name or _("EWERS indicator framework"),
        name_ms=name_ms,
        description=description,
        description_ms=description_ms,
        themes=themes,
        indicators=indicators,
    )
