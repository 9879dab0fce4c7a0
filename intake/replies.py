"""The texts sent back to a sender, in the sender's language (English or Malay).

Every text is a gettext message (``gettext_noop`` here and in ``intake.syntax``), so the
Malay catalogue translates it once it exists. Until then ``MALAY`` holds the Malay
replies, used whenever the catalogue has no entry: a sender who writes in Malay is
answered in Malay today.
"""

from __future__ import annotations

from typing import Any

from django.utils import translation
from django.utils.translation import gettext, gettext_noop

from intake import syntax

LANGUAGES = ("en", "ms")
DEFAULT_LANGUAGE = "en"

RECEIVED = gettext_noop("Received as report %(report)d. Thank you.")
TRIAGE = gettext_noop("Received as message %(ref)s; a coordinator will review it. Thank you.")
UNKNOWN_COMMUNITY = gettext_noop("Unknown community %(community)s.")
AMBIGUOUS_COMMUNITY = gettext_noop("%(community)s names several communities: send the full code, e.g. HM-01-01-02.")
UNKNOWN_INDICATOR = gettext_noop("Unknown indicator %(code)s.")
OFF_SCALE = gettext_noop("%(code)s takes values from %(min)s to %(max)s, not %(value)s.")
REFUSED = gettext_noop("Not saved: %(reason)s")
THROTTLED = gettext_noop("Too many messages from this number; wait %(seconds)d seconds and send again.")

MALAY = {
    RECEIVED: "Diterima sebagai laporan %(report)d. Terima kasih.",
    TRIAGE: "Diterima sebagai mesej %(ref)s; seorang penyelaras akan menyemaknya. Terima kasih.",
    UNKNOWN_COMMUNITY: "Komuniti %(community)s tidak dikenali.",
    AMBIGUOUS_COMMUNITY: "%(community)s merujuk beberapa komuniti: hantar kod penuh, cth. HM-01-01-02.",
    UNKNOWN_INDICATOR: "Penunjuk %(code)s tidak dikenali.",
    OFF_SCALE: "%(code)s mengambil nilai dari %(min)s hingga %(max)s, bukan %(value)s.",
    REFUSED: "Tidak disimpan: %(reason)s",
    THROTTLED: "Terlalu banyak mesej dari nombor ini; tunggu %(seconds)d saat dan hantar semula.",
    syntax.EMPTY: "Mesej kosong. Hantar: KOMUNITI PENUNJUK NILAI ... GRED, cth. HM010102 P03 4 A2",
    syntax.TOO_LONG: "Mesej terlalu panjang: paling banyak %(max)d aksara.",
    syntax.CONTROL: "Mesej mengandungi aksara kawalan (seperti NUL); hantar teks biasa.",
    syntax.BAD_COMMUNITY: "%(community)s bukan kod komuniti.",
    syntax.NO_READINGS: "Tiada bacaan penunjuk selepas %(community)s: hantar PENUNJUK NILAI, cth. P03 4.",
    syntax.TOO_MANY: "Paling banyak %(max)d bacaan dalam satu mesej.",
    syntax.BAD_INDICATOR: "%(code)s bukan kod penunjuk.",
    syntax.NO_VALUE: "Penunjuk %(code)s tiada nilai.",
    syntax.BAD_VALUE: "Nilai %(code)s bukan nombor: %(value)s.",
    syntax.TWICE: "Penunjuk %(code)s diberi dua kali.",
    syntax.NO_GRADE: "Tambah gred sumber selepas bacaan: huruf A-F dan digit 1-6, cth. B2.",
    syntax.BAD_GRADE: "Gred %(grade)s di luar skala Admiralty: huruf A-F dan digit 1-6, cth. B2.",
}


def language_of(value: str | None) -> str:
    """``en`` or ``ms`` from a language tag such as ``ms-MY``; English otherwise."""
    tag = (value or "").strip().lower()[:2]
    return tag if tag in LANGUAGES else DEFAULT_LANGUAGE


def reply_text(message: str, language: str, **params: Any) -> str:
    """``message`` (an English msgid) in ``language``, its parameters filled in."""
    with translation.override(language):
        text = gettext(message)
    if language == "ms" and text == message:
        text = MALAY.get(message, message)
    return text % params if params else text


def reply_refused(reason: str, language: str, **params: Any) -> str:
    """ "Not saved: <reason>" in ``language``."""
    return reply_text(REFUSED, language, reason=reply_text(reason, language, **params))
