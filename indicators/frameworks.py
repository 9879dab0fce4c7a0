"""Indicator frameworks as JSON: reading and checking a file (pure, no ORM).

A framework is the set of themes and indicators a deployment scores with: each theme's
names, police rule and response tiers; each indicator's names, category, polarity,
weight, half-life, scale with its value labels, thresholds and handling level, in English
and Malay. ``indicators.services.frameworks`` writes a checked framework to the database
(update by code) and exports the database's as the same JSON, so a partner can take one,
adapt it to its mandates and import it again. docs/frameworks.md describes the format.

Every problem of a file is listed by where it is (``indicators[3] (P02).thresholds.high``),
and a file with any problem writes nothing.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from ewers.choices import HandlingLevel, Sector
from indicators.choices import Category, Polarity

FORMAT = "ewers-indicator-framework"
FORMAT_VERSION = 1
# The starter framework shipped with EWERS (the 18 indicators of the demo).
STARTER_FRAMEWORK = Path(__file__).resolve().parent / "data" / "starter-framework.json"
# A framework is a few hundred indicators at most; anything far larger is not one.
MAX_BYTES = 2_000_000
# Problems listed before the rest are only counted.
MAX_MESSAGES = 100

THEME_CODE = re.compile(r"^[-a-zA-Z0-9_]+$")
INDICATOR_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
NAME_MAX = 200
THEME_CODE_MAX = 64
INDICATOR_CODE_MAX = 32

TOP_KEYS = {"format", "version", "name", "name_ms", "description", "description_ms", "themes", "indicators"}
THEME_KEYS = {"code", "name", "name_ms", "description", "description_ms", "police_at_once", "tiers"}
INDICATOR_KEYS = {
    "code",
    "name",
    "name_ms",
    "description",
    "description_ms",
    "category",
    "theme",
    "polarity",
    "weight",
    "half_life_days",
    "scale",
    "thresholds",
    "handling_level",
    "active",
}
SCALE_KEYS = {"min", "max", "labels", "labels_ms"}
THRESHOLD_KEYS = ("moderate", "high", "critical")


class FrameworkError(Exception):
    """The framework cannot be imported; nothing was written. ``messages`` lists every problem."""

    def __init__(self, messages: list[str]) -> None:
        self.messages = list(messages)
        super().__init__("\n".join(self.messages))


@dataclass(frozen=True)
class ThemeSpec:
    code: str
    name: str
    name_ms: str = ""
    description: str = ""
    description_ms: str = ""
    police_at_once: bool = False
    # None: the file says nothing, the theme keeps its tiers.
    tiers: dict[str, int] | None = None


@dataclass(frozen=True)
class IndicatorSpec:
    code: str
    name: str
    category: str
    theme: str
    weight: float
    half_life_days: float
    scale_min: float
    scale_max: float
    threshold_moderate: float
    threshold_high: float
    threshold_critical: float
    name_ms: str = ""
    description: str = ""
    description_ms: str = ""
    polarity: str = Polarity.RISK
    scale_labels: dict[str, str] = field(default_factory=dict)
    scale_labels_ms: dict[str, str] = field(default_factory=dict)
    handling_level: str = HandlingLevel.PARTNERS
    active: bool = True


@dataclass(frozen=True)
class Framework:
    name: str
    themes: list[ThemeSpec]
    indicators: list[IndicatorSpec]
    name_ms: str = ""
    description: str = ""
    description_ms: str = ""


# --- Reading ------------------------------------------------------------------------------


def framework_load(source: Path | bytes | str | Mapping[str, Any]) -> Any:
    """The parsed JSON of a framework file: a path, its text, or JSON already parsed."""
    if isinstance(source, Mapping):
        return source
    if isinstance(source, Path):
        try:
            if source.stat().st_size > MAX_BYTES:
                raise FrameworkError([_("The file is larger than %(max)s bytes.") % {"max": f"{MAX_BYTES:,}"}])
            data = source.read_bytes()
        except OSError as exc:
            raise FrameworkError(
                [_("Cannot read %(path)s: %(error)s.") % {"path": source, "error": exc.strerror or exc}]
            ) from None
    else:
        data = source.encode() if isinstance(source, str) else source
    if len(data) > MAX_BYTES:
        raise FrameworkError([_("The file is larger than %(max)s bytes.") % {"max": f"{MAX_BYTES:,}"}])
    try:
        return json.loads(data)
    except json.JSONDecodeError as exc:
        raise FrameworkError(
            [
                _("The file is not JSON: %(error)s at line %(line)d, column %(column)d.")
                % {"error": exc.msg, "line": exc.lineno, "column": exc.colno}
            ]
        ) from None
    except (UnicodeDecodeError, RecursionError, ValueError):
        raise FrameworkError([_("The file is not JSON text in UTF-8.")]) from None


# --- Checking -----------------------------------------------------------------------------


class _Problems:
    """Problems gathered while checking, each prefixed by where it is."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.messages.append(f"{where}: {message}")


