"""The compact SMS syntax (intake/syntax.py): examples, and hypothesis properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intake import syntax
from intake.syntax import MessageError, ParsedMessage, code_key, message_format, message_parse

# --- Examples -------------------------------------------------------------------------------


def test_it_parses_the_documented_example():
    parsed = message_parse("HM010102 P03 4 P05 3 A2 optional narrative")
    assert parsed == ParsedMessage("HM010102", (("P03", 4.0), ("P05", 3.0)), "A", 2, "optional narrative")


def test_it_tolerates_case_spacing_and_full_codes():
    text = "  hm-01-01-02\tp03   4\n\np05 3.5   a2   leaflets  at the\nmarket  "
    parsed = message_parse(text)
    assert parsed.community == "HM-01-01-02"
    assert code_key(parsed.community) == "HM010102"
    assert parsed.readings == (("P03", 4.0), ("P05", 3.5))
    assert (parsed.source_reliability, parsed.information_credibility) == ("A", 2)
    assert parsed.narrative == "leaflets  at the\nmarket"


def test_it_keeps_a_narrative_that_starts_with_numbers():
    assert message_parse("HM010102 P03 4 B3 3 men, 2 cars").narrative == "3 men, 2 cars"


@pytest.mark.parametrize(
    ("text", "template", "params"),
    [
        ("", syntax.EMPTY, {}),
        ("   \n\t ", syntax.EMPTY, {}),
        ("x" * 10_000, syntax.TOO_LONG, {"max": syntax.TEXT_MAX_LENGTH}),
        ("HM010102 P03\x00 4 A2", syntax.CONTROL, {}),
        ("HM010102 P03 4 A2 nul\x00here", syntax.CONTROL, {}),
        ("#HM01 P03 4 A2", syntax.BAD_COMMUNITY, {"community": "#HM01"}),
        ("HM010102 A2", syntax.NO_READINGS, {"community": "HM010102"}),
        ("HM010102", syntax.NO_READINGS, {"community": "HM010102"}),
        ("HM010102 P03 A2", syntax.NO_VALUE, {"code": "P03"}),
        ("HM010102 P03 four A2", syntax.BAD_VALUE, {"code": "P03", "value": "four"}),
        ("HM010102 P03 nan A2", syntax.BAD_VALUE, {"code": "P03", "value": "nan"}),
        ("HM010102 P03 inf A2", syntax.BAD_VALUE, {"code": "P03", "value": "inf"}),
        ("HM010102 P03 1e5 A2", syntax.BAD_VALUE, {"code": "P03", "value": "1e5"}),
        ("HM010102 P03 4 p03 2 A2", syntax.TWICE, {"code": "P03"}),
        ("HM010102 P03 4", syntax.NO_GRADE, {}),
        ("HM010102 P03 4 G2", syntax.BAD_GRADE, {"grade": "G2"}),
        ("HM010102 P03 4 a7", syntax.BAD_GRADE, {"grade": "A7"}),
        ("HM010102 P03 4 B0 text", syntax.BAD_GRADE, {"grade": "B0"}),
        ("HM010102 " + "P01 1 " * 21 + "A2", syntax.TWICE, {"code": "P01"}),
        ("HM010102 " + " ".join(f"P{n:02d} 1" for n in range(21)) + " A2", syntax.TOO_MANY, {"max": 20}),
        ("HM010102 P03 " + "9" * 40 + "x A2", syntax.BAD_VALUE, {"code": "P03", "value": "9" * 19 + "…"}),
    ],
)
def test_it_refuses_bad_input_with_a_specific_message(text, template, params):
    with pytest.raises(MessageError) as caught:
        message_parse(text)
    assert (caught.value.message, caught.value.params) == (template, params)


def test_it_formats_values_as_a_phone_user_types_them():
    assert [syntax.value_format(v) for v in (4, 4.0, 2.5, 0.00001, -1.25)] == ["4", "4", "2.5", "0.00001", "-1.25"]


# --- Properties -------------------------------------------------------------------------------

_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
codes = st.text(alphabet=_ALNUM, min_size=1, max_size=12).filter(lambda c: not syntax.grade_shaped(c))
values = st.decimals(min_value=-1000, max_value=1000, places=3, allow_nan=False, allow_infinity=False).map(float)
narratives = (
    st.text(
        alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"), blacklist_characters="\x00"),
        max_size=200,
    )
    .map(str.strip)
    .filter(lambda n: all(ch.isprintable() or ch in "\t\n\r" for ch in n))
)


@st.composite
def messages(draw: st.DrawFn) -> ParsedMessage:
    indicator_codes = draw(st.lists(codes, min_size=1, max_size=syntax.MAX_READINGS, unique=True))
    return ParsedMessage(
        community=draw(codes),
        readings=tuple((code, draw(values)) for code in indicator_codes),
        source_reliability=draw(st.sampled_from(syntax.RELIABILITY_GRADES)),
        information_credibility=draw(st.sampled_from(list(syntax.CREDIBILITY_GRADES))),
        narrative=draw(narratives),
    )


@given(messages())
def test_any_valid_report_formats_to_a_message_that_parses_back_to_it(message):
    text = message_format(message)
    if len(text) <= syntax.TEXT_MAX_LENGTH:
        assert message_parse(text) == message


@given(messages(), st.sampled_from([" ", "  ", "\t", "\n", " \r\n "]), st.booleans())
def test_spacing_and_case_do_not_change_what_a_message_says(message, gap, lower):
    words = message_format(message.__class__(**{**message.__dict__, "narrative": ""})).split(" ")
    text = gap + gap.join(words) + gap
    text = text.lower() if lower else text
    parsed = message_parse(text)
    assert (code_key(parsed.community), parsed.readings, parsed.grade) == (
        message.community,
        message.readings,
        message.grade,
    )


@given(st.text(max_size=300))
def test_any_text_either_parses_or_is_refused_with_a_message(text):
    """Never another exception: every refusal is a MessageError the sender can be told."""
    try:
        parsed = message_parse(text)
    except MessageError as exc:
        assert exc.message
        assert all(len(str(v)) <= syntax.ECHO_MAX for v in exc.params.values())
    else:
        assert parsed.readings and parsed.source_reliability in syntax.RELIABILITY_GRADES
        assert parsed.community == parsed.community.upper()


@given(codes)
def test_code_key_ignores_case_and_separators(code):
    spelt = "-".join(code[i : i + 2] for i in range(0, len(code), 2)).lower()
    assert code_key(spelt) == code_key(code) == code
