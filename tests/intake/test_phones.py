"""Phone numbers: one form however a gateway spells them, and the mask (intake/phones.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intake.phones import phone_mask, phone_normalise


@pytest.mark.parametrize(
    "raw", ["+60123456789", "60123456789", "0060123456789", "+60 12-345 6789", "+60 (12) 345.6789", " +60123456789 "]
)
def test_it_reads_every_spelling_of_one_number_as_one(raw):
    assert phone_normalise(raw) == "+60123456789"


FULL_WIDTH = "+６０１２３４５６７８９"


@pytest.mark.parametrize("raw", ["", "+", "0123456789", "+60 12 abc", "+1234", "+" + "1" * 16, FULL_WIDTH])
def test_it_refuses_what_is_no_international_number(raw):
    assert phone_normalise(raw) is None


def test_it_masks_the_demo_number_as_the_issue_shows():
    assert phone_mask("+60123456789") == "+60 1•• ••• •789"


@given(st.from_regex(r"\+[1-9][0-9]{6,14}", fullmatch=True), st.from_regex(r"[0-9]{0,8}", fullmatch=True))
def test_a_mask_shows_six_digits_and_nothing_of_the_middle_or_the_length(number, middle):
    mask = phone_mask(number)
    assert sum(ch.isdigit() for ch in mask) == 6
    # Another middle (of any length) gives the same mask: it tells nothing of what it hides.
    assert phone_mask(number[:4] + middle + number[-3:]) == mask