def _has_control(value: str) -> bool:
    # Control characters (NUL among them) and lone surrogates: PostgreSQL cannot store NUL,
    # and none belongs in a name or a description.
    return any(unicodedata.category(c) in {"Cc", "Cs"} and c not in "\n\t" for c in value)


def _text(
    data: Mapping[str, Any], key: str, where: str, problems: _Problems, *, required: bool, max_length: int | None
) -> str:
    value = data.get(key)
    if value is None:
        if required:
            problems.add(f"{where}.{key}", _("required"))
        return ""
    if not isinstance(value, str):
        problems.add(f"{where}.{key}", _("must be text"))
        return ""
    value = value.strip()
    if required and not value:
        problems.add(f"{where}.{key}", _("must not be empty"))
    elif max_length is not None and len(value) > max_length:
        problems.add(f"{where}.{key}", _("at most %(max)d characters") % {"max": max_length})
    elif _has_control(value):
        problems.add(f"{where}.{key}", _("holds a control character"))
    return value


def _number(data: Mapping[str, Any], key: str, where: str, problems: _Problems, *, positive: bool = False) -> float:
    value = data.get(key)
    if value is None:
        problems.add(f"{where}.{key}", _("required"))
        return math.nan
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        problems.add(f"{where}.{key}", _("must be a number"))
        return math.nan
    if positive and value <= 0:
        problems.add(f"{where}.{key}", _("must be greater than 0"))
    return float(value)


def _choice(
    data: Mapping[str, Any], key: str, where: str, problems: _Problems, choices: list[str], default: str | None
) -> str:
    value = data.get(key, default)
    if value is None:
        problems.add(f"{where}.{key}", _("required"))
        return ""
    if value not in choices:
        problems.add(
            f"{where}.{key}",
            _("%(value)s is not one of %(choices)s") % {"value": json.dumps(value), "choices": ", ".join(choices)},
        )
        return ""
    return str(value)


def _flag(data: Mapping[str, Any], key: str, where: str, problems: _Problems, default: bool) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        problems.add(f"{where}.{key}", _("must be true or false"))
        return default
    return value


def _unknown_keys(data: Mapping[str, Any], allowed: set[str], where: str, problems: _Problems) -> None:
    # A misspelt key ("treshold") would otherwise be silently ignored.
    for key in sorted(set(data) - allowed):
        problems.add(
            f"{where}.{key}" if where else key,
            _("unknown key; expected one of %(keys)s") % {"keys": ", ".join(sorted(allowed))},
        )


def _object(value: Any, where: str, problems: _Problems) -> Mapping[str, Any] | None:
    if not isinstance(value, dict):
        problems.add(where, _("must be an object"))
        return None
    return value


def _tiers(data: Mapping[str, Any], where: str, problems: _Problems) -> dict[str, int] | None:
    if data.get("tiers") is None:
        return None
    tiers = _object(data["tiers"], f"{where}.tiers", problems)
    if tiers is None:
        return None
    result: dict[str, int] = {}
    for sector, tier in tiers.items():
        if sector not in Sector.values:
            problems.add(
                f"{where}.tiers.{sector}",
                _("unknown sector; expected one of %(sectors)s") % {"sectors": ", ".join(Sector.values)},
            )
        elif isinstance(tier, bool) or not isinstance(tier, int) or not 1 <= tier <= 9:
            problems.add(f"{where}.tiers.{sector}", _("must be a whole number from 1 to 9"))
        else:
            result[sector] = tier
    return result


