"""Phone numbers of senders: one written form for a number however a gateway spells it,
and the mask that is the only form anyone sees (pure: no ORM, no settings).

A number is never kept or shown in clear (docs/sms.md): ``intake.senders`` keeps a keyed
hash of the normalised form for lookups and ``phone_mask`` for display.
"""

from __future__ import annotations

import re

_SPACING = re.compile(r"[\s().\-/]")
MIN_DIGITS = 7
MAX_DIGITS = 15  # E.164


def phone_normalise(raw: str) -> str | None:
    """The number in E.164 form (``+60123456789``), or None when ``raw`` is not a phone
    number. Spaces, dashes, dots and brackets are ignored; ``00`` or no prefix at all is
    read as the international prefix (gateways send either); a leading ``0`` (a national
    number, whose country is unknown) is refused."""
    text = _SPACING.sub("", raw)
    if text.startswith("+"):
        digits = text[1:]
    elif text.startswith("00"):
        digits = text[2:]
    else:
        digits = text
    if not digits.isascii() or not digits.isdigit() or digits.startswith("0"):
        return None
    if not MIN_DIGITS <= len(digits) <= MAX_DIGITS:
        return None
    return "+" + digits


def phone_mask(number: str) -> str:
    """What people see of a normalised number: its first three and last three digits in a
    fixed shape that hides the length too, e.g. ``+60 1•• ••• •789``."""
    digits = number.lstrip("+")
    return f"+{digits[:2]} {digits[2]}•• ••• •{digits[-3:]}"
