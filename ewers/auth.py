"""Authentication rules of EWERS, applied to every way in.

- A member of a deactivated organisation cannot sign in: the session backend (also
  consulted for each request of an existing session) and both token authentications
  refuse them.
- A user's API token is valid only under the password it was issued with: a password
  change voids every token at once, whichever way the password was changed (the account
  page, a reset link, the admin, a command), as Django's own check voids other sessions.
- A gateway's named token authenticates as the account it acts for, with the token as
  ``request.auth``; ``ewers.api.permissions.GatewayScope`` keeps it to the endpoints that
  accept gateways. A gateway given a signing secret must sign every request
  (``gateway_signature_check``, docs/sms.md): a stolen token alone is then not enough.
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import time
from datetime import timedelta
from functools import cache
from hmac import compare_digest
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.db import connection
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from knox.auth import TokenAuthentication
from knox.crypto import hash_token
from knox.settings import CONSTANTS, knox_settings
from knox.signals import token_expired
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from ewers.models import ApiToken, GatewayToken, Organisation, User

# A gateway token's last use is written at most this often (not on every request).
LAST_USE_PRECISION = timedelta(minutes=1)
INACTIVE_MESSAGE = _("User inactive or deleted.")


def user_may_sign_in(user: Any) -> bool:
    """Active users whose organisation, if they have one, is active too."""
    if not getattr(user, "is_active", False):
        return False
    organisation = getattr(user, "organisation", None)
    return organisation is None or organisation.is_active


class MemberBackend(ModelBackend):
    """Django's password backend, closed to members of deactivated organisations."""

    def user_can_authenticate(self, user: Any) -> bool:
        return user_may_sign_in(user)


def password_fingerprints(user: User) -> list[str]:
    """The fingerprints of the user's current password under the signing key and each
    fallback key (Django's session hash), the first one for new tokens."""
    keys = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    salt = "ewers.auth.password_fingerprint"
    return [salted_hmac(salt, user.password, secret=key, algorithm="sha256").hexdigest() for key in keys]


def api_tokens_named(token_key: str) -> list[ApiToken]:
    """The API tokens whose key starts ``token_key``, each with its user and the user's
    organisation (which ``user_may_sign_in`` reads): one query. On PostgreSQL a plain
    statement whose columns the models take as they come: every API request authenticates
    so, and the queryset's compiling and its three models' building cost ~1 ms of the
    ~3 ms a request for one's own account takes."""
    if connection.vendor != "postgresql":
        return list(ApiToken.objects.filter(token_key=token_key).select_related("user__organisation"))
    sql, models_read = _api_tokens_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, [token_key])
        rows = cursor.fetchall()
    found = []
    for row in rows:
        instances: list[Any] = []
        start = 0
        for model, names, key in models_read:
            values = row[start : start + len(names)]
            start += len(names)
            # A user without an organisation: its columns all NULL (the primary key too).
            instances.append(None if values[key] is None else model.from_db(connection.alias, names, values))
        auth_token, user, organisation = instances
        ApiToken._meta.get_field("user").set_cached_value(auth_token, user)
        User._meta.get_field("organisation").set_cached_value(user, organisation)
        found.append(auth_token)
    return found


@cache
def _api_tokens_sql() -> tuple[str, list[tuple[type[Any], list[str], int]]]:
    """``api_tokens_named``' statement (its one parameter the key), and the models its
    columns fill in order, with their field names (all, in the model's order) and the
    place of the primary key among them."""
    quote = connection.ops.quote_name
    read = []
    columns = []
    for alias, model in (("t", ApiToken), ("u", User), ("o", Organisation)):
        fields = model._meta.concrete_fields
        read.append((model, [f.attname for f in fields], [f.primary_key for f in fields].index(True)))
        columns += [f"{alias}.{quote(f.column)}" for f in fields]
    sql = (
        f"SELECT {', '.join(columns)} FROM {quote(ApiToken._meta.db_table)} t "  # noqa: S608 - names from the models
        f"JOIN {quote(User._meta.db_table)} u ON u.id = t.user_id "
        f"LEFT JOIN {quote(Organisation._meta.db_table)} o ON o.id = u.organisation_id "
        "WHERE t.token_key = %s"
    )
    return sql, read