def _theme(raw: Any, index: int, problems: _Problems) -> ThemeSpec | None:
    where = f"themes[{index}]"
    data = _object(raw, where, problems)
    if data is None:
        return None
    code = data.get("code")
    if isinstance(code, str) and code:
        where = f"themes[{index}] ({code})"
    count = len(problems.messages)
    _unknown_keys(data, THEME_KEYS, where, problems)
    code = _text(data, "code", where, problems, required=True, max_length=THEME_CODE_MAX)
    if code and not THEME_CODE.match(code):
        problems.add(f"{where}.code", _("use letters, digits, '-' and '_' only"))
    spec = ThemeSpec(
        code=code,
        name=_text(data, "name", where, problems, required=True, max_length=NAME_MAX),
        name_ms=_text(data, "name_ms", where, problems, required=False, max_length=NAME_MAX),
        description=_text(data, "description", where, problems, required=False, max_length=None),
        description_ms=_text(data, "description_ms", where, problems, required=False, max_length=None),
        police_at_once=_flag(data, "police_at_once", where, problems, False),
        tiers=_tiers(data, where, problems),
    )
    return spec if len(problems.messages) == count else None


def _labels(
    scale: Mapping[str, Any], key: str, where: str, problems: _Problems, low: float, high: float
) -> dict[str, str]:
    raw = scale.get(key)
    if raw is None:
        return {}
    labels = _object(raw, f"{where}.{key}", problems)
    if labels is None:
        return {}
    result: dict[str, str] = {}
    for value, label in labels.items():
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not math.isfinite(number) or (math.isfinite(low) and math.isfinite(high) and not low <= number <= high):
            problems.add(
                f"{where}.{key}.{value}",
                _("a label must name a value of the scale (%(low)s to %(high)s)")
                % {"low": _plain(low), "high": _plain(high)},
            )
        elif not isinstance(label, str) or not label.strip() or len(label) > NAME_MAX or _has_control(label):
            problems.add(f"{where}.{key}.{value}", _("must be text of 1 to %(max)d characters") % {"max": NAME_MAX})
        else:
            result[value] = label.strip()
    return result


def _plain(number: float) -> int | float:
    """A number as it is best written: 4, not 4.0."""
    return int(number) if math.isfinite(number) and number.is_integer() else number


