"""The Malay texts of themes and indicators, shown when the page or API answer is in Malay
(the user's language: ewers.middleware.UserLanguageMiddleware; README "Languages").

Themes and indicators keep their Malay texts in plain ``*_ms`` columns beside the English
ones (the indicator framework's JSON carries both); a Malay text left blank falls back to
the English one, so a half-translated framework still reads.
"""

from __future__ import annotations

from typing import Any

from django.db.models import F, Value
from django.db.models.expressions import Combinable
from django.db.models.functions import Coalesce, NullIf
from django.utils import translation

from ewers.choices import LANGUAGES

LANGUAGE_CODES = frozenset(code for code, _name in LANGUAGES)
# The languages whose texts have columns of their own (``name_ms``...); English is the base.
CONTENT_LANGUAGES = frozenset({"ms"})


def content_language() -> str:
    """The language of the texts to show now: ``"ms"`` or ``""`` (the base English)."""
    language = (translation.get_language() or "").split("-")[0]
    return language if language in CONTENT_LANGUAGES else ""


def localized(obj: object, field: str) -> Any:
    """``obj.<field>`` in the current language: ``<field>_ms`` in Malay, if not blank."""
    language = content_language()
    if language:
        value = getattr(obj, f"{field}_{language}", None)
        if value:
            return value
    return getattr(obj, field)


def localized_labels(obj: object, field: str = "scale_labels") -> dict[str, str]:
    """A value-labels dict in the current language, value by value: a value without a
    Malay label keeps its English one."""
    base = getattr(obj, field, None)
    labels = dict(base) if isinstance(base, dict) else {}
    language = content_language()
    extra = getattr(obj, f"{field}_{language}", None) if language else None
    if isinstance(extra, dict):
        labels.update({str(k): str(v) for k, v in extra.items() if v})
    return labels


def localized_column(path: str) -> Combinable:
    """The ORM expression of ``path`` (``"name"``, ``"indicator__theme__name"``) in the
    current language, for ``values()`` and ``annotate()``."""
    language = content_language()
    if not language:
        return F(path)
    return Coalesce(NullIf(F(f"{path}_{language}"), Value("")), F(path))
