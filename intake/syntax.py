"""The compact report syntax a field monitor types on a feature phone (docs/sms.md).

    COMMUNITY INDICATOR VALUE [INDICATOR VALUE ...] GRADE [narrative]
    HM010102 P03 4 P05 3 A2 leaflets at the market

Pure: no ORM, no settings. ``message_parse`` turns a text into a ``ParsedMessage`` or
raises ``MessageError`` naming what is wrong (a code and its parameters; the reply is
worded and translated by ``intake.replies``); ``message_format`` writes a message back,
and ``message_parse(message_format(m)) == m`` for every valid message (property-tested).

Tolerance: letters in any case, any run of spaces, tabs or line breaks between words,
codes with or without their separators (``HM-01-01-02`` and ``hm010102`` are one
community: ``code_key``). The grade is the first word after the community shaped like an
Admiralty grade, one letter and one digit (``A2``); the words before it are the readings,
in pairs, and everything after it is the narrative, as typed.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_noop

# A message longer than ten concatenated SMS is no message a phone sent.
TEXT_MAX_LENGTH = 1600
MAX_READINGS = 20
# Shown back to the sender: an offending word is cut to this many characters.
ECHO_MAX = 20

RELIABILITY_GRADES = "ABCDEF"
CREDIBILITY_GRADES = range(1, 7)

_SEPARATORS = re.compile(r"[-_.]")
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_GRADE_SHAPE = re.compile(r"^[A-Za-z][0-9]$")
_NUMBER = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)$")


def code_key(code: str) -> str:
    """A code as the syntax compares it: upper case, without ``-``, ``_`` or ``.``."""
    return _SEPARATORS.sub("", code).upper()


def grade_shaped(word: str) -> bool:
    """One letter and one digit: the word is read as the grade (an indicator code of this
    shape cannot be sent by SMS)."""
    return bool(_GRADE_SHAPE.match(word))


class MessageError(ValueError):
    """What is wrong with a message: ``message`` is an English template (a gettext msgid,
    with ``%(name)s`` parameters from ``params``), worded for the sender."""

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message % params if params else message)
        self.message = message
        self.params = params


EMPTY = gettext_noop("Empty message. Send: COMMUNITY INDICATOR VALUE ... GRADE, e.g. HM010102 P03 4 A2")
TOO_LONG = gettext_noop("Message too long: at most %(max)d characters.")
CONTROL = gettext_noop("The message contains a control character (such as NUL); send plain text.")
BAD_COMMUNITY = gettext_noop("%(community)s is not a community code.")
NO_READINGS = gettext_noop("No indicator reading after %(community)s: send INDICATOR VALUE, e.g. P03 4.")
TOO_MANY = gettext_noop("At most %(max)d readings in one message.")
BAD_INDICATOR = gettext_noop("%(code)s is not an indicator code.")
NO_VALUE = gettext_noop("Indicator %(code)s has no value.")
BAD_VALUE = gettext_noop("The value of %(code)s is not a number: %(value)s.")
TWICE = gettext_noop("Indicator %(code)s is given twice.")
NO_GRADE = gettext_noop("Add the source grade after the readings: a letter A-F and a digit 1-6, e.g. B2.")
BAD_GRADE = gettext_noop("Grade %(grade)s is off the Admiralty scale: a letter A-F and a digit 1-6, e.g. B2.")


def _echo(word: str) -> str:
    return word if len(word) <= ECHO_MAX else word[: ECHO_MAX - 1] + "…"


@dataclass(frozen=True)
class ParsedMessage:
    """A report as a message states it: the community's code as typed, in upper case (a full
    code that matches one exactly wins over a look-alike without separators), the
    indicators' in their compared form (``code_key``)."""

    community: str
    readings: tuple[tuple[str, float], ...]
    source_reliability: str
    information_credibility: int
    narrative: str = field(default="")

    @property
    def grade(self) -> str:
        return f"{self.source_reliability}{self.information_credibility}"


def _has_control(text: str) -> bool:
    return any(not (ch.isprintable() or ch in "\t\n\r") for ch in text)


def message_parse(text: str) -> ParsedMessage:
    """The report ``text`` states; raises MessageError with the first thing wrong."""
    if len(text) > TEXT_MAX_LENGTH:
        raise MessageError(TOO_LONG, max=TEXT_MAX_LENGTH)
    if _has_control(text):
        raise MessageError(CONTROL)
    words = text.split()
    if not words:
        raise MessageError(EMPTY)
    community = words[0]
    if not _CODE.match(community):
        raise MessageError(BAD_COMMUNITY, community=_echo(community))
    rest = words[1:]
    grade_at = next((i for i, word in enumerate(rest) if grade_shaped(word)), None)
    reading_words = rest if grade_at is None else rest[:grade_at]
    readings: list[tuple[str, float]] = []
    seen: set[str] = set()
    for i in range(0, len(reading_words), 2):
        code = reading_words[i]
        if not _CODE.match(code):
            raise MessageError(BAD_INDICATOR, code=_echo(code))
        if i + 1 >= len(reading_words):
            raise MessageError(NO_VALUE, code=_echo(code.upper()))
        raw = reading_words[i + 1]
        value = float(raw) if _NUMBER.match(raw) else math.nan
        if not math.isfinite(value):
            raise MessageError(BAD_VALUE, code=_echo(code.upper()), value=_echo(raw))
        key = code_key(code)
        if key in seen:
            raise MessageError(TWICE, code=_echo(code.upper()))
        seen.add(key)
        readings.append((key, value))
    if not readings:
        raise MessageError(NO_READINGS, community=_echo(community.upper()))
    if len(readings) > MAX_READINGS:
        raise MessageError(TOO_MANY, max=MAX_READINGS)
    if grade_at is None:
        raise MessageError(NO_GRADE)
    grade = rest[grade_at].upper()
    if grade[0] not in RELIABILITY_GRADES or int(grade[1]) not in CREDIBILITY_GRADES:
        raise MessageError(BAD_GRADE, grade=grade)
    narrative = _narrative_after(text, len(words) - len(rest) + grade_at + 1)
    return ParsedMessage(
        community=community.upper(),
        readings=tuple(readings),
        source_reliability=grade[0],
        information_credibility=int(grade[1]),
        narrative=narrative,
    )


def _narrative_after(text: str, n_words: int) -> str:
    """The text after its first ``n_words`` words, as typed (outer spaces trimmed)."""
    parts = text.strip().split(None, n_words)
    return parts[n_words].strip() if len(parts) > n_words else ""


def value_format(value: float) -> str:
    """A value as a monitor would type it: ``4``, ``2.5``."""
    if float(value).is_integer():
        return str(int(value))
    text = repr(float(value))
    # Never an exponent (``1e-05``): a phone user types digits and a point.
    return f"{Decimal(text):f}" if "e" in text else text


def message_format(message: ParsedMessage) -> str:
    """The text of ``message`` in the compact syntax (parses back to ``message``)."""
    words = [message.community]
    for code, value in message.readings:
        words += [code, value_format(value)]
    words.append(message.grade)
    if message.narrative:
        words.append(message.narrative)
    return " ".join(words)