def _indicator(raw: Any, index: int, theme_codes: set[str], problems: _Problems) -> IndicatorSpec | None:
    where = f"indicators[{index}]"
    data = _object(raw, where, problems)
    if data is None:
        return None
    code = data.get("code")
    if isinstance(code, str) and code:
        where = f"indicators[{index}] ({code})"
    count = len(problems.messages)
    _unknown_keys(data, INDICATOR_KEYS, where, problems)
    code = _text(data, "code", where, problems, required=True, max_length=INDICATOR_CODE_MAX)
    if code and not INDICATOR_CODE.match(code):
        problems.add(f"{where}.code", _("use letters, digits, '.', '_' and '-' only, starting with a letter or digit"))
    theme = _text(data, "theme", where, problems, required=True, max_length=THEME_CODE_MAX)
    if theme and theme not in theme_codes:
        problems.add(f"{where}.theme", _("%(theme)s is not a theme of this file") % {"theme": json.dumps(theme)})
    scale = _object(data.get("scale"), f"{where}.scale", problems) if "scale" in data else None
    if "scale" not in data:
        problems.add(f"{where}.scale", _("required"))
    low = high = math.nan
    labels: dict[str, str] = {}
    labels_ms: dict[str, str] = {}
    if scale is not None:
        _unknown_keys(scale, SCALE_KEYS, f"{where}.scale", problems)
        low = _number(scale, "min", f"{where}.scale", problems)
        high = _number(scale, "max", f"{where}.scale", problems)
        if low >= high:
            problems.add(f"{where}.scale.max", _("must be greater than the lowest value"))
        labels = _labels(scale, "labels", f"{where}.scale", problems, low, high)
        labels_ms = _labels(scale, "labels_ms", f"{where}.scale", problems, low, high)
    thresholds = _object(data.get("thresholds"), f"{where}.thresholds", problems) if "thresholds" in data else None
    if "thresholds" not in data:
        problems.add(f"{where}.thresholds", _("required"))
    levels = [math.nan, math.nan, math.nan]
    if thresholds is not None:
        _unknown_keys(thresholds, set(THRESHOLD_KEYS), f"{where}.thresholds", problems)
        levels = [_number(thresholds, key, f"{where}.thresholds", problems) for key in THRESHOLD_KEYS]
        moderate, high_threshold, critical = levels
        if math.isfinite(low) and moderate < low:
            problems.add(
                f"{where}.thresholds.moderate",
                _("must be at least the lowest value of the scale (%(low)s)") % {"low": _plain(low)},
            )
        if high_threshold < moderate:
            problems.add(
                f"{where}.thresholds.high",
                _("must be at least the moderate threshold (%(value)s)") % {"value": _plain(moderate)},
            )
        if critical < high_threshold:
            problems.add(
                f"{where}.thresholds.critical",
                _("must be at least the high threshold (%(value)s)") % {"value": _plain(high_threshold)},
            )
        if math.isfinite(high) and critical > high:
            problems.add(
                f"{where}.thresholds.critical",
                _("must be at most the highest value of the scale (%(high)s)") % {"high": _plain(high)},
            )
    spec = IndicatorSpec(
        code=code,
        name=_text(data, "name", where, problems, required=True, max_length=NAME_MAX),
        name_ms=_text(data, "name_ms", where, problems, required=False, max_length=NAME_MAX),
        description=_text(data, "description", where, problems, required=False, max_length=None),
        description_ms=_text(data, "description_ms", where, problems, required=False, max_length=None),
        category=_choice(data, "category", where, problems, list(Category.values), None),
        theme=theme,
        polarity=_choice(data, "polarity", where, problems, list(Polarity.values), Polarity.RISK),
        weight=_number(data, "weight", where, problems, positive=True),
        half_life_days=_number(data, "half_life_days", where, problems, positive=True),
        scale_min=low,
        scale_max=high,
        scale_labels=labels,
        scale_labels_ms=labels_ms,
        threshold_moderate=levels[0],
        threshold_high=levels[1],
        threshold_critical=levels[2],
        handling_level=_choice(
            data, "handling_level", where, problems, list(HandlingLevel.values), HandlingLevel.PARTNERS
        ),
        active=_flag(data, "active", where, problems, True),
    )
    return spec if len(problems.messages) == count else None


def _list(data: Mapping[str, Any], key: str, problems: _Problems) -> list[Any]:
    value = data.get(key)
    if value is None:
        problems.add(key, _("required"))
        return []
    if not isinstance(value, list):
        problems.add(key, _("must be a list"))
        return []
    return value


def _refuse(messages: list[str]) -> FrameworkError:
    shown = messages[:MAX_MESSAGES]
    if len(messages) > MAX_MESSAGES:
        shown.append(_("… and %(count)d more problems.") % {"count": len(messages) - MAX_MESSAGES})
    shown.append(_("Nothing was imported."))
    return FrameworkError(shown)