class MemberTokenAuthentication(TokenAuthentication):  # type: ignore[misc]
    """django-rest-knox's token authentication (digest lookup, expiry) plus EWERS' rules:
    the organisation must be active and the password unchanged since the sign-in."""

    def authenticate_credentials(self, token: bytes) -> tuple[User, ApiToken]:
        """knox's lookup in ONE query: the token with its user and the user's organisation
        (which ``validate_user`` reads), its expiry checked as knox checks it (an expired
        token is deleted and refused). knox also swept the user's other expired tokens on
        every request, one query more each time: they are left to the scheduled
        ``api_tokens_clear`` (every few hours), and each is refused here if sent meanwhile."""
        message = _("Invalid token.")
        key = token.decode("utf-8")
        for auth_token in api_tokens_named(key[: CONSTANTS.TOKEN_KEY_LENGTH]):
            if auth_token.expiry is not None and auth_token.expiry < timezone.now():
                username = auth_token.user.get_username()
                auth_token.delete()
                token_expired.send(sender=type(self), username=username, source="auth_token")
                continue
            try:
                digest = hash_token(key)
            except (TypeError, binascii.Error):
                raise exceptions.AuthenticationFailed(message) from None
            if compare_digest(digest, auth_token.digest):
                if knox_settings.AUTO_REFRESH and auth_token.expiry:
                    self.renew_token(auth_token)
                return self.validate_user(auth_token)
        raise exceptions.AuthenticationFailed(message)

    def validate_user(self, auth_token: ApiToken) -> tuple[User, ApiToken]:
        user = auth_token.user
        if not user_may_sign_in(user):
            raise exceptions.AuthenticationFailed(INACTIVE_MESSAGE)
        if not any(compare_digest(auth_token.password_fingerprint, f) for f in password_fingerprints(user)):
            # Issued under a password that has since changed: revoked for good.
            auth_token.delete()
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        return user, auth_token


# The signature headers of a signing gateway (docs/sms.md): the Unix time of the request,
# and ``sha256=`` + the hex HMAC-SHA256, under the gateway's signing secret, of the bytes
# ``<timestamp>.<raw body>``. A request more than this far from the server's clock is refused,
# so a captured request cannot be replayed later.
SIGNATURE_HEADER = "X-EWERS-Signature"
TIMESTAMP_HEADER = "X-EWERS-Timestamp"
SIGNATURE_TOLERANCE_SECONDS = 300
BAD_SIGNATURE = _("The request's signature is missing, stale or wrong.")


def gateway_signature(secret: str, timestamp: str, body: bytes) -> str:
    """The value of the signature header for ``body`` sent at ``timestamp``."""
    signed = timestamp.encode("ascii") + b"." + body
    return "sha256=" + hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def gateway_signature_check(token: GatewayToken, request: Request, *, now: float | None = None) -> None:
    """Refuse (401) a signing gateway's request whose signature is missing, stale or wrong."""
    secret = token.signing_secret
    if not secret:
        return
    timestamp = request.headers.get(TIMESTAMP_HEADER, "")
    sent = request.headers.get(SIGNATURE_HEADER, "")
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        raise exceptions.AuthenticationFailed(BAD_SIGNATURE)
    if abs((now if now is not None else time.time()) - int(timestamp)) > SIGNATURE_TOLERANCE_SECONDS:
        raise exceptions.AuthenticationFailed(BAD_SIGNATURE)
    # The raw body, as sent (Django keeps it for the parsers that follow).
    expected = gateway_signature(str(secret), timestamp, request._request.body)
    if not compare_digest(expected.encode(), sent.encode("utf-8", "replace")):
        raise exceptions.AuthenticationFailed(BAD_SIGNATURE)


def user_token_shaped(key: str) -> bool:
    """Whether ``key`` has the shape of a user's API token (django-rest-knox's: its prefix,
    then AUTH_TOKEN_CHARACTER_LENGTH lowercase hex digits). No gateway key has it
    (``gateway_token_issue`` refuses one), so such a key is not looked up among the
    gateways' first: one query less on every request a user's token makes."""
    prefix = knox_settings.TOKEN_PREFIX
    digits = key[len(prefix) :]
    return (
        key.startswith(prefix)
        and len(digits) == knox_settings.AUTH_TOKEN_CHARACTER_LENGTH
        and all(c in "0123456789abcdef" for c in digits)
    )


def gateway_token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class GatewayTokenAuthentication(BaseAuthentication):
    """``Authorization: Token <key>`` where the key is a gateway's named token.

    A key no gateway holds is left to the next authentication (a user's token); a
    revoked gateway token, or one whose account may not sign in, is refused outright.
    """

    keyword = "Token"

    def authenticate(self, request: Request) -> tuple[User, GatewayToken] | None:
        parts = get_authorization_header(request).split()
        if len(parts) != 2 or parts[0].lower() != self.keyword.lower().encode():
            return None
        try:
            key = parts[1].decode("ascii")
        except UnicodeDecodeError:
            return None
        if user_token_shaped(key):
            return None  # a user's token (MemberTokenAuthentication)
        token = (
            GatewayToken.objects.select_related("user__organisation").filter(digest=gateway_token_digest(key)).first()
        )
        if token is None:
            return None
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed(_("This gateway token has been revoked."))
        if not user_may_sign_in(token.user):
            raise exceptions.AuthenticationFailed(INACTIVE_MESSAGE)
        gateway_signature_check(token, request)
        now = timezone.now()
        if token.last_used_at is None or token.last_used_at < now - LAST_USE_PRECISION:
            # One conditional write a minute at most, whatever the request rate.
            GatewayToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword
