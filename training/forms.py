"""Forms of the training pages. The training form *is* the field report form
(``indicators.forms.FieldReportForm``): the same indicator lines and grading, without
the fields that only a real report has (community, time, narrative, source, handling).
The vignette form uses the same indicator lines for the expert's readings."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ewers.models import Region, Theme
from indicators.forms import READING_PREFIX, FieldReportForm
from training.models import Vignette
from training.services import COMMUNITY_TYPE_MAX_LENGTH, SITUATION_MAX_LENGTH, TITLE_MAX_LENGTH, TrainingValue

# A real report's fields that a training attempt has no use for.
REPORT_ONLY_FIELDS = ("community", "observed_at", "narrative", "source_reference", "handling_level", "idempotency_key")
GRADING_FIELDS = ("source_reliability", "information_credibility")


class TrainingReportForm(FieldReportForm):
    """The report form's readings and grading, for a vignette."""

    def __init__(self, data: Any = None, **kwargs: Any) -> None:
        super().__init__(data, communities=Region.objects.none(), **kwargs)
        for name in REPORT_ONLY_FIELDS:
            del self.fields[name]

    def training_values(self) -> list[TrainingValue]:
        return training_values(self)


class VignetteForm(FieldReportForm):
    """A vignette: its text, and per indicator the value an expert would record."""

    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX_LENGTH)
    situation = forms.CharField(
        label=_("Situation"),
        max_length=SITUATION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("What the analyst is told: what a monitor saw and heard. Invented: no real place or person."),
    )
    community_type = forms.CharField(
        label=_("Community type (optional)"),
        required=False,
        max_length=COMMUNITY_TYPE_MAX_LENGTH,
        help_text=_("E.g. “market town”, “rural village”, “university campus”."),
    )
    theme = forms.ModelChoiceField(
        label=_("Theme (optional)"), required=False, queryset=Theme.objects.all(), empty_label=_("— any —")
    )
    is_active = forms.BooleanField(label=_("Offered for practice"), required=False, initial=True)

    def __init__(self, data: Any = None, *, vignette: Vignette | None = None, **kwargs: Any) -> None:
        if vignette is not None and data is None:
            kwargs["initial"] = {
                "title": vignette.title,
                "situation": vignette.situation,
                "community_type": vignette.community_type,
                "theme": vignette.theme_id,
                "is_active": vignette.is_active,
                **{READING_PREFIX + r.indicator.code: _initial(r.value) for r in vignette.readings.all()},
            }
        super().__init__(data, communities=Region.objects.none(), **kwargs)
        for name in REPORT_ONLY_FIELDS + GRADING_FIELDS:
            del self.fields[name]
        # The text fields first (declared fields come after the report form's own).
        order = ["title", "situation", "community_type", "theme", "is_active"]
        self.order_fields(order)

    def training_values(self) -> list[TrainingValue]:
        return training_values(self)

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "title": data["title"],
            "situation": data["situation"],
            "community_type": data["community_type"].strip(),
            "theme": data["theme"],
            "is_active": bool(data["is_active"]),
            "readings": self.training_values(),
        }


def training_values(form: FieldReportForm) -> list[TrainingValue]:
    """The indicators given a value, in the order of the form (after is_valid)."""
    values = []
    for indicator in form.indicators:
        value = form.cleaned_data.get(READING_PREFIX + indicator.code)
        if value is not None:
            values.append(TrainingValue(indicator=indicator, value=float(value)))
    return values


def _initial(value: float) -> str:
    """A stored value as the form's select names it ("3", not "3.0")."""
    return f"{value:g}"
