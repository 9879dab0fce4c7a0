"""Forms of the report pages: the field report form, the CSV upload and the list filters' widgets.

Forms only parse what the browser sent into typed values; the rules (coverage, time,
scale, grading) live in ``indicators.services`` and come back as a ValidationError
whose messages the form places beside its fields.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ewers.choices import HandlingLevel
from ewers.forms import DATETIME_LOCAL_FORMAT
from ewers.models import Region
from indicators.choices import Category, InformationCredibility, Polarity, SourceReliability
from indicators.models import Indicator
from indicators.services import NARRATIVE_MAX_LENGTH, SOURCE_REFERENCE_MAX_LENGTH, ReadingInput

# A scale with more steps than this is typed as a number instead of picked from a list.
MAX_SELECT_STEPS = 20
DATETIME_LOCAL_INPUT_FORMATS = [DATETIME_LOCAL_FORMAT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
READING_PREFIX = "reading_"
CATEGORY_ORDER = [Category.STRUCTURAL, Category.PROXIMATE, Category.TRIGGER]
# "Name (CODE) — District": what the community list shows; a pasted label still finds its code.
LABEL_CODE = re.compile(r"\(([^()\s]+)\)(?:\s+—.*)?$")


def indicators_for_form() -> list[Indicator]:
    """The active catalogue in the order the form shows it: by category, risk before resilience."""
    indicators = list(Indicator.objects.filter(is_active=True))
    indicators.sort(
        key=lambda i: (
            CATEGORY_ORDER.index(Category(i.category)) if i.category in Category.values else len(CATEGORY_ORDER),
            i.polarity != Polarity.RISK,
            i.code,
        )
    )
    return indicators


def format_value(value: float) -> str:
    """A reading value as people write it: 3, not 3.0."""
    return f"{value:g}"


def scale_label(indicator: Indicator, value: float) -> str:
    """The meaning of ``value`` on the indicator's scale, or "" when none is recorded."""
    labels = indicator.local_scale_labels
    for key in (format_value(value), str(value), str(int(value)) if float(value).is_integer() else None):
        if key is not None and key in labels:
            return str(labels[key])
    return ""


def scale_is_listed(indicator: Indicator) -> bool:
    """Whole-number scales of a few steps are picked from a list; others are typed."""
    low, high = float(indicator.scale_min), float(indicator.scale_max)
    return low.is_integer() and high.is_integer() and 0 < high - low <= MAX_SELECT_STEPS


def scale_choices(indicator: Indicator) -> list[tuple[str, str]]:
    """``("3", "3 — widespread")`` for each step of a listed scale."""
    choices = []
    for step in range(int(indicator.scale_min), int(indicator.scale_max) + 1):
        meaning = scale_label(indicator, step)
        choices.append((str(step), f"{step} — {meaning}" if meaning else str(step)))
    return choices


def community_label(community: Region) -> str:
    """How the community list names a community: "Name (CODE) — District"."""
    district = getattr(community, "district", None)
    label = f"{community.name} ({community.code})"
    return f"{label} — {district.name}" if district is not None else label


@dataclass(frozen=True)
class ReadingRow:
    """One indicator's line of the form."""

    indicator: Indicator
    field: forms.BoundField

    @property
    def is_resilience(self) -> bool:
        return self.indicator.polarity == Polarity.RESILIENCE


@dataclass(frozen=True)
class ReadingGroup:
    category: str
    label: str
    rows: list[ReadingRow]


@dataclass(frozen=True)
class ErrorSummaryItem:
    label: str
    message: str
    anchor: str


