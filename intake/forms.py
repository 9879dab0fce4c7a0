"""The coordinator's forms of the triage queue."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from indicators.choices import InformationCredibility, SourceReliability


class TriageAcceptForm(forms.Form):
    """The coordinator grades the message as they judge it (the sender's grade is a hint)."""

    source_reliability = forms.ChoiceField(label=_("Source reliability"), choices=SourceReliability.choices)
    information_credibility = forms.TypedChoiceField(
        label=_("Information credibility"), choices=InformationCredibility.choices, coerce=int
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source_reliability"].widget.attrs["id"] = "id_source_reliability"
