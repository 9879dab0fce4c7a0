"""The JSON parser's nesting limit (ewers/api/parsers.py): the quick scan counts the levels
as a plain reading of the bytes does, strings and their escapes left out."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from ewers.api.parsers import MAX_JSON_DEPTH, json_depth_exceeds


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
