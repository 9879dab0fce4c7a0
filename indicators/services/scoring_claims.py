"""Scoring claims: which scorer holds which received reports.

A scorer claims reports before it scores them, in a commit of its own that counts an
attempt on each (a report that kills its worker every time stops being retried after
EWERS_SCORING_MAX_ATTEMPTS) and marks them as its own: ``scoring_claim`` (the scorer's id,
its Celery task id) and ``scoring_claimed_at``. Other scorers and the sweep leave claimed
reports alone for EWERS_SCORING_LEASE_SECONDS, so reports of a batch in flight are neither
claimed twice (nor their attempt counted twice) nor waited for. The scorer's message,
coming back after its worker died (``acks_late``), claims them again under the same id at
once; a claim whose scorer vanished with its message expires with its lease, and the sweep
queues the reports again. The claim is a mark, not a lock: the batch still locks the
reports it scores (SKIP LOCKED) and scores only those still received, so two scorers never
apply one report twice whatever the clocks say.

Durability: on PostgreSQL a claim commits without waiting for its WAL to reach the disk
(``synchronous_commit`` off for that transaction only, set inside its one statement, which
runs in autocommit: one round trip, no ``BEGIN`` … ``COMMIT`` around it; ~4 ms a batch on this machine's
disk when idle, more under load, on the way from a report's commit to its alert). Other
sessions see the claim at once, so nothing changes while the database runs, and a worker
that dies still leaves its attempt counted. Only a crash of the database server itself
can forget a claim made in the last moments, and then nothing else is lost: the batch
that follows commits synchronously, which writes the claim's WAL before its own (WAL is
written in order), and a batch that did not commit left its reports received, to be
claimed again (their attempt not counted that once).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from indicators.choices import Category, ReportStatus
from indicators.models import FieldReport, Indicator, Reading

logger = logging.getLogger(__name__)

Claimed = list[tuple[int, int]]  # (report, community)


def claim_token(task_id: str | None = None) -> str:
    """The scorer's id: its task's (the same when its message comes back), else a new one."""
    return task_id or f"run-{uuid.uuid4().hex}"


def lease_edge(now: datetime) -> datetime:
    """Claims made before this moment have lapsed."""
    return now - timedelta(seconds=settings.EWERS_SCORING_LEASE_SECONDS)


def claimable(now: datetime, token: str | None = None) -> Q:
    """Reports nobody holds (no claim, or a lapsed one), or held by ``token`` itself."""
    free = Q(scoring_claim__isnull=True) | Q(scoring_claimed_at__lt=lease_edge(now))
    return free | Q(scoring_claim=token) if token else free


def claim(
    token: str,
    *,
    among: Sequence[int] | None = None,
    besides: Sequence[int] = (),
    limit: int,
    own: bool = True,
    urgent: set[int] | None = None,
    whole: bool = False,
) -> Claimed:
    """Claim for ``token`` up to ``limit`` received reports with attempts left that no other
    scorer holds and no transaction has locked (SKIP LOCKED), oldest first: among ``among``
    if given, never those in ``besides``; ``own``: also those ``token`` holds already (its
    message came back). Counts an attempt on each, in its own commit. One statement on
    PostgreSQL; SQLite (the demo's embedded database: one writer at a time, no row locks)
    selects then updates. ``urgent``: a set given is filled with the claimed reports that
    carry a reading of a trigger indicator at or over its critical threshold (read by the
    same statement on PostgreSQL), which a scorer scores before the others.

    ``whole``: by community when more reports wait than ``limit`` (a backlog; else every
    one waiting is taken): the communities in the order of their oldest report waiting,
    each with every report of its waiting, until ``limit`` (only the last community taken
    may be cut short there); never a community of which another scorer holds a report (its
    lease running). A community's backlog is then assessed once, not once a batch, and
    scorers of a backlog take communities apart: they work side by side instead of one
    waiting for the other's community locks."""
    if limit <= 0 or (among is not None and not among):
        return []
    now = timezone.now()
    if connection.vendor != "postgresql":
        rows = _claim_portable(token, among=among, besides=besides, limit=limit, own=own, now=now, whole=whole)
        if urgent is not None and rows:
            urgent.update(_urgent_portable([pk for pk, _community in rows]))
        return rows
    where, params = _waiting_sql(token, among=among, besides=besides, own=own, now=now, alias="t.")
    table = FieldReport._meta.db_table
    if whole:
        # A backlog only when more wait than the limit: otherwise the plain claim takes every
        # report waiting, each community whole, and costs an index scan, not a count of the
        # whole backlog (a latency on every alert's way).
        waiting = _waiting_count(table, where, params, limit + 1)
        if not waiting:
            return []
        whole = waiting > limit
    # The reports chosen as an array (an InitPlan), read back by the primary key's index:
    # ``id IN (subquery)`` let the planner hash-join a sequential scan of the whole table
    # once the limit reached hundreds (4 ms at 40,000 reports, on every alert's way).
    update = (
        f"UPDATE {table} SET scoring_attempts = scoring_attempts + 1, scoring_claim = %s, "  # noqa: S608 (a model's table)
        f"scoring_claimed_at = %s WHERE {_CHOSEN}"
    )
    if whole:
        # The communities no other scorer holds a report of, in the order of their oldest
        # report waiting, as many as reach ``limit`` (a running count); then their reports
        # in that order, so that only the last community may be cut short by the limit.
        sql = (
            f"WITH waiting AS (SELECT t.community_id, min(t.received_at) AS first_at, min(t.id) AS first_id, "  # noqa: S608
            f"count(*) AS n FROM {table} t WHERE {where} AND t.community_id NOT IN (SELECT h.community_id FROM "
            f"{table} h WHERE h.status = %s AND h.scoring_claim <> %s AND h.scoring_claimed_at >= %s) "
            "GROUP BY t.community_id), chosen AS (SELECT community_id, first_at, first_id FROM (SELECT *, "
            "sum(n) OVER (ORDER BY first_at, first_id) - n AS before FROM waiting) w WHERE before < %s) "
            f"{update}(SELECT t.id FROM {table} t JOIN chosen c ON c.community_id = t.community_id WHERE {where} "
            "ORDER BY c.first_at, c.first_id, t.received_at, t.id LIMIT %s FOR NO KEY UPDATE OF t SKIP LOCKED)) "
            "RETURNING id, community_id"
        )
        arguments = [*params, ReportStatus.RECEIVED, token, lease_edge(now), limit, token, now, *params, limit]
    else:
        sql = (
            f"{update}(SELECT t.id FROM {table} t WHERE {where} "  # noqa: S608 (a model's table)
            "ORDER BY t.received_at, t.id LIMIT %s FOR NO KEY UPDATE SKIP LOCKED)) RETURNING id, community_id"
        )
        arguments = [token, now, *params, limit]
    if urgent is not None:
        sql += f", ({_URGENT_SQL}) IS NOT NULL"
    arguments += _urgent_params(urgent)
    if connection.in_atomic_block:  # part of the caller's transaction (its commit is the caller's)
        with transaction.atomic(savepoint=False), connection.cursor() as cursor:
            cursor.execute(sql, arguments)
            return _claimed(cursor.fetchall(), urgent)
    # Its own commit, not waiting for the disk (see the module's docstring, "Durability"): one
    # statement in autocommit, one round trip. ``set_config(…, true)`` lasts to the end of
    # the statement's own transaction, so only this commit is asynchronous; an uncorrelated
    # subquery, it is evaluated once, before any row is locked or changed.
    with connection.cursor() as cursor:
        cursor.execute(
            sql.replace(update, update.replace(_CHOSEN, _ASYNCHRONOUS + _CHOSEN), 1),
            arguments,
        )
        return _claimed(cursor.fetchall(), urgent)


_CHOSEN = "id = ANY(ARRAY"
_ASYNCHRONOUS = "(SELECT set_config('synchronous_commit', 'off', true)) = 'off' AND "


def _waiting_count(table: str, where: str, params: list[Any], most: int) -> int:
    """How many reports ``claim`` may take now, counted up to ``most`` (oldest first: the
    index of received reports, read in order, stops there)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {table} t WHERE {where} "  # noqa: S608 (a model's table)
            "ORDER BY t.received_at, t.id LIMIT %s) w",
            [*params, most],
        )
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def _waiting_sql(
    token: str, *, among: Sequence[int] | None, besides: Sequence[int], own: bool, now: datetime, alias: str
) -> tuple[str, list[Any]]:
    """The condition (and its parameters) of the reports ``claim`` may take, its columns
    named with ``alias``: received, attempts left, free or ``token``'s own."""
    free = f"{alias}scoring_claim IS NULL OR {alias}scoring_claimed_at < %s"
    where = [f"{alias}status = %s", f"{alias}scoring_attempts < %s"]
    params: list[Any] = [ReportStatus.RECEIVED, settings.EWERS_SCORING_MAX_ATTEMPTS, lease_edge(now)]
    if own:
        free += f" OR {alias}scoring_claim = %s"
        params.append(token)
    where.append(f"({free})")
    if among is not None:
        where.append(f"{alias}id = ANY(%s)")
        params.append(list(among))
    if besides:
        where.append(f"NOT {alias}id = ANY(%s)")
        params.append(list(besides))
    return " AND ".join(where), params


# Whether the report being returned (the UPDATE's row) carries a trigger reading at or over
# its critical threshold, looked up row by row (the readings' unique index on report and
# indicator: ~0.01 ms a report). A scalar subquery with LIMIT, not EXISTS: PostgreSQL may
# run an EXISTS as a hashed subplan over every trigger reading ever stored (3 ms on the
# bench's database, growing with the history).
_URGENT_SQL = (
    f"SELECT true FROM {Reading._meta.db_table} r JOIN {Indicator._meta.db_table} i ON i.id = r.indicator_id "  # noqa: S608
    f"WHERE r.report_id = {FieldReport._meta.db_table}.id AND i.category = %s AND r.value >= i.threshold_critical "
    "LIMIT 1"
)


def _urgent_params(urgent: set[int] | None) -> list[Any]:
    return [] if urgent is None else [Category.TRIGGER.value]


def _claimed(rows: Sequence[tuple[Any, ...]], urgent: set[int] | None) -> Claimed:
    if urgent is not None:
        urgent.update(row[0] for row in rows if row[2])
    return [(row[0], row[1]) for row in rows]


def _urgent_portable(report_ids: Sequence[int]) -> set[int]:
    return set(
        Reading.objects.filter(
            report_id__in=list(report_ids),
            indicator__category=Category.TRIGGER,
            value__gte=F("indicator__threshold_critical"),
        ).values_list("report_id", flat=True)
    )


def _claim_portable(
    token: str,
    *,
    among: Sequence[int] | None,
    besides: Sequence[int],
    limit: int,
    own: bool,
    now: datetime,
    whole: bool = False,
) -> Claimed:
    waiting = FieldReport.objects.filter(
        claimable(now, token if own else None),
        status=ReportStatus.RECEIVED,
        scoring_attempts__lt=settings.EWERS_SCORING_MAX_ATTEMPTS,
    )
    if among is not None:
        waiting = waiting.filter(pk__in=list(among))
    if besides:
        waiting = waiting.exclude(pk__in=list(besides))
    with transaction.atomic():
        ordered = waiting.order_by("received_at", "pk").values_list("pk", "community_id")
        if whole and ordered[limit : limit + 1].exists():  # a backlog: by community, as on PostgreSQL
            held = FieldReport.objects.filter(
                status=ReportStatus.RECEIVED, scoring_claimed_at__gte=lease_edge(now), scoring_claim__isnull=False
            ).exclude(scoring_claim=token)
            rows = by_community(list(ordered.exclude(community_id__in=held.values("community_id"))), limit)
        else:
            rows = list(ordered[:limit])
        FieldReport.objects.filter(pk__in=[pk for pk, _ in rows]).update(
            scoring_attempts=F("scoring_attempts") + 1, scoring_claim=token, scoring_claimed_at=now
        )
    return rows


def by_community(waiting: Sequence[tuple[int, int]], limit: int) -> Claimed:
    """``claim``'s ``whole`` choice from the waiting reports (report, community), oldest
    first: the communities in the order of their oldest report, each with all its reports,
    until ``limit`` reports (the last community may be cut short). Pure."""
    reports: dict[int, list[int]] = {}
    for report_id, community_id in waiting:
        reports.setdefault(community_id, []).append(report_id)
    chosen: Claimed = []
    for community_id, ids in reports.items():  # in the order of each community's oldest report
        if len(chosen) >= limit:
            break
        chosen += [(report_id, community_id) for report_id in ids[: limit - len(chosen)]]
    return chosen


def claims_release(token: str, report_ids: Sequence[int]) -> None:
    """Give up ``token``'s claim on these reports (its batch failed): the next scorer may
    take them at once, without waiting for the lease. Best effort: a database that is away
    keeps them claimed, and the scorer's retry (the same id) claims them again."""
    try:
        FieldReport.objects.filter(pk__in=list(report_ids), status=ReportStatus.RECEIVED, scoring_claim=token).update(
            scoring_claim=None, scoring_claimed_at=None
        )
    except DatabaseError:
        logger.warning("could not release the scoring claims of %s", token, exc_info=True)
