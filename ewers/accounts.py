"""Sign-in with two factors: django-allauth's adapters and the API's token sign-in.

Rules stated once and enforced here for the sign-in page and the API alike:
- accounts are issued, never signed up for (``AccountAdapter.is_open_for_signup``);
- wrong passwords and wrong second-factor codes count towards the same lockout, per
  username AND client address (django-axes): nobody can lock someone out from elsewhere;
- a user with a second factor gives it with every sign-in: on the page a code or their
  security key, in the API a code (an app's or a recovery code; a key cannot sign an API
  request, so a user with only a key is told to add an app); coordinators and
  administrators cannot sign in to the API before they have one;
- a successful sign-in clears the failures counted for that username and address;
- TOTP secrets are stored encrypted (``SecondFactorAdapter``), never in clear.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from axes.handlers.proxy import AxesProxyHandler
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db import transaction
from django.http import HttpRequest
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from ewers.client import client_address
from ewers.models import ApiToken, User
from ewers.permissions import SECOND_FACTOR_REQUIRED, user_needs_second_factor
from ewers.services import api_token_issue, user_password_set

LOCKED_OUT = _("Too many failed sign-in attempts. Try again later or ask your administrator.")
WRONG_CREDENTIALS = _("The username or password is not right. Both are case-sensitive.")
CODE_NEEDED = _("Give the code of your authenticator app (or a recovery code) as otp.")
WRONG_CODE = _("The code is not right, or was used already.")
KEY_CANNOT_SIGN_IN_TO_API = _(
    "Your second factor is a security key, which the API cannot use. Give one of your "
    "recovery codes as otp, or add an authenticator app on the two-factor page "
    "(/accounts/2fa/) and give its code."
)
# What a second factor is: an app's codes or a security key (recovery codes back them up).
SECOND_FACTORS = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)
_ENCRYPTED = "fernet:"


class AccountAdapter(DefaultAccountAdapter):  # type: ignore[misc]
    """allauth's account rules for EWERS: no signup, our client address, our messages,
    and new passwords through ``user_password_set`` (which revokes the API tokens)."""

    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "username_password_mismatch": WRONG_CREDENTIALS,
        "too_many_login_attempts": LOCKED_OUT,
    }

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def get_client_ip(self, request: HttpRequest) -> str:
        return client_address(request)

    def set_password(self, user: Any, password: str) -> None:
        user_password_set(user=user, password=password)


def _fernet() -> MultiFernet:
    """Keys derived from SECRET_KEY and its fallbacks: a rotated key still opens old secrets."""
    keys = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    derived = [salted_hmac("ewers.mfa.secret", "fernet", secret=key, algorithm="sha256").digest() for key in keys]
    return MultiFernet([Fernet(base64.urlsafe_b64encode(key)) for key in derived])


class SecondFactorAdapter(DefaultMFAAdapter):  # type: ignore[misc]
    """allauth's MFA rules for EWERS: TOTP secrets encrypted at rest, labelled by username."""

    def encrypt(self, text: str) -> str:
        return _ENCRYPTED + _fernet().encrypt(text.encode()).decode()

    def decrypt(self, encrypted_text: str) -> str:
        if not encrypted_text.startswith(_ENCRYPTED):
            return encrypted_text
        try:
            return _fernet().decrypt(encrypted_text.removeprefix(_ENCRYPTED).encode()).decode()
        except InvalidToken:
            # A key that no longer opens the secret: no code can match it.
            return ""

    def get_totp_label(self, user: Any) -> str:
        return str(user.get_username())


def second_factor_enrolled(user: User) -> bool:
    """Whether the user has an authenticator app or a security key."""
    return bool(Authenticator.objects.filter(user_id=user.pk, type__in=SECOND_FACTORS).exists())


def _has_authenticator_app(user: User) -> bool:
    return bool(Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP).exists())


@transaction.atomic
def second_factor_enrol(*, user: User, secret: str) -> bool:
    """Enrol ``user`` with an authenticator app of the base32 ``secret``, and recovery
    codes; False when they have one already. For the demo's published secret and tests:
    people enrol on the two-factor page, with a secret of their own."""
    if Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP).exists():
        return False
    TOTP.activate(user, secret)
    if not Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.RECOVERY_CODES).exists():
        RecoveryCodes.activate(user)
    return True


def _credentials(username: str) -> dict[str, str]:
    return {"username": username}


def sign_in_locked(request: HttpRequest, username: str) -> bool:
    """Whether this username is locked out at the request's client address."""
    return bool(AxesProxyHandler.is_locked(request, _credentials(username)))


def sign_in_failed(request: HttpRequest, username: str) -> None:
    """Count a failed attempt (a wrong code) towards the username and address's lockout."""
    user_login_failed.send(sender=__name__, credentials=_credentials(username), request=request)


def second_factor_verify(request: HttpRequest, user: User, code: str) -> bool:
    """Whether ``code`` is the user's current TOTP code (each used once) or an unused
    recovery code (then spent). A wrong code counts as a failed sign-in."""
    code = code.strip().replace(" ", "")
    if code:
        for authenticator in Authenticator.objects.filter(user_id=user.pk).exclude(type=Authenticator.Type.WEBAUTHN):
            if authenticator.wrap().validate_code(code):
                authenticator.record_usage()
                return True
    sign_in_failed(request, user.get_username())
    return False


@dataclass(frozen=True)
class TokenSignIn:
    """The outcome of an API sign-in: a token and its key, or a refusal (status, body)."""

    token: ApiToken | None = None
    key: str = ""
    status: int = 200
    detail: str = ""
    otp_required: bool = False


def token_sign_in(*, request: HttpRequest, username: str, password: str, otp: str) -> TokenSignIn:
    """Exchange a password (and a second-factor code, where the user has one) for a new
    API token. 400 for a wrong username or password, 401 with ``otp_required`` for a
    missing or wrong code, 429 while locked out. The password is checked first, so the
    answer never tells whether an account has a second factor to someone without it."""
    if sign_in_locked(request, username):
        return TokenSignIn(status=429, detail=str(LOCKED_OUT))
    user = authenticate(request, username=username, password=password)
    if not isinstance(user, User):
        if getattr(request, "axes_locked_out", False):
            return TokenSignIn(status=429, detail=str(LOCKED_OUT))
        return TokenSignIn(status=400, detail=str(WRONG_CREDENTIALS))
    if second_factor_enrolled(user):
        # A security key signs a challenge in the browser; the API takes codes only.
        key_only = not _has_authenticator_app(user)
        if not otp.strip():
            missing = str(KEY_CANNOT_SIGN_IN_TO_API) if key_only else str(CODE_NEEDED)
            return TokenSignIn(status=401, detail=missing, otp_required=True)
        if not second_factor_verify(request, user, otp):
            if getattr(request, "axes_locked_out", False):
                return TokenSignIn(status=429, detail=str(LOCKED_OUT))
            wrong = f"{WRONG_CODE} {KEY_CANNOT_SIGN_IN_TO_API}" if key_only else str(WRONG_CODE)
            return TokenSignIn(status=401, detail=wrong, otp_required=True)
    elif user_needs_second_factor(user):
        return TokenSignIn(status=401, detail=str(SECOND_FACTOR_REQUIRED), otp_required=True)
    # Clears the failures of this username and address (AXES_RESET_ON_SUCCESS) and
    # records the sign-in time, as a sign-in on the page does.
    user_logged_in.send(sender=User, request=request, user=user)
    token, key = api_token_issue(user=user)
    return TokenSignIn(token=token, key=key)
