"""The keyed hash that finds a sender's number again without keeping it (docs/sms.md).

HMAC-SHA256 of the normalised number (``intake.phones``) under a key derived from
``SECRET_KEY`` (Django's ``salted_hmac`` with this module's salt): equal numbers give equal
digests, and the table of digests tells nothing to someone without the key (a phone number
has too few digits for a plain hash to hide it). After a key rotation the previous keys
(``SECRET_KEY_FALLBACKS``) still find the numbers registered under them.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.crypto import salted_hmac

_SALT = "intake.senders.phone"


def sender_digests(number: str) -> list[str]:
    """The digests of a normalised number under the current key and each fallback key (the
    first for new rows)."""
    keys = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    return [salted_hmac(_SALT, number, secret=key, algorithm="sha256").hexdigest() for key in keys]


def sender_digest(number: str) -> str:
    return sender_digests(number)[0]
