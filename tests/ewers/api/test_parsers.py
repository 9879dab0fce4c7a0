"""The JSON parser (ewers/api/parsers.py): the nesting limit's quick scan counts the levels
as a plain reading of the bytes does, strings and their escapes left out; orjson's reading
answers every body as DRF's parser and the scan did."""

from __future__ import annotations

import io
import json
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from ewers.api.parsers import MAX_JSON_DEPTH, LimitedJSONParser, json_depth_exceeds, nesting_exceeds


def _depth_exceeds_read_byte_by_byte(data: bytes, limit: int) -> bool:
    depth, in_string, escaped = 0, False, False
    # A string left open runs to the end; its brackets do not count, as the regex leaves
    # an unclosed quote's text in place only when no closing quote follows: see below.
    for position, byte in enumerate(data):
        if in_string:
            if escaped:
                escaped = False
            elif byte == ord("\\"):
                escaped = True
            elif byte == ord('"'):
                in_string = False
            continue
        if byte == ord('"'):
            if b'"' not in _closing_quotes_after(data, position):
                continue  # an unclosed quote is an ordinary byte
            in_string = True
        elif byte in b"[{":
            depth += 1
            if depth > limit:
                return True
        elif byte in b"]}":
            depth -= 1
    return False


def _closing_quotes_after(data: bytes, position: int) -> bytes:
    """The quote that would close a string opened at ``position``, if any (b"" otherwise)."""
    escaped = False
    for byte in data[position + 1 :]:
        if escaped:
            escaped = False
        elif byte == ord("\\"):
            escaped = True
        elif byte == ord('"'):
            return b'"'
    return b""


@given(st.binary(max_size=60).map(lambda raw: bytes(b'"\\[]{}a \n'[b % 9] for b in raw)), st.integers(0, 4))
def test_it_counts_the_levels_outside_strings(data, limit):
    assert json_depth_exceeds(data, limit) == _depth_exceeds_read_byte_by_byte(data, limit)


@given(st.recursive(st.none() | st.text(alphabet='[]{}"\\ab'), lambda inner: st.lists(inner, max_size=3)))
def test_it_takes_json_as_deep_as_the_limit_and_refuses_deeper(value):
    data = json.dumps(value).encode()
    assert json_depth_exceeds(data, 2) == _depth_exceeds_read_byte_by_byte(data, 2)
    assert not json_depth_exceeds(b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH)
    assert json_depth_exceeds(b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1))


def _parsed_the_old_way(data: bytes) -> object:
    """What the parser answered before orjson: the bytes' scan, then DRF's parser."""
    if json_depth_exceeds(data):
        raise ParseError("too deep")
    return JSONParser().parse(io.BytesIO(data))


def _outcome(parse: Callable[[bytes], object], data: bytes) -> tuple[str, object]:
    try:
        return "value", parse(data)
    except ParseError:
        return "refused", None


def _parsed(data: bytes, encoding: str = "utf-8") -> object:
    return LimitedJSONParser().parse(io.BytesIO(data), parser_context={"encoding": encoding})


_JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=30,
)


@given(_JSON_VALUES)
def test_a_json_value_is_read_as_it_was_before(value):
    data = json.dumps(value).encode()
    assert _outcome(_parsed, data) == _outcome(_parsed_the_old_way, data)


_BODY_BYTES = b'[]{}",:0-1e.tnul\\\xff\xed '


@given(st.binary(max_size=40).map(lambda raw: bytes(_BODY_BYTES[b % len(_BODY_BYTES)] for b in raw)))
def test_any_body_is_answered_as_before(data):
    assert _outcome(_parsed, data) == _outcome(_parsed_the_old_way, data)


@pytest.mark.parametrize(
    "data",
    [
        b'{"a": 1, "a": 2}',  # the last of a repeated key
        b"[18446744073709551616]",  # beyond 64 bits: orjson refuses, Python's parser reads it
        b'["\\ud800"]',  # a lone surrogate: the fields refuse it with their own message
        b"[NaN]",
        b"[1e400]",
        b"\xef\xbb\xbf[1]",  # a byte order mark
        b"",
        b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH,
        b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1),
        b"[" * 5000 + b"]" * 5000,  # deeper than orjson's own limit
    ],
)
def test_the_bodies_orjson_reads_otherwise_are_answered_as_before(data):
    assert _outcome(_parsed, data) == _outcome(_parsed_the_old_way, data)


def test_a_body_in_another_charset_is_read_by_drf():
    data = '{"name": "Kampung Baru é"}'.encode("latin-1")
    assert _parsed(data, encoding="latin-1") == {"name": "Kampung Baru é"}


@given(_JSON_VALUES, st.integers(0, 4))
def test_the_levels_of_a_parsed_value_are_those_of_its_text(value, limit):
    assert nesting_exceeds(value, limit) == json_depth_exceeds(json.dumps(value).encode(), limit)
