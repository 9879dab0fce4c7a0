"""A scoring batch's fixed reads (``indicators.services.scoring``): the communities' and
reports' row locks, whether an assessment already holds a report's key, and each
community's previous level and stored state. On PostgreSQL plain statements, the report
locks and the keys in one, the previous levels and the states in one (every batch pays
them, however small: the ORM's building cost more than the queries); elsewhere (SQLite,
the demo's embedded database) the ORM's reads, which return the same."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import OuterRef, Subquery

from ewers.models import Region, Theme
from indicators.choices import ReportStatus
from indicators.models import CurrentRisk, FieldReport, Indicator, RiskAssessment
from indicators.scoring_models import ScoringState


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def communities_lock(community_ids: Sequence[int]) -> None:
    """Lock the communities' rows, in id order (two batches never wait on each other in a
    cycle). FOR NO KEY UPDATE: another scorer's new contributions take KEY SHARE locks on
    these rows at commit (foreign-key checks); a plain FOR UPDATE would deadlock with them."""
    if not _postgres():
        list(
            Region.objects.select_for_update(no_key=True)
            .filter(pk__in=list(community_ids))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {Region._meta.db_table} WHERE id = ANY(%s) ORDER BY id FOR NO KEY UPDATE",  # noqa: S608 (a model's table)
            [list(community_ids)],
        )
        cursor.fetchall()


def reports_lock(token: str, report_ids: Sequence[int]) -> tuple[list[tuple[int, int]], set[int]]:
    """Lock those of the reports still received and claimed by ``token`` (FOR NO KEY
    UPDATE, their communities' locks held first): (report, community) each, and which of
    them already key an assessment (``report:<id>``)."""
    if not _postgres():
        locked = list(
            FieldReport.objects.filter(status=ReportStatus.RECEIVED, scoring_claim=token, pk__in=list(report_ids))
            .select_for_update(no_key=True)
            .values_list("pk", "community_id")
        )
        keys = {f"report:{pk}": pk for pk, _community in locked}
        taken = RiskAssessment.objects.filter(key__in=list(keys)).values_list("key", flat=True)
        return locked, {keys[key] for key in taken if key is not None}
    report, assessment = FieldReport._meta.db_table, RiskAssessment._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH locked AS (SELECT id, community_id FROM {report} WHERE id = ANY(%s) AND status = %s "  # noqa: S608 (the models' tables)
            "AND scoring_claim = %s FOR NO KEY UPDATE) "
            f"SELECT l.id, l.community_id, EXISTS (SELECT 1 FROM {assessment} a WHERE a.key = 'report:' || l.id) "
            "FROM locked l",
            [list(report_ids), ReportStatus.RECEIVED, token],
        )
        rows = cursor.fetchall()
    return [(pk, community_id) for pk, community_id, _taken in rows], {pk for pk, _c, taken in rows if taken}


# The catalogue's fingerprint (``scoring_state.Catalogue.current``): each indicator's and
# theme's id with its row version's ``xmin``, the id of the transaction that wrote it.
# Every write of a row (ORM, admin, bulk update, raw SQL, migration) makes a new row version
# with the writer's transaction id, and a delete or insert changes the ids: any committed
# change to the catalogue changes the fingerprint, and no later state of the tables can
# give an earlier one back. (Freezing keeps the raw ``xmin``; were it ever to change, the
# catalogue would only be read again.)
CATALOGUE_FINGERPRINT = (
    "(SELECT coalesce(string_agg(id::text || ':' || xmin::text, ',' ORDER BY id), '') FROM {indicator}) "
    "|| '/' || (SELECT coalesce(string_agg(id::text || ':' || xmin::text, ',' ORDER BY id), '') FROM {theme})"
)


@dataclass(frozen=True)
class BatchFacts:
    """What ``previous_and_states`` reads of a batch's communities."""

    previous: dict[int, str | None]  # the level last assessed at or before the moment (None: never)
    states: dict[int, ScoringState]  # the stored states (``scoring_state``'s carried sums), where any
    fingerprint: str | None  # the catalogue's (``CATALOGUE_FINGERPRINT``); None elsewhere than on PostgreSQL
    # The current risk rows (``risk.risks_record``), where any; None: not read (SQLite).
    risks: dict[int, CurrentRisk] | None


def _json(value: Any) -> Any:
    # psycopg2 as Django sets it up gives jsonb as its text (these fields have no decoder).
    return value if isinstance(value, dict) else json.loads(value)


def previous_and_states(community_ids: Sequence[int], at: datetime) -> BatchFacts:
    """Each community's level as last assessed at or before ``at``, its stored state, the
    catalogue's fingerprint, and on PostgreSQL its current risk row: one statement there.
    The caller holds the communities' locks (the current risk rows change only under them)."""
    if not _postgres():
        previous: dict[int, str | None] = dict(
            Region.objects.filter(pk__in=list(community_ids))
            .annotate(
                previous_level=Subquery(
                    RiskAssessment.objects.filter(community=OuterRef("pk"), assessed_at__lte=at)
                    .order_by("-assessed_at", "-id")
                    .values("level")[:1]
                )
            )
            .values_list("pk", "previous_level")
        )
        states = {row.community_id: row for row in ScoringState.objects.filter(community_id__in=list(community_ids))}
        return BatchFacts(previous, states, None, None)
    fingerprint = CATALOGUE_FINGERPRINT.format(indicator=Indicator._meta.db_table, theme=Theme._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {fingerprint}, w.c, (SELECT level FROM "  # noqa: S608 (the models' tables)
            f"{RiskAssessment._meta.db_table} a WHERE a.community_id = w.c AND a.assessed_at <= %s "
            "ORDER BY a.assessed_at DESC, a.id DESC LIMIT 1), s.ref_at, s.window_days, s.sums, "
            "r.assessment_id, r.assessed_at, r.score, r.level, r.weekly "
            f"FROM unnest(%s::integer[]) AS w(c) JOIN {Region._meta.db_table} g ON g.id = w.c "
            f"LEFT JOIN {ScoringState._meta.db_table} s ON s.community_id = w.c "
            f"LEFT JOIN {CurrentRisk._meta.db_table} r ON r.community_id = w.c",
            [at, list(community_ids)],
        )
        rows = cursor.fetchall()
    facts = BatchFacts({}, {}, rows[0][0] if rows else None, {})
    for row in rows:
        _fingerprint, community_id, level, ref_at, window_days, sums, *risk = row
        facts.previous[community_id] = level
        if ref_at is not None:
            facts.states[community_id] = ScoringState(
                community_id=community_id, ref_at=ref_at, window_days=window_days, sums=_json(sums)
            )
        assessment_id, assessed_at, score, risk_level, weekly = risk
        if assessment_id is not None and facts.risks is not None:
            facts.risks[community_id] = CurrentRisk(
                community_id=community_id,
                assessment_id=assessment_id,
                assessed_at=assessed_at,
                score=score,
                level=risk_level,
                weekly=_json(weekly),
            )
    return facts
