"""Id-or-code lookups (ewers/lookups.py): only plain ASCII digits make an id.

"²" is a digit to
str.isdigit() but not to int(); it once gave a 500."""

from __future__ import annotations

from ewers.lookups import parse_id


def test_it_reads_only_plain_ascii_ids():
    assert [parse_id(v) for v in ("42", "²", "٣", "0", "-1", "1" * 19, " 4", 7, True, 0, None)] == [
        42,
        None,
        None,
        None,
        None,
        None,
        None,
        7,
        None,
        None,
        None,
    ]
