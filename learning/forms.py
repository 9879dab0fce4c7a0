"""The incident form: the shape of the input only; ``learning.services`` decides the rest."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alerts.models import Alert
from ewers.forms import DATETIME_LOCAL_FORMAT
from ewers.models import Region
from learning.choices import DESCRIPTION_MAX_LENGTH, IncidentKind, IncidentSeverity

DATETIME_LOCAL_INPUT_FORMATS = [DATETIME_LOCAL_FORMAT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]


class CommunityChoiceField(forms.ModelChoiceField[Region]):
    def label_from_instance(self, obj: Region) -> str:
        district = getattr(obj, "district", None)
        return f"{obj.name} ({obj.code})" + (f" — {district.name}" if district else "")


class AlertChoiceField(forms.ModelMultipleChoiceField[Alert]):
    def label_from_instance(self, obj: Alert) -> str:
        opened = timezone.localtime(obj.opened_at).strftime("%d %b %Y")
        return f"#{obj.pk} {obj.get_level_display()} — {obj.community.name} ({opened})"


class IncidentForm(forms.Form):
    community = CommunityChoiceField(queryset=Region.objects.none(), label=_("Community"))
    occurred_at = forms.DateTimeField(
        label=_("When did it happen?"),
        input_formats=DATETIME_LOCAL_INPUT_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL_FORMAT),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=IncidentKind.choices)
    severity = forms.ChoiceField(label=_("Severity"), choices=IncidentSeverity.choices)
    description = forms.CharField(
        label=_("What happened"),
        help_text=_("Facts about the event and the place; name no source and no private person."),
        max_length=DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    alerts = AlertChoiceField(
        queryset=Alert.objects.none(),
        required=False,
        label=_("Alerts that warned of it"),
        help_text=_("Leave empty when no alert came before it: the misses count too."),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, communities: QuerySet[Region], alerts: QuerySet[Alert], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities  # type: ignore[attr-defined]
        self.fields["alerts"].queryset = alerts  # type: ignore[attr-defined]
        if not self.is_bound:
            self.initial.setdefault("occurred_at", timezone.localtime().replace(second=0, microsecond=0))

    def apply_service_errors(self, error: ValidationError) -> None:
        """Place the service's field messages beside the fields they are about."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for name, messages in error.message_dict.items():
            self.add_error(name if name in self.fields else None, messages)

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "community": data["community"],
            "occurred_at": data["occurred_at"],
            "kind": data["kind"],
            "severity": data["severity"],
            "description": data["description"],
            "alert_ids": [alert.pk for alert in data["alerts"]],
        }
