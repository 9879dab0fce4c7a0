"""The demo's themes and its 18-indicator catalogue: EWERS's starter framework.

The demo loads the same JSON file a real deployment starts from
(``indicators/data/starter-framework.json``, ``manage.py setup_country``), through the
same import, so the two never drift apart. The report generator reads the indicators'
names, kinds and scales from it too.
"""

from __future__ import annotations

from ewers.models import Theme
from indicators.frameworks import STARTER_FRAMEWORK, IndicatorSpec, ThemeSpec, framework_load, framework_parse
from indicators.models import Indicator
from indicators.services import framework_import

FRAMEWORK = framework_parse(framework_load(STARTER_FRAMEWORK))

THEMES: dict[str, ThemeSpec] = {theme.code: theme for theme in FRAMEWORK.themes}
INDICATOR_SPECS: dict[str, IndicatorSpec] = {spec.code: spec for spec in FRAMEWORK.indicators}


def indicator_scale(spec: IndicatorSpec) -> tuple[float, float, dict[str, str]]:
    """The value scale of a demo indicator and what each value means: triggers 0-3, the others 0-4."""
    return spec.scale_min, spec.scale_max, spec.scale_labels


def seed_catalogue() -> tuple[dict[str, Theme], dict[str, Indicator]]:
    result = framework_import(source=FRAMEWORK, reason="demo catalogue")
    return result.theme_objects, result.indicator_objects