def framework_parse(data: Any) -> Framework:
    """The framework ``data`` (parsed JSON) describes; FrameworkError lists every problem."""
    problems = _Problems()
    if not isinstance(data, dict):
        raise _refuse([_("The file must hold a JSON object, the framework.")])
    if data.get("format") != FORMAT:
        problems.add("format", _("must be %(format)s") % {"format": json.dumps(FORMAT)})
    if data.get("version") != FORMAT_VERSION or isinstance(data.get("version"), bool):
        problems.add("version", _("must be %(version)d") % {"version": FORMAT_VERSION})
    _unknown_keys(data, TOP_KEYS, "", problems)
    name = _text(data, "name", "framework", problems, required=True, max_length=NAME_MAX)
    name_ms = _text(data, "name_ms", "framework", problems, required=False, max_length=NAME_MAX)
    description = _text(data, "description", "framework", problems, required=False, max_length=None)
    description_ms = _text(data, "description_ms", "framework", problems, required=False, max_length=None)
    raw_themes = _list(data, "themes", problems)
    raw_indicators = _list(data, "indicators", problems)
    if "indicators" in data and isinstance(data["indicators"], list) and not raw_indicators:
        problems.add("indicators", _("must hold at least one indicator"))
    themes: list[ThemeSpec] = []
    seen_themes: dict[str, int] = {}
    for index, raw in enumerate(raw_themes):
        theme = _theme(raw, index, problems)
        code = raw.get("code") if isinstance(raw, dict) else None
        if isinstance(code, str) and code.strip():
            if code.strip() in seen_themes:
                problems.add(
                    f"themes[{index}] ({code}).code",
                    _("also used by themes[%(other)d]; codes must be unique") % {"other": seen_themes[code.strip()]},
                )
                continue
            seen_themes[code.strip()] = index
        if theme is not None:
            themes.append(theme)
    indicators: list[IndicatorSpec] = []
    seen_indicators: dict[str, int] = {}
    for index, raw in enumerate(raw_indicators):
        indicator = _indicator(raw, index, set(seen_themes), problems)
        code = raw.get("code") if isinstance(raw, dict) else None
        if isinstance(code, str) and code.strip():
            if code.strip() in seen_indicators:
                problems.add(
                    f"indicators[{index}] ({code}).code",
                    _("also used by indicators[%(other)d]; codes must be unique")
                    % {"other": seen_indicators[code.strip()]},
                )
                continue
            seen_indicators[code.strip()] = index
        if indicator is not None:
            indicators.append(indicator)
    if problems.messages:
        raise _refuse(problems.messages)
    return Framework(
        name=name,
        name_ms=name_ms,
        description=description,
        description_ms=description_ms,
        themes=themes,
        indicators=indicators,
    )


# --- Writing the JSON ---------------------------------------------------------------------


def framework_json(framework: Framework) -> dict[str, Any]:
    """The JSON object of ``framework``: what ``framework_parse`` reads back to the same."""
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "name": framework.name,
        "name_ms": framework.name_ms,
        "description": framework.description,
        "description_ms": framework.description_ms,
        "themes": [
            {
                "code": theme.code,
                "name": theme.name,
                "name_ms": theme.name_ms,
                "description": theme.description,
                "description_ms": theme.description_ms,
                "police_at_once": theme.police_at_once,
                **({"tiers": dict(sorted(theme.tiers.items()))} if theme.tiers is not None else {}),
            }
            for theme in framework.themes
        ],
        "indicators": [
            {
                "code": spec.code,
                "name": spec.name,
                "name_ms": spec.name_ms,
                "description": spec.description,
                "description_ms": spec.description_ms,
                "category": spec.category,
                "theme": spec.theme,
                "polarity": spec.polarity,
                "weight": _plain(spec.weight),
                "half_life_days": _plain(spec.half_life_days),
                "scale": {
                    "min": _plain(spec.scale_min),
                    "max": _plain(spec.scale_max),
                    "labels": spec.scale_labels,
                    "labels_ms": spec.scale_labels_ms,
                },
                "thresholds": {
                    "moderate": _plain(spec.threshold_moderate),
                    "high": _plain(spec.threshold_high),
                    "critical": _plain(spec.threshold_critical),
                },
                "handling_level": spec.handling_level,
                "active": spec.active,
            }
            for spec in framework.indicators
        ],
    }


def framework_dumps(framework: Framework) -> str:
    """The framework as the JSON text a person can read and edit (UTF-8, Malay as written)."""
    return json.dumps(framework_json(framework), ensure_ascii=False, indent=2) + "\n"
