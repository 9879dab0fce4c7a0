"""Forms of the alert page's actions: what a coordinator or a responder types in.

They check the shape of the input only (required, length, a known choice); the rules of
the workflow (who may act, from which state) live in ``alerts.services``.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from alerts.choices import TEXT_MAX_LENGTH, IncidentOutcome
from ewers.models import Organisation


def _text(label: Any, help_text: Any = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        help_text=help_text,
        max_length=TEXT_MAX_LENGTH,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ActionForm(forms.Form):
    """An action form: its fields carry the action's name in their ids, so several
    forms on one page never share an id."""

    action = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"id_{self.action}_%s")
        super().__init__(*args, **kwargs)


class AlertResolveForm(ActionForm):
    action = "resolve"
    note = _text(_("Note"), _("What was done, and why the alert can close."))
    outcome = forms.ChoiceField(
        label=_("Did an incident follow?"),
        choices=IncidentOutcome.choices,
        widget=forms.RadioSelect,
        help_text=_("Thresholds are calibrated against what really happened."),
    )


class AlertDismissForm(ActionForm):
    action = "dismiss"
    note = _text(_("Why is this a false alarm?"), _("Pending assignments are withdrawn."))


class OrganisationForm(ActionForm):
    """Choose an organisation (to add to an alert, or to move an assignment to).

    The choices come from a list read once per page, so a page with a form on every
    assignment makes one query for them, not one per form."""

    organisation = forms.TypedChoiceField(label=_("Organisation"), coerce=int, choices=[])

    def __init__(self, *args: Any, organisations: list[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._organisations = {o.pk: o for o in organisations}
        field = self.fields["organisation"]
        field.choices = [("", _("Choose an organisation")), *((o.pk, o.name) for o in organisations)]  # type: ignore[attr-defined]

    def clean_organisation(self) -> Organisation:
        return self._organisations[self.cleaned_data["organisation"]]


class AlertAssignForm(OrganisationForm):
    action = "assign"


class AssignmentMoveForm(OrganisationForm):
    action = "move"


class AssignmentCompleteForm(ActionForm):
    action = "complete"
    outcome = _text(_("Outcome"), _("What your organisation did, and what came of it."))


class AssignmentDeclineForm(ActionForm):
    action = "decline"
    reason = _text(_("Reason"), _("Why your organisation cannot take this on. It goes back to the coordinators."))
