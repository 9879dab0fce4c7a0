"""The API's text field refuses lone surrogates as DRF does, without its per-character loop."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rest_framework.exceptions import ValidationError
from rest_framework.validators import ProhibitSurrogateCharactersValidator

from ewers.api.fields import SurrogatesRefused, TextField


def _verdict(check: ProhibitSurrogateCharactersValidator, text: str) -> tuple[str, str] | None:
    try:
        check(text)
    except ValidationError as exc:
        [detail] = exc.detail
        return str(detail), detail.code
    return None


# Any text, lone surrogates included (``st.text`` leaves them out unless asked).
ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=60)


@given(text=ANY_TEXT)
def test_the_same_verdict_and_message_as_drfs_check_for_any_text(text: str) -> None:
    assert _verdict(SurrogatesRefused(), text) == _verdict(ProhibitSurrogateCharactersValidator(), text)


@pytest.mark.parametrize(
    "text, named",
    [
        ("Kampung \ud800 Baru", "U+D800"),
        ("é" * 5000 + "\udfff" + "\ud800", "U+DFFF"),  # the first one, after a long text that is not ASCII
        ("\udc80", "U+DC80"),
    ],
)
def test_a_lone_surrogate_is_refused_with_the_first_one_named(text: str, named: str) -> None:
    verdict = _verdict(SurrogatesRefused(), text)
    assert verdict is not None and named in verdict[0] and verdict[1] == "surrogate_characters_not_allowed"


def test_the_text_field_checks_with_it_and_keeps_drfs_other_checks() -> None:
    field = TextField(max_length=10)
    kinds = [type(v) for v in field.validators]
    assert SurrogatesRefused in kinds and ProhibitSurrogateCharactersValidator not in kinds
    with pytest.raises(ValidationError, match="U\\+D800"):
        field.run_validation("a\ud800")
    with pytest.raises(ValidationError) as refused:
        field.run_validation("x" * 11)
    assert refused.value.detail[0].code == "max_length"
    assert field.run_validation("Bukit ☾ 7") == "Bukit ☾ 7"
