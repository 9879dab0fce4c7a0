"""Forms of the alert page's actions: what a coordinator or a responder types in.

They check the shape of the input only (required, length, a known choice); the rules of
the workflow (who may act, from which state) live in ``alerts.services``.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from alerts.choices import TEXT_MAX_LENGTH, IncidentOutcome, NoteAudience
from alerts.selectors import Candidate
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
    note = _text(_("Why is this a false alarm?"), _("Every live assignment ends with the alert; its holders are told."))


class CandidateSelect(forms.Select):
    """A select whose options a coordinator cannot pick are shown disabled, with the reason."""

    def __init__(self, *args: Any, disabled: set[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.disabled_values = disabled or set()

    def create_option(
        self,
        name: str,
        value: Any,
        label: int | str,
        selected: bool,
        index: int,
        subindex: int | None = None,
        attrs: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if str(value) in self.disabled_values:
            option["attrs"]["disabled"] = True
        return option


class OrganisationForm(ActionForm):
    """Choose an organisation (to add to an alert, move an assignment to, or hand it over to).

    Every active organisation is listed (``alerts.selectors.assignment_candidates``, read
    once per page): those that cannot take the alert are disabled with the reason; one
    whose mandate does not meet the alert's themes needs a note saying why."""

    organisation = forms.TypedChoiceField(label=_("Organisation"), coerce=int, choices=[])
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=TEXT_MAX_LENGTH,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Needed when the organisation's mandate does not cover this alert's themes."),
    )

    def __init__(self, *args: Any, candidates: list[Candidate], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._choosable = {c.organisation.pk: c.organisation for c in candidates if c.reason is None}
        field = self.fields["organisation"]
        options: list[tuple[Any, str]] = [("", str(_("Choose an organisation")))]
        for candidate in candidates:
            label = candidate.organisation.name
            if candidate.reason is not None:
                label = f"{label} — {candidate.reason}"
            elif not candidate.mandate_fits:
                label = f"{label} — {_('outside its mandate: add a note')}"
            options.append((candidate.organisation.pk, label))
        field.choices = options  # type: ignore[attr-defined]
        field.widget = CandidateSelect(
            choices=options, disabled={str(c.organisation.pk) for c in candidates if c.reason is not None}
        )

    def clean_organisation(self) -> Organisation:
        organisation = self._choosable.get(self.cleaned_data["organisation"])
        if organisation is None:
            raise forms.ValidationError(_("This organisation cannot take the alert."))
        return organisation


class AlertAssignForm(OrganisationForm):
    action = "assign"


class AssignmentMoveForm(OrganisationForm):
    action = "move"


class AssignmentHandOffForm(OrganisationForm):
    """Propose that another organisation take over the follow-up."""

    action = "handoff"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        note = self.fields["note"]
        note.required = True
        note.label = _("What should they take over, and why?")
        note.help_text = _("They see this note with the proposal; it goes on your organisation's timeline too.")


class HandoffDeclineForm(ActionForm):
    action = "handoff-decline"
    note = forms.CharField(
        label=_("Why not? (optional)"),
        required=False,
        max_length=TEXT_MAX_LENGTH,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class AlertNoteForm(ActionForm):
    action = "note"
    text = _text(_("Note"), _("Never editable once written; the audience you choose is told."))
    audience = forms.ChoiceField(
        label=_("Who reads it"), choices=NoteAudience.choices, initial=NoteAudience.ASSIGNED, widget=forms.RadioSelect
    )


class AssignmentCompleteForm(ActionForm):
    action = "complete"
    outcome = _text(_("Outcome"), _("What your organisation did, and what came of it."))


class AssignmentDeclineForm(ActionForm):
    action = "decline"
    reason = _text(_("Reason"), _("Why your organisation cannot take this on. It goes back to the coordinators."))
