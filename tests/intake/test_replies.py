"""The replies (intake/replies.py): every text has its Malay, with the same parameters."""

from __future__ import annotations

import re

from intake import replies, syntax

TEMPLATES = [
    value
    for module in (replies, syntax)
    for name, value in vars(module).items()
    if name.isupper() and isinstance(value, str) and name not in {"DEFAULT_LANGUAGE", "RELIABILITY_GRADES"}
]


def test_every_reply_has_its_malay_with_the_same_parameters():
    assert len(TEMPLATES) >= 20
    for template in TEMPLATES:
        assert template in replies.MALAY, template
        assert sorted(re.findall(r"%\(\w+\)\w", template)) == sorted(re.findall(r"%\(\w+\)\w", replies.MALAY[template]))


def test_it_answers_in_english_unless_malay_is_asked():
    assert replies.reply_text(replies.RECEIVED, "en", report=7) == "Received as report 7. Thank you."
    assert replies.reply_text(replies.RECEIVED, "ms", report=7) == "Diterima sebagai laporan 7. Terima kasih."
    assert replies.language_of("ms-MY") == "ms"
    assert replies.language_of("fr") == replies.language_of(None) == "en"
    assert replies.reply_refused(syntax.NO_VALUE, "ms", code="P03") == "Tidak disimpan: Penunjuk P03 tiada nilai."
