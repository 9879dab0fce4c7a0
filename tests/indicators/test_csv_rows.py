"""A CSV import's rows read as they were before the parse was made faster: each data row
gives the same cells, values, readings and errors as the plain reading of every column
(``_parse_row_reference``, the former code) on many generated rows."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from indicators.csv_import import (
    _RELIABILITIES,
    FIXED_COLUMNS,
    REQUIRED_COLUMNS,
    _parse_observed_at,
    _parse_row,
    _ParsedRow,
)
from indicators.services import ReadingInput

CODES = ["P01", "P02", "T01"]
CELLS = st.sampled_from(
    ["", " ", "3", " 2.5 ", "-1", "x", "1e400", "nan", "B", " c ", "7", "2026-01-02T03:04:05+08:00", "2026-01-02", "r1"]
)


def _parse_row_reference(line: int, header: list[str], values: list[str], indicator_codes: set[str]) -> _ParsedRow:
    from django.utils.translation import gettext as _

    from ewers.lookups import parse_id
    from indicators.csv_import import _CREDIBILITIES, REFERENCE_MAX_LENGTH

    if len(values) > len(header):
        row = _ParsedRow(line=line, cells={})
        row.error(
            "row",
            _("The row has %(n)d cells; the header names %(m)d columns.") % {"n": len(values), "m": len(header)},
        )
        return row
    cells = {name: (values[i].strip() if i < len(values) else "") for i, name in enumerate(header)}
    row = _ParsedRow(line=line, cells=cells)
    for name in REQUIRED_COLUMNS:
        if not cells[name] and name != "observed_at":
            row.error(name, _("This column is required."))
    row.community_ref = cells["community"]
    _parse_observed_at(row, cells["observed_at"])
    grade = cells["source_reliability"].upper()
    if grade and grade not in _RELIABILITIES:
        row.error("source_reliability", _("Source reliability is a grade from A to F."))
    row.source_reliability = grade
    credibility = cells["information_credibility"]
    if credibility:
        if (grade_number := parse_id(credibility)) in _CREDIBILITIES:
            row.information_credibility = grade_number
        else:
            row.error("information_credibility", _("Information credibility is a grade from 1 to 6."))
    row.narrative = cells.get("narrative", "")
    row.source_reference = cells.get("source_reference") or None
    reference = cells.get("reference", "")
    if reference:
        if len(reference) > REFERENCE_MAX_LENGTH or not reference.isprintable():
            row.error(
                "reference", _("A reference is at most %(n)d printable characters.") % {"n": REFERENCE_MAX_LENGTH}
            )
        else:
            row.reference = reference
    for name in header:
        if name not in indicator_codes or not cells[name]:
            continue
        try:
            value = float(cells[name])
        except ValueError:
            row.error(name, _("%(value)s is not a number.") % {"value": cells[name]})
            continue
        row.readings.append(ReadingInput(indicator=name, value=value))
    return row


@st.composite
def headers_and_rows(draw: st.DrawFn) -> tuple[list[str], list[list[str]]]:
    optional = [name for name in FIXED_COLUMNS if name not in REQUIRED_COLUMNS]
    names = list(REQUIRED_COLUMNS) + draw(st.lists(st.sampled_from(optional), unique=True))
    names += draw(st.lists(st.sampled_from(CODES), unique=True, min_size=1))
    header = draw(st.permutations(names))
    rows = draw(st.lists(st.lists(CELLS, max_size=len(header) + 2), min_size=1, max_size=5))
    return list(header), rows


@settings(max_examples=300, deadline=None)
@given(headers_and_rows())
def test_each_row_is_read_as_the_plain_reading_of_every_column_reads_it(header_and_rows):
    header, rows = header_and_rows
    columns = [(position, name, name) for position, name in enumerate(header) if name in CODES]
    for line, values in enumerate(rows, start=2):
        fast, plain = _parse_row(line, header, values, columns), _parse_row_reference(line, header, values, set(CODES))
        assert repr(fast) == repr(plain)  # (a NaN value is not equal to itself)
