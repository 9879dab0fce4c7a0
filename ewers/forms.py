"""Forms of the core: the sign-in forms (password, then second factor), and the browser
dress of list filters."""

from __future__ import annotations

from typing import Any

from allauth.account.forms import LoginForm as AllauthLoginForm
from allauth.core import context
from allauth.mfa.base.forms import AuthenticateForm
from allauth.mfa.webauthn.forms import AuthenticateWebAuthnForm
from django import forms
from django.utils.translation import gettext_lazy as _

from ewers.accounts import LOCKED_OUT, sign_in_failed, sign_in_locked

KEY_REFUSED = _(
    "The security key was not accepted: it is not one you added, or its answer was not "
    "for this sign-in. Try again with your key, or give a code."
)

# What <input type="datetime-local"> sends and shows.
DATETIME_LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


class LoginForm(AllauthLoginForm):  # type: ignore[misc]
    """allauth's sign-in form (its next stage asks for the second factor), with the
    autocomplete hints browsers and password managers use. The message of a wrong
    username or password is the account adapter's (ewers.accounts)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["login"].label = _("Username")
        self.fields["login"].widget.attrs.update(
            {"autocomplete": "username", "autocapitalize": "none", "placeholder": ""}
        )
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password", "placeholder": ""})


class SecondFactorForm(AuthenticateForm):  # type: ignore[misc]
    """The second step of signing in: a code of the authenticator app, or a recovery code.

    A wrong code counts towards the same lockout as a wrong password (per username and
    client address, django-axes); while locked out no code is tried at all.
    """

    def clean_code(self) -> str:
        request = context.request
        username = self.user.get_username()
        if sign_in_locked(request, username):
            raise forms.ValidationError(LOCKED_OUT)
        try:
            code: str = super().clean_code()
        except forms.ValidationError:
            sign_in_failed(request, username)
            raise
        return code


class SecurityKeyForm(AuthenticateWebAuthnForm):  # type: ignore[misc]
    """The second step of signing in with a security key: the key's signature over the
    challenge the page was given (WebAuthn). A signature that does not verify (another
    key, a forged or replayed answer) counts towards the same lockout as a wrong code;
    while locked out no signature is checked at all."""

    def clean_credential(self) -> Any:
        request = context.request
        username = self.user.get_username()
        if sign_in_locked(request, username):
            raise forms.ValidationError(LOCKED_OUT)
        try:
            return super().clean_credential()
        except forms.ValidationError as refused:
            sign_in_failed(request, username)
            raise forms.ValidationError(KEY_REFUSED) from refused


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
