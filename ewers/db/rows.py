"""Rows of several tables written in one statement (PostgreSQL): their ids drawn first from
their sequences, in one query, so that rows can name each other before any is written;
then every table's rows inserted by one statement of data-modifying CTEs.

For the hot paths where a handful of ``bulk_create`` calls, each about a quarter of a
millisecond of Python and a round trip for a few rows, add up on the way to a user (an
alert opened by the scorer). The values are those ``bulk_create`` would send: each
field's ``pre_save`` then ``get_db_prep_save``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from django.db import connection, models

M = TypeVar("M", bound=models.Model)


def ids_draw(counts: Mapping[type[models.Model], int]) -> dict[type[models.Model], list[int]]:
    """``count`` new ids of each model from its primary key's sequence, ascending, in one
    query. Ids of rows not written in the end stay unused (a sequence has gaps anyway)."""
    wanted = [(model, count) for model, count in counts.items() if count > 0]
    drawn: dict[type[models.Model], list[int]] = {model: [] for model in counts}
    if not wanted:
        return drawn
    # Each sequence named once per table (OFFSET 0: not looked up again for every row).
    parts = [
        "ARRAY(SELECT nextval(s.sequence) FROM (SELECT pg_get_serial_sequence(%s, %s)::regclass AS sequence "
        "OFFSET 0) AS s, generate_series(1, %s))"
        for _model in wanted
    ]
    params: list[Any] = []
    for model, count in wanted:
        params += [model._meta.db_table, model._meta.pk.column, count]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(parts)}", params)
        row = cursor.fetchone()
    for (model, _count), ids in zip(wanted, row, strict=True):
        drawn[model] = sorted(ids)
    return drawn


def _insert(objs: Sequence[models.Model]) -> tuple[str, list[Any]]:
    """The INSERT of ``objs`` (instances of one model, each with its primary key set, but
    for a serial key left unset: the sequence gives it), and its parameters. Marks them
    saved, as ``bulk_create`` does."""
    opts = type(objs[0])._meta
    pk = opts.pk
    assert pk is not None
    drawn = getattr(objs[0], pk.attname) is not None
    fields = [f for f in opts.concrete_fields if drawn or not f.primary_key]
    quote = connection.ops.quote_name
    row = "(" + ", ".join("%s" for _field in fields) + ")"
    params: list[Any] = []
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="bulk_create")  # type: ignore[attr-defined] # a related row's id, set since
        params += [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
        obj._state.adding = False
        obj._state.db = connection.alias
    columns = ", ".join(quote(f.column) for f in fields)
    rows = ", ".join(row for _obj in objs)
    return f"INSERT INTO {quote(opts.db_table)} ({columns}) VALUES {rows}", params  # noqa: S608 - names from the model


def rows_insert(groups: Sequence[Sequence[models.Model]]) -> None:
    """Insert each group's instances (one model a group; every instance's primary key
    drawn, by ``ids_draw``, or none: then the sequence gives them) in ONE statement, each
    group's INSERT a CTE (run once, read or not), parents before children. The foreign
    keys are checked at the commit, as Django declares them (deferred)."""
    parts = [_insert(objs) for objs in groups if objs]
    if not parts:
        return
    sql = "WITH " + ", ".join(f"w{n} AS ({text})" for n, (text, _params) in enumerate(parts)) + " SELECT 1"
    with connection.cursor() as cursor:
        cursor.execute(sql, [param for _text, params in parts for param in params])


class RowsWriter:
    """Rows saved in their order, their ids known as soon as they are saved, so that the
    next rows can name them: on PostgreSQL held, their ids drawn ahead (``ids_draw``, one
    query for ``counts``: the rows of each model to come), and written together by
    ``flush`` in one statement; elsewhere each ``save`` is a ``bulk_create``. Rows of a
    model not counted take their ids from the sequence when written (history rows no
    other row names)."""

    def __init__(self, counts: Mapping[type[models.Model], int]) -> None:
        self._held = connection.vendor == "postgresql"
        self._ids = {model: iter(ids) for model, ids in ids_draw(counts).items()} if self._held else {}
        self._groups: list[Sequence[models.Model]] = []

    def save(self, objs: Sequence[M]) -> Sequence[M]:
        if not objs:
            return objs
        model = type(objs[0])
        if not self._held:
            return model._default_manager.bulk_create(objs)
        ids = self._ids.get(model)
        if ids is not None:
            for obj in objs:
                obj.pk = next(ids)
        self._groups.append(objs)
        return objs

    def flush(self) -> None:
        """Write the rows held (none elsewhere than on PostgreSQL)."""
        groups, self._groups = self._groups, []
        rows_insert(groups)