class FieldReportForm(forms.Form):
    """One observation visit: community, time, one select per active indicator, grading, narrative."""

    community = forms.CharField(
        label=_("Community"),
        max_length=200,
        help_text=_("Type the community's name or code and pick it from the list."),
        widget=forms.TextInput(
            attrs={"list": "community-options", "autocomplete": "off", "spellcheck": "false", "autocapitalize": "off"}
        ),
    )
    observed_at = forms.DateTimeField(
        label=_("Observed at"),
        input_formats=DATETIME_LOCAL_INPUT_FORMATS,
        help_text=_("Local time of the observation; not in the future."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL_FORMAT),
    )
    source_reliability = forms.ChoiceField(
        label=_("Source reliability"),
        choices=SourceReliability.choices,
        widget=forms.RadioSelect,
        help_text=_("How reliable is the source, judged by its record?"),
    )
    information_credibility = forms.TypedChoiceField(
        label=_("Information credibility"),
        choices=InformationCredibility.choices,
        coerce=int,
        widget=forms.RadioSelect,
        help_text=_("How credible is this piece of information itself?"),
    )
    narrative = forms.CharField(
        label=_("Narrative"),
        required=False,
        max_length=NARRATIVE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What was seen and heard. Describe places and events, not people: no names."),
    )
    source_reference = forms.CharField(
        label=_("Source reference (optional)"),
        required=False,
        max_length=SOURCE_REFERENCE_MAX_LENGTH,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text=_(
            "Stored encrypted. Shown only to your organisation and to the coordinators covering the community, "
            "never to responders."
        ),
    )
    handling_level = forms.ChoiceField(
        label=_("Handling level"),
        required=False,
        choices=[("", _("As its indicators require")), *HandlingLevel.choices],
        help_text=_(
            "Who may read this report's narrative and readings. Its indicators set the lowest level; "
            "you can only raise it. Everyone still sees the place's score."
        ),
    )
    # One per rendering of the form: a double click or a resend saves one report.
    idempotency_key = forms.CharField(required=False, max_length=128, widget=forms.HiddenInput)

    def __init__(
        self,
        data: Any = None,
        *,
        communities: QuerySet[Region],
        indicators: Sequence[Indicator] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data, **kwargs)
        self.communities = communities
        self.indicators = list(indicators) if indicators is not None else indicators_for_form()
        self.readings_errors: list[str] = []
        if not self.is_bound:
            self.initial.setdefault("observed_at", timezone.localtime().replace(second=0, microsecond=0))
            self.initial.setdefault("idempotency_key", str(uuid.uuid4()))
        for indicator in self.indicators:
            self.fields[READING_PREFIX + indicator.code] = self._reading_field(indicator)

    @staticmethod
    def _reading_field(indicator: Indicator) -> forms.Field:
        description = indicator.local_description or ""
        if scale_is_listed(indicator):
            return forms.TypedChoiceField(
                label=indicator.local_name,
                required=False,
                coerce=float,
                empty_value=None,
                choices=[("", _("— not observed —")), *scale_choices(indicator)],
                help_text=description,
            )
        return forms.FloatField(
            label=indicator.local_name,
            required=False,
            help_text=description,
            widget=forms.NumberInput(
                attrs={
                    "min": format_value(indicator.scale_min),
                    "max": format_value(indicator.scale_max),
                    "step": "any",
                }
            ),
        )

    # --- Parsing -------------------------------------------------------------------------

    def clean_community(self) -> Region:
        text = self.cleaned_data["community"].strip()
        match = LABEL_CODE.search(text)
        candidates = [text, match.group(1)] if match else [text]
        for code in candidates:
            community = self.communities.filter(code__iexact=code).first()
            if community is not None:
                return community
        by_name = list(self.communities.filter(name__iexact=text)[:2])
        if len(by_name) == 1:
            return by_name[0]
        raise ValidationError(
            _("No community in your coverage is called %(text)s. Type its name or code and pick it from the list."),
            code="unknown",
            params={"text": text},
        )

    def clean_observed_at(self) -> datetime:
        value: datetime = self.cleaned_data["observed_at"]
        try:
            # A time the database cannot hold in UTC (e.g. 1 January of year 1, local) is
            # not a time anyone observed anything at: refuse it here, not at save. Kept in UTC:
            # PostgreSQL refuses offsets beyond ±15:59 (e.g. +20:00), which the input allows.
            value = value.astimezone(UTC)
        except OverflowError:
            raise ValidationError(forms.DateTimeField.default_error_messages["invalid"], code="invalid") from None
        return value

    def readings(self) -> list[ReadingInput]:
        """The indicators given a value, in the order of the form (after is_valid)."""
        readings = []
        for indicator in self.indicators:
            value = self.cleaned_data.get(READING_PREFIX + indicator.code)
            if value is not None:
                readings.append(ReadingInput(indicator=indicator, value=value))
        return readings

    def apply_service_errors(self, error: ValidationError) -> None:
        """Place the service's field messages beside the fields they are about."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for name, messages in error.message_dict.items():
            if name == "readings":
                self.readings_errors.extend(messages)
            elif name in self.fields:
                self.add_error(name, messages)
            else:
                self.add_error(None, messages)

    # --- Rendering -----------------------------------------------------------------------

    def community_options(self) -> list[tuple[str, str]]:
        return [(c.code, community_label(c)) for c in self.communities]

    def reading_groups(self) -> list[ReadingGroup]:
        groups: dict[str, list[ReadingRow]] = {}
        for indicator in self.indicators:
            groups.setdefault(indicator.category, []).append(
                ReadingRow(indicator=indicator, field=self[READING_PREFIX + indicator.code])
            )
        labels = dict(Category.choices)
        return [ReadingGroup(category, str(labels.get(category, category)), rows) for category, rows in groups.items()]

    def has_any_errors(self) -> bool:
        return bool(self.errors or self.readings_errors)

    def error_summary(self) -> list[ErrorSummaryItem]:
        """Every message once, each linking to its field, for the box at the top of the form."""
        items = [ErrorSummaryItem(label="", message=str(m), anchor="") for m in self.non_field_errors()]
        for name, field in self.fields.items():
            for message in self.errors.get(name, []):
                items.append(
                    ErrorSummaryItem(label=str(field.label or ""), message=str(message), anchor=self._anchor(name))
                )
        items.extend(
            ErrorSummaryItem(label=str(_("Indicator readings")), message=m, anchor="readings")
            for m in self.readings_errors
        )
        return items

    def _anchor(self, name: str) -> str:
        widget = self.fields[name].widget
        # A radio group's first input carries the id with "_0".
        suffix = "_0" if isinstance(widget, forms.RadioSelect) else ""
        return f"{self.auto_id % name}{suffix}" if isinstance(self.auto_id, str) else name


class ReportImportForm(forms.Form):
    """A CSV file of reports, and whether to only check it."""

    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("UTF-8 text, one report per line after the header line."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
    dry_run = forms.BooleanField(
        label=_("Dry run only: check every row, save nothing"),
        required=False,
        initial=True,
    )
