"""Forms of the core: the login form, and the browser dress of list filters."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

# What <input type="datetime-local"> sends and shows.
DATETIME_LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


class LoginForm(AuthenticationForm):
    """Django's login form with the autocomplete hints browsers and password managers use."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("The username or password is not right. Both are case-sensitive."),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "autocapitalize": "none"})
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})


def filter_form_prepare(form: forms.Form) -> None:
    """Browser widgets for a shared FilterSet's form (the API reads the same parameters):
    "Any" instead of dashes, a date-time picker for times, a checkbox for "mine"."""
    for name, field in form.fields.items():
        widget = field.widget
        if isinstance(widget, forms.NullBooleanSelect):
            widget.choices = [("unknown", _("Any")), ("true", _("Yes")), ("false", _("No"))]
        elif isinstance(field, forms.ChoiceField):
            listed = [(v, label) for v, label in field.choices if v != ""]  # type: ignore[union-attr,misc]
            # django-filter adds its own empty choice unless told not to.
            field.empty_label = None  # type: ignore[attr-defined]
            field.choices = [("", _("Any")), *listed]
        elif isinstance(field, forms.DateTimeField):
            field.widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL_FORMAT)
        if name == "mine":
            field.widget = forms.CheckboxInput(attrs={"value": "1"})
        if name == "community":
            widget.attrs.update({"list": "community-options", "autocomplete": "off", "spellcheck": "false"})
