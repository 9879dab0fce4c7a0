"""Many new field reports written in ONE statement: the reports, their history rows, their
readings and (for a batch or an import) their daily rollups (PostgreSQL).

A batch or an import of a hundred reports spent more time building model instances (a
report, its history copy, each reading) and turning every field of each into its column
value than PostgreSQL spent inserting them. Here each column is sent once as an array
(``unnest``) in its text form, the columns every new report shares (its author,
organisation, time of receipt, first status) once as a value, and the history rows are
copied from the rows just written by the database itself. The columns come from the
models, so a field added to a report is written here too (with its default), and one
added to its history is copied from the report.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Field

from ewers.models import User
from ewers.versions import ROLLUPS, touched
from indicators.models import FieldReport, Reading
from indicators.services.rollups import rollups_add_ctes, rollups_columns

# Set per report; every other column takes the value a new report has (``_shared``).
_PER_REPORT = (
    "id",
    "community",
    "observed_at",
    "source_reliability",
    "information_credibility",
    "narrative",
    "source_reference",
    "handling_level",
    "idempotency_key",
    "idempotency_fingerprint",
    "possible_duplicate_of",
    "readings_digest",
)
# The history's own columns (django-simple-history); the others copy the report's.
_HISTORY_OWN = ("history_id", "history_date", "history_change_reason", "history_type", "history_user")
HISTORY_CREATED = "+"  # simple-history's type of the row that records a creation
# The candidates of a possible duplicate a report is compared with, latest first.
DUPLICATE_CANDIDATES = 20
# Above any id: the end of a window by bisection.
MAX_ID = 2**63
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


@dataclass
class NewReport:
    """A valid report about to be written, with its id drawn from the sequence."""

    pk: int | None  # None: one report alone, which takes the next id
    community_id: int
    observed_at: datetime
    source_reliability: str
    information_credibility: int
    narrative: str
    source_reference: str | None
    handling_level: str
    idempotency_key: str | None
    idempotency_fingerprint: str | None
    readings: list[tuple[int, float]]  # (indicator id, value)
    possible_duplicate_of_id: int | None = field(default=None)
    readings_digest: int = field(init=False)

    def __post_init__(self) -> None:
        self.readings_digest = readings_digest(self.readings)


def readings_digest(readings: Iterable[tuple[int, float]]) -> int:
    """A report's readings (indicator id, value) as a signed 64-bit number: the same for the
    same readings in any order (a report reads each indicator once), and for two different
    sets the same only by a chance of one in 2**64. ``duplicates_mark`` compares these
    where it compared the sets (-0.0 is read as 0.0, as a set's equality takes it)."""
    text = ";".join(f"{indicator_id}:{float(value) + 0.0!r}" for indicator_id, value in sorted(readings))
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big", signed=True)


def _array(model_field: Field[Any, Any]) -> str:
    """A column's array parameter, cast to its type."""
    return _array_cast(model_field, connection.vendor)


@cache
def _array_cast(model_field: Field[Any, Any], vendor: str) -> str:
    """``_array``, made once a field and database vendor (``db_type`` took a fifth of a
    millisecond for a batch's eleven columns)."""
    return f"%s::{model_field.db_type(connection)}[]"


# Each column's values are sent as ONE parameter, the array's text form ('{1,2,NULL}')
# cast to its type: psycopg2 sends a list as ARRAY[1, 2, NULL], whose thousands of
# elements the server parses and plans one by one (tens of milliseconds for an import of
# a thousand reports) where ``array_in`` reads the text form in one call.


def _array_text(elements: Iterable[str]) -> str:
    return "{" + ",".join(elements) + "}"


def array_of_numbers(values: Iterable[int | float | None]) -> str:
    """Integers or floats (finite: the checks refuse others) as an array's text form (an
    integer enum's member as its number; a float's repr reads back as the same double)."""
    return _array_text(
        "NULL" if v is None else float.__repr__(v) if isinstance(v, float) else int.__repr__(v) for v in values
    )


def array_of_texts(values: Iterable[str | None]) -> str:
    """Texts as an array's text form: each quoted, its backslashes and quotes escaped."""
    return _array_text("NULL" if v is None else _quoted(v) for v in values)


def _quoted(text: str) -> str:
    """One text of an array's text form (most have nothing to escape: no replace then)."""
    if "\\" in text or '"' in text:
        text = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + text + '"'


def array_of_times(values: Iterable[datetime]) -> str:
    """Aware times as an array's text form, in UTC (offsets of seconds read alike)."""
    return _array_text(f'"{v.astimezone(UTC).isoformat()}"' for v in values)


def _shared(user: User, received_at: datetime) -> list[tuple[Field[Any, Any], Any]]:
    """The columns every new report of ``user`` shares, with their values."""
    organisation_id = user.organisation_id
    assert organisation_id is not None  # only members of an organisation log reports
    template = FieldReport(created_by=user, organisation_id=organisation_id, received_at=received_at)
    return [
        (f, f.get_db_prep_save(f.pre_save(template, add=True), connection))
        for f in FieldReport._meta.concrete_fields
        if f.name not in _PER_REPORT
    ]


def _reports_sql(user: User, reports: Sequence[NewReport], received_at: datetime) -> tuple[str, list[Any]]:
    """The INSERT of the reports (an array per column set per report, a value per shared
    one), returning every column of the rows written. A report without an id (one alone)
    takes the next of the sequence."""
    fields = {f.name: f for f in FieldReport._meta.concrete_fields}
    encrypted = fields["source_reference"]
    per_report = [name for name in _PER_REPORT if name != "id" or reports[0].pk is not None]
    columns: dict[str, Callable[[], str]] = {
        "id": lambda: array_of_numbers(r.pk for r in reports),
        "community": lambda: array_of_numbers(r.community_id for r in reports),
        "observed_at": lambda: array_of_times(r.observed_at for r in reports),
        "source_reliability": lambda: array_of_texts(r.source_reliability for r in reports),
        "information_credibility": lambda: array_of_numbers(r.information_credibility for r in reports),
        "narrative": lambda: array_of_texts(r.narrative for r in reports),
        # Encrypted at rest, as a save would store it.
        "source_reference": lambda: array_of_texts(
            None if r.source_reference is None else encrypted.get_db_prep_save(r.source_reference, connection)
            for r in reports
        ),
        "handling_level": lambda: array_of_texts(r.handling_level for r in reports),
        "idempotency_key": lambda: array_of_texts(r.idempotency_key for r in reports),
        "idempotency_fingerprint": lambda: array_of_texts(r.idempotency_fingerprint for r in reports),
        "possible_duplicate_of": lambda: array_of_numbers(r.possible_duplicate_of_id for r in reports),
        "readings_digest": lambda: array_of_numbers(r.readings_digest for r in reports),
    }
    shared = _shared(user, received_at)
    quote = connection.ops.quote_name
    names = [quote(fields[name].column) for name in per_report] + [quote(f.column) for f, _value in shared]
    arrays = ", ".join(_array(fields[name]) for name in per_report)
    aliases = ", ".join(f"c{n}" for n in range(len(per_report)))
    constants = "".join(", %s" for _shared_field in shared)
    sql = (
        f"INSERT INTO {quote(FieldReport._meta.db_table)} ({', '.join(names)}) "  # noqa: S608 - names from the model
        f"SELECT {aliases}{constants} FROM unnest({arrays}) AS u({aliases}) RETURNING *"
    )
    # The constants come first in the statement, then the arrays.
    return sql, [value for _f, value in shared] + [columns[name]() for name in per_report]


def _history_sql(user: User, at: datetime) -> tuple[str, list[Any]]:
    """The history's creation rows copied from ``new`` (the reports just written), as
    ``bulk_history_create`` makes them: by ``user``, no change reason."""
    sql, own_names = _history_statement(connection.vendor)
    own = {"history_date": at, "history_change_reason": None, "history_type": HISTORY_CREATED, "history_user": user.pk}
    return sql, [own[name] for name in own_names]


@cache
def _history_statement(vendor: str) -> tuple[str, tuple[str, ...]]:
    """The history INSERT's text, and the names of its own values in the order of its
    parameters (``_history_sql``). Made once per database vendor: the text depends on the
    models alone, and ``FieldReport.history`` builds a manager class on each use."""
    history = FieldReport.history.model
    report_columns = {f.attname: f.column for f in FieldReport._meta.concrete_fields}
    quote = connection.ops.quote_name
    names: list[str] = []
    values: list[str] = []
    own_names: list[str] = []
    own = ("history_date", "history_change_reason", "history_type", "history_user")
    for f in history._meta.concrete_fields:
        if f.name == "history_id":
            continue
        names.append(quote(f.column))
        if f.name in own:
            values.append("%s")
            own_names.append(f.name)
        else:
            # Any other column of the history is the report's column of the same name.
            values.append(f"new.{quote(report_columns[f.attname])}")
    sql = f"INSERT INTO {quote(history._meta.db_table)} ({', '.join(names)}) SELECT {', '.join(values)} FROM new"  # noqa: S608
    return sql, tuple(own_names)


def _readings_sql(reports: Sequence[NewReport]) -> tuple[str, list[Any]]:
    """The readings' INSERT; those of a report without an id take the id it was given."""
    fields = {f.name: f for f in Reading._meta.concrete_fields}
    quote = connection.ops.quote_name
    names = ", ".join(quote(fields[name].column) for name in ("report", "indicator", "value"))
    table = quote(Reading._meta.db_table)
    indicators = array_of_numbers(indicator_id for report in reports for indicator_id, _value in report.readings)
    values = array_of_numbers(value for report in reports for _indicator_id, value in report.readings)
    pair = f"{_array(fields['indicator'])}, {_array(fields['value'])}"
    if reports[0].pk is None:
        sql = f"INSERT INTO {table} ({names}) SELECT new.id, u.i, u.v FROM new, unnest({pair}) AS u(i, v)"  # noqa: S608
        return sql, [indicators, values]
    ids = array_of_numbers(report.pk for report in reports for _reading in report.readings)
    sql = f"INSERT INTO {table} ({names}) SELECT * FROM unnest({_array(fields['report'])}, {pair})"  # noqa: S608
    return sql, [ids, indicators, values]


def reports_insert(
    *, user: User, reports: Sequence[NewReport], received_at: datetime, rollups: bool = False
) -> list[int]:
    """Write ``reports`` (checked valid) as ``user``'s, received at ``received_at``: the
    reports, their history's creation rows and their readings (and with ``rollups`` their
    counts in the daily rollups, ``rollups_add_ctes``), in ONE statement inside the
    caller's transaction; returns their ids. Either every report has its id drawn
    already, or there is one report without, which takes the next id."""
    if not reports:
        return []
    if reports[0].pk is None and len(reports) > 1:
        raise ValueError("reports written together have their ids drawn")
    report_sql, report_params = _reports_sql(user, reports, received_at)
    history_sql, history_params = _history_sql(user, received_at)
    readings_sql, readings_params = _readings_sql(reports)
    ctes = [f"new AS ({report_sql})", f"history AS ({history_sql})"]
    params = report_params + history_params + readings_params
    if rollups:
        readings_sql += " RETURNING report_id, indicator_id, value"
        rollup_ctes, rollup_params = rollups_add_ctes(
            "new", "readings", columns=rollups_columns(r.observed_at for r in reports)
        )
        ctes += [f"readings AS ({readings_sql})", *rollup_ctes]
        params += rollup_params
        touched(ROLLUPS)
    else:
        ctes.append(f"readings AS ({readings_sql})")
    sql = f"WITH {', '.join(ctes)} SELECT id FROM new"  # noqa: S608 - names from the models
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def _microseconds(at: datetime) -> int:
    """A time as whole microseconds since 1970 (UTC), as ``_neighbours`` answers it."""
    return (at - EPOCH) // MICROSECOND


def _neighbours(user: User, reports: Sequence[NewReport], window: timedelta) -> list[tuple[int, int, int, int]]:
    """The user's reports observed within ``window`` of one of ``reports`` in its
    community, the latest ``DUPLICATE_CANDIDATES`` of each window and any sharing the last
    one's time (``duplicates_mark`` compares a report with the latest of its window only,
    as one report alone is compared): (report, community, observed at in
    ``_microseconds``, its readings' digest).
    Only the windows themselves are read, not the whole span of the batch's times, and at
    most that many of each, however busy the community (a gateway's account files every
    SMS of a district); one row a report, its time a number (an import's neighbours are
    thousands, and a time read back costs more than the rest of its row). Their readings
    are not read (that was three fifths of the statement's time), but for a report written
    before the digest was kept (``digests_read``)."""
    report_table = connection.ops.quote_name(FieldReport._meta.db_table)
    sql = (
        "SELECT DISTINCT near.id, near.community_id, (extract(epoch FROM near.observed_at) * 1000000)::bigint, "  # noqa: S608 - table names
        "near.readings_digest "
        "FROM unnest(%s::bigint[], %s::timestamptz[]) AS new(community_id, observed_at) "
        # Each window read through the (community, observed at) index, backwards from its
        # end, up to its latest reports and any that share the last one's time (WITH TIES:
        # the ids then order them in Python; ordering by id here would sort the whole
        # window). The limit also keeps it from being flattened into one join over all the
        # author's reports, which grew faster than the statistics the planner went by.
        f"CROSS JOIN LATERAL (SELECT id, community_id, observed_at, readings_digest FROM {report_table} "
        "WHERE community_id = new.community_id "
        "AND observed_at BETWEEN new.observed_at - %s AND new.observed_at + %s "
        "AND created_by_id = %s ORDER BY observed_at DESC FETCH FIRST %s ROWS WITH TIES) AS near"
    )
    params: list[Any] = [
        array_of_numbers(r.community_id for r in reports),
        array_of_times(r.observed_at for r in reports),
        window,
        window,
        user.pk,
        DUPLICATE_CANDIDATES,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows: list[tuple[int, int, int, int | None]] = cursor.fetchall()
    missing = digests_read([report_id for report_id, _c, _at, digest in rows if digest is None])
    return [(pk, community_id, at, missing[pk] if digest is None else digest) for pk, community_id, at, digest in rows]


def digests_read(report_ids: Sequence[int]) -> dict[int, int]:
    """The readings' digests of reports written before it was kept, from their readings."""
    if not report_ids:
        return {}
    readings: dict[int, list[tuple[int, float]]] = {pk: [] for pk in report_ids}
    for report_id, indicator_id, value in Reading.objects.filter(report_id__in=report_ids).values_list(
        "report_id", "indicator_id", "value"
    ):
        readings[report_id].append((indicator_id, value))
    return {pk: readings_digest(pairs) for pk, pairs in readings.items()}


def duplicates_mark(user: User, reports: Sequence[NewReport]) -> None:
    """Each report's possible duplicate, as ``_possible_duplicate`` finds it for one report:
    among the saved reports and the earlier ones of this call, by their readings' digests
    (``readings_digest``): one query (two when a neighbour was written before the digest)."""
    window = timedelta(minutes=settings.EWERS_DUPLICATE_WINDOW_MINUTES)
    if not window or not reports:
        return
    digests: dict[int, int] = {}
    # Per community, (observed at, id) in order: a window is found by bisection.
    timelines: dict[int, list[tuple[int, int]]] = {}
    for report_id, community_id, observed_at, digest in _neighbours(user, reports, window):
        digests[report_id] = digest
        timelines.setdefault(community_id, []).append((observed_at, report_id))
    for timeline in timelines.values():
        timeline.sort()
    span = window // MICROSECOND
    for report in reports:
        timeline = timelines.setdefault(report.community_id, [])
        at = _microseconds(report.observed_at)
        start = bisect_left(timeline, (at - span, 0))
        end = bisect_right(timeline, (at + span, MAX_ID))
        # The latest first, as many as one report alone is compared with.
        near = timeline[max(start, end - DUPLICATE_CANDIDATES) : end][::-1]
        own = report.readings_digest
        report.possible_duplicate_of_id = next((pk for _at, pk in near if digests[pk] == own), None)
        if report.pk is not None:
            # Later reports of this call may be duplicates of this one.
            insort(timeline, (at, report.pk))
            digests[report.pk] = own
