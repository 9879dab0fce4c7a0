"""CSV import of field reports: parse a file, then validate or save each row on its own.

The format is documented in docs/csv-import.md. Parsing is pure (the csv module over
bytes); every rule about what makes a valid report stays in
``indicators.services`` (``field_reports_validate`` / ``field_reports_create``: each row
checked as one report is). The valid rows are saved together in one transaction with one
scoring task, each standing on its own, so one bad row never stops or half-saves another;
a row's ``reference`` becomes its idempotency key, so importing the same file twice makes
no duplicates.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from ewers.lookups import parse_id
from ewers.models import Region, User
from ewers.permissions import permission_require
from indicators.choices import InformationCredibility, SourceReliability
from indicators.models import FieldReport, Indicator
from indicators.permissions import MAY_NOT_LOG_REPORTS, field_report_may_create
from indicators.selectors import communities_by_ref
from indicators.services import (
    IDEMPOTENCY_KEY_MAX_LENGTH,
    ReadingInput,
    ReportDraft,
    field_reports_create,
    field_reports_validate,
)

logger = logging.getLogger(__name__)


REQUIRED_COLUMNS = ("community", "observed_at", "source_reliability", "information_credibility")
OPTIONAL_COLUMNS = ("narrative", "source_reference", "reference")
FIXED_COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS

# A row's reference becomes "import:<reference>": the prefix keeps import keys apart
# from the keys gateways send with the API.
REFERENCE_KEY_PREFIX = "import:"
REFERENCE_MAX_LENGTH = IDEMPOTENCY_KEY_MAX_LENGTH - len(REFERENCE_KEY_PREFIX)

# The grades, read once (a Choices' ``values`` builds its list on each use).
_RELIABILITIES = frozenset(SourceReliability.values)
_CREDIBILITIES = frozenset(InformationCredibility.values)

# Error keys of the service that name something other than a CSV column.
_SERVICE_KEY_TO_COLUMN = {"idempotency_key": "reference"}


class ImportFileError(Exception):
    """The file as a whole cannot be imported; nothing was written.

    ``code`` lets callers answer differently per kind (the API answers 413 for
    ``too_large``, 400 for the others).
    """

    def __init__(self, message: str, *, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass
class RowResult:
    """What became of one data row: saved (or valid, in a dry run), or why not."""

    line: int
    ok: bool
    report_id: int | None = None
    created: bool = False
    errors: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class ImportCounts:
    total: int = 0
    valid: int = 0
    invalid: int = 0
    created: int = 0
    duplicates: int = 0


@dataclass
class ImportResult:
    rows: list[RowResult]
    counts: ImportCounts
    dry_run: bool


@dataclass
class _ParsedRow:
    """One data row turned into the service's arguments, or the cells' errors."""

    line: int
    cells: dict[str, str]
    errors: dict[str, list[str]] = field(default_factory=dict)
    community_ref: str = ""
    observed_at: datetime | None = None
    source_reliability: str = ""
    information_credibility: int = 0
    narrative: str = ""
    source_reference: str | None = None
    reference: str | None = None
    readings: list[ReadingInput] = field(default_factory=list)

    def error(self, column: str, message: str) -> None:
        self.errors.setdefault(column, []).append(message)

    @property
    def idempotency_key(self) -> str | None:
        return f"{REFERENCE_KEY_PREFIX}{self.reference}" if self.reference else None


def import_limits() -> tuple[int, int]:
    """The largest file (bytes) and the most data rows one import accepts."""
    return (
        settings.EWERS_IMPORT_MAX_BYTES,
        settings.EWERS_IMPORT_MAX_ROWS,
    )


# --- Parsing (pure) ----------------------------------------------------------------------


def _decode(data: bytes, *, max_bytes: int) -> str:
    if len(data) > max_bytes:
        raise ImportFileError(
            _("The file is %(size)d bytes; at most %(max)d bytes can be imported at once.")
            % {"size": len(data), "max": max_bytes},
            code="too_large",
        )
    if b"\x00" in data:
        raise ImportFileError(_("The file contains NUL bytes: it is not a CSV text file."), code="not_csv")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            _("The file is not UTF-8 text (byte %(at)d). Save it as “CSV UTF-8” and try again.")
            % {"at": exc.start + 1},
            code="not_utf8",
        ) from None
    if not text.strip():
        raise ImportFileError(_("The file is empty."), code="empty")
    return text


def _dialect(first_line: str) -> type[csv.Dialect]:
    """Comma by default; semicolon or tab when the header uses them (spreadsheets in
    many locales write semicolons)."""
    counts = {delimiter: first_line.count(delimiter) for delimiter in (",", ";", "\t")}
    delimiter = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","

    class Dialect(csv.excel):
        pass

    Dialect.delimiter = delimiter
    Dialect.strict = True
    return Dialect


def _header(names: list[str], *, indicator_codes: Iterable[str]) -> list[str]:
    """The header's column names, checked: required columns present, no duplicates, no
    unknown names (every other column must be an indicator code)."""
    header = [name.strip() for name in names]
    fixed = {name.lower(): name for name in FIXED_COLUMNS}
    # Fixed column names are matched without regard to case; indicator codes exactly.
    header = [fixed.get(name.lower(), name) for name in header]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise ImportFileError(
            _(
                "The first line must be a header naming the columns; missing: %(missing)s. "
                "Is this a CSV file in the documented format?"
            )
            % {"missing": ", ".join(missing)},
            code="missing_columns",
        )
    duplicated = sorted({name for name in header if name and header.count(name) > 1})
    if duplicated:
        raise ImportFileError(
            _("Columns named more than once: %(names)s.") % {"names": ", ".join(duplicated)}, code="bad_header"
        )
    if "" in header:
        raise ImportFileError(
            _("Column %(n)d of the header has no name.") % {"n": header.index("") + 1}, code="bad_header"
        )
    known = set(indicator_codes)
    unknown = [name for name in header if name not in FIXED_COLUMNS and name not in known]
    if unknown:
        raise ImportFileError(
            _("Unknown columns: %(names)s. Besides %(fixed)s, each column is named by an active indicator's code.")
            % {"names": ", ".join(unknown), "fixed": ", ".join(FIXED_COLUMNS)},
            code="bad_header",
        )
    if not any(name in known for name in header):
        raise ImportFileError(
            _("The header names no indicator: add one column per indicator code."), code="missing_columns"
        )
    return header


def _parse_observed_at(row: _ParsedRow, text: str) -> None:
    if not text:
        row.error("observed_at", _("This column is required."))
        return
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        row.error("observed_at", _("observed_at is not an ISO 8601 time such as 2024-05-01T14:30:00+08:00."))
        return
    if timezone.is_naive(value):
        row.error("observed_at", _("observed_at has no time zone: write it like 2024-05-01T14:30:00+08:00."))
        return
    try:
        # The database stores UTC: a time at the very edge of the calendar cannot be. Kept in
        # UTC: PostgreSQL refuses offsets beyond ±15:59 (e.g. +20:00), which ISO 8601 allows.
        value = value.astimezone(UTC)
    except OverflowError:
        row.error("observed_at", _("observed_at is out of range."))
        return
    row.observed_at = value


def _parse_row(
    line: int, header: list[str], values: list[str], indicator_columns: Sequence[tuple[int, str, Indicator | str]]
) -> _ParsedRow:
    """One row; ``indicator_columns``: the header's indicator columns in order (position, code,
    and what its readings name: the indicator itself, or its code)."""
    if len(values) > len(header):
        row = _ParsedRow(line=line, cells={})
        row.error(
            "row",
            _("The row has %(n)d cells; the header names %(m)d columns.") % {"n": len(values), "m": len(header)},
        )
        return row
    texts = [value.strip() for value in values]
    if len(texts) < len(header):
        # Short rows (trailing empty cells left out) are read as blanks.
        texts += [""] * (len(header) - len(texts))
    cells = dict(zip(header, texts, strict=True))
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
                "reference",
                _("A reference is at most %(n)d printable characters.") % {"n": REFERENCE_MAX_LENGTH},
            )
        else:
            row.reference = reference
    for position, name, indicator in indicator_columns:
        text = texts[position]
        if not text:
            continue
        try:
            value = float(text)
        except ValueError:
            row.error(name, _("%(value)s is not a number.") % {"value": text})
            continue
        row.readings.append(ReadingInput(indicator=indicator, value=value))
    return row


def reports_parse(
    data: bytes,
    *,
    indicator_codes: Iterable[str],
    max_bytes: int,
    max_rows: int,
    indicators: Mapping[str, Indicator] | None = None,
) -> list[_ParsedRow]:
    """Turn a CSV file into rows of arguments (or cell errors); raises ImportFileError.
    With ``indicators`` (by code), readings name the indicators themselves, so that the
    service does not look them up again per row; otherwise their codes."""
    codes = set(indicator_codes)
    text = _decode(data, max_bytes=max_bytes)
    first_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), dialect=_dialect(first_line))
    try:
        header = _header(next(reader), indicator_codes=codes)
        indicator_columns: list[tuple[int, str, Indicator | str]] = [
            (position, name, indicators[name] if indicators is not None else name)
            for position, name in enumerate(header)
            if name in codes
        ]
        rows: list[_ParsedRow] = []
        line = reader.line_num + 1
        for values in reader:
            # A quoted cell may span lines: a row is named by the line it starts on.
            start, line = line, reader.line_num + 1
            if not any(value.strip() for value in values):
                continue
            if len(rows) >= max_rows:
                raise ImportFileError(
                    _("The file has more than %(max)d rows; split it into smaller files.") % {"max": max_rows},
                    code="too_many_rows",
                )
            rows.append(_parse_row(start, header, values, indicator_columns))
    except csv.Error as exc:
        raise ImportFileError(
            _("Line %(line)d is not valid CSV (%(reason)s).") % {"line": reader.line_num, "reason": str(exc)},
            code="not_csv",
        ) from None
    if not rows:
        raise ImportFileError(_("The file has a header but no rows."), code="empty")
    return rows


# --- Validating and saving ---------------------------------------------------------------


def _messages(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {_SERVICE_KEY_TO_COLUMN.get(k, k): [str(m) for m in v] for k, v in exc.message_dict.items()}
    return {"row": [str(m) for m in exc.messages]}


def _check_references(rows: Sequence[_ParsedRow]) -> None:
    """A reference names one report: a second row with it in the same file is an error."""
    first_line: dict[str, int] = {}
    for row in rows:
        if row.reference is None:
            continue
        if row.reference in first_line:
            row.error(
                "reference",
                _("Reference %(ref)s is already used on line %(line)d of this file.")
                % {"ref": row.reference, "line": first_line[row.reference]},
            )
        else:
            first_line[row.reference] = row.line


def _draft(row: _ParsedRow, community: Region) -> ReportDraft:
    if row.observed_at is None:  # only rows without cell errors are processed
        raise ValueError(f"line {row.line} has no observation time")
    return ReportDraft(
        community=community,
        observed_at=row.observed_at,
        readings=row.readings,
        source_reliability=row.source_reliability,
        information_credibility=row.information_credibility,
        narrative=row.narrative,
        source_reference=row.source_reference,
        idempotency_key=row.idempotency_key,
    )


def reports_import(*, user: User, data: bytes, dry_run: bool, filename: str = "") -> ImportResult:
    """Import field reports from a CSV file as ``user``; ``dry_run`` validates only.

    Raises ImportFileError (nothing written) for a file that cannot be read as a whole,
    and PermissionDenied for a user who may not log reports. Otherwise every row gets a
    RowResult: valid rows are saved (together, each on its own), invalid ones carry
    their messages by column and the line they start on.
    """
    permission_require(field_report_may_create(user=user), MAY_NOT_LOG_REPORTS)
    max_bytes, max_rows = import_limits()
    catalogue = Indicator.objects.filter(is_active=True).in_bulk(field_name="code")
    rows = reports_parse(
        data, indicator_codes=catalogue.keys(), max_bytes=max_bytes, max_rows=max_rows, indicators=catalogue
    )
    _check_references(rows)
    communities = communities_by_ref(user, [row.community_ref for row in rows if row.community_ref])
    existing: dict[str, int] = {}
    keys = [row.idempotency_key for row in rows if row.idempotency_key]
    if keys:
        imported = FieldReport.objects.filter(created_by=user, idempotency_key__in=keys)
        existing = {key: pk for key, pk in imported.values_list("idempotency_key", "pk") if key}
    results = _rows_process(user=user, rows=rows, communities=communities, existing=existing, dry_run=dry_run)
    counts = ImportCounts(total=len(rows))
    for result in results:
        if result.ok:
            counts.valid += 1
            counts.created += int(result.created)
            counts.duplicates += int(result.report_id is not None and not result.created)
        else:
            counts.invalid += 1
    logger.info(
        "CSV import%s of %r by user %s: %d rows, %d valid, %d created, %d duplicates",
        " (dry run)" if dry_run else "",
        filename,
        user.pk,
        counts.total,
        counts.valid,
        counts.created,
        counts.duplicates,
    )
    return ImportResult(rows=results, counts=counts, dry_run=dry_run)


def _rows_process(
    *, user: User, rows: Sequence[_ParsedRow], communities: dict[str, Region], existing: dict[str, int], dry_run: bool
) -> list[RowResult]:
    """Each row's result: its cell errors, the report its reference made before, or the
    service's word on it (all valid rows saved together, each standing on its own)."""
    results: list[RowResult] = []
    drafts: list[ReportDraft] = []
    pending: list[RowResult] = []
    for row in rows:
        community = communities.get(row.community_ref)
        if row.community_ref and community is None:
            row.error("community", _("Unknown community."))
        key = row.idempotency_key
        if row.errors or community is None:
            results.append(RowResult(line=row.line, ok=False, errors=row.errors))
        elif key is not None and key in existing:
            # Imported before: the first report stands, as with an API resend.
            results.append(RowResult(line=row.line, ok=True, report_id=existing[key], created=False))
        else:
            result = RowResult(line=row.line, ok=True)
            results.append(result)
            drafts.append(_draft(row, community))
            pending.append(result)
    if dry_run:
        for result, error in zip(pending, field_reports_validate(user=user, drafts=drafts), strict=True):
            if error is not None:
                result.ok, result.errors = False, _messages(error)
        return results
    for result, outcome in zip(pending, field_reports_create(user=user, drafts=drafts), strict=True):
        if isinstance(outcome.error, ValidationError):
            result.ok, result.errors = False, _messages(outcome.error)
        elif outcome.error is not None:
            # Another import of the reference ran at the same moment (the lookup above missed it).
            result.ok, result.errors = False, {"reference": [str(outcome.error)]}
        else:
            result.report_id, result.created = outcome.report_id, outcome.created
    return results
