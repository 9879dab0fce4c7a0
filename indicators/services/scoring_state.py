"""Live scoring by state (``indicators.scoring_state``) on the database: a community's
carried sums loaded, moved to now, given the newly scored reports' readings, and stored.

Every query here reads a bounded slice of one community: the readings that left the window
since the last assessment, the reports not yet scored, the recent trigger readings, the
reports being scored. Only a rebuild (no state yet, an indicator's version or a report's
verification changed, the window setting changed) reads the whole window.

The state covers the readings of the community's reports that are not ``received`` (the
scorer folds a report's readings in the transaction that marks it scored); the readings of
reports still ``received`` are added to each assessment without being kept.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from indicators import scoring, scoring_state
from indicators.choices import Category, Polarity, ReportStatus
from indicators.models import FieldReport, Indicator, Reading, ScoringState
from indicators.services.reports import CLOCK_SKEW_TOLERANCE

FACT_FIELDS = (
    "report_id",
    "indicator_id",
    "value",
    "report__observed_at",
    "report__source_reliability",
    "report__information_credibility",
    "report__verification",
)


def scoring_config() -> scoring.ScoringConfig:
    moderate, high, critical = settings.EWERS_LEVEL_BANDS
    return scoring.ScoringConfig(
        saturation=settings.EWERS_SCORE_SATURATION,
        bands=(moderate, high, critical),
        hysteresis=settings.EWERS_LEVEL_HYSTERESIS,
    )


@dataclass(frozen=True)
class Catalogue:
    """Every indicator, as the scorer and the alerting layer read them (one query)."""

    plain: dict[int, scoring.IndicatorSettings]
    models: dict[int, Indicator]

    @classmethod
    def load(cls) -> Catalogue:
        models = {i.pk: i for i in Indicator.objects.select_related("theme")}
        return cls({pk: i.scoring_settings() for pk, i in models.items()}, models)

    @classmethod
    def current(cls, fingerprint: str | None) -> Catalogue:
        """``load``, or the catalogue this process loaded last if the indicators' and themes'
        rows are still the same (``fingerprint``: ``scoring_reads.CATALOGUE_FINGERPRINT``,
        read by the caller after its locks; None: load). A scoring batch's hot path: the
        catalogue changes rarely, and loading it cost a fifth of a small batch.

        Only for a caller in a transaction of its own that writes no indicator or theme: a
        transaction's second write of a row it wrote already keeps the row's ``xmin``."""
        if fingerprint is None:
            return cls.load()
        key = (connection.alias, connection.settings_dict["NAME"], fingerprint)
        cached = _catalogue_cache.get("last")
        if cached is not None and cached[0] == key:
            return cached[1]
        catalogue = cls.load()
        _catalogue_cache["last"] = (key, catalogue)
        return catalogue

    def trigger_ids(self) -> list[int]:
        return [pk for pk, i in self.plain.items() if i.category == Category.TRIGGER and i.polarity == Polarity.RISK]


# One catalogue a process, with the database and the fingerprint it was loaded under.
_catalogue_cache: dict[str, tuple[tuple[str, str, str], Catalogue]] = {}


def _folded(where: Q) -> QuerySet[Reading]:
    """The readings the carried sums cover (of reports no longer received), ``where`` they are."""
    return Reading.objects.filter(where).exclude(report__status=ReportStatus.RECEIVED)


def state_invalidate(community_ids: Iterable[int]) -> None:
    """Forget the carried sums of these communities: their next scoring rebuilds them."""
    ScoringState.objects.filter(community_id__in=list(community_ids)).delete()


# A save touching these fields changes what a report adds to its community's sums.
SCORED_FIELDS = frozenset({"verification", "observed_at", "source_reliability", "information_credibility", "community"})


@receiver(post_save, sender=FieldReport, dispatch_uid="scoring_state_report_saved")
def _report_saved(sender: type[FieldReport], instance: FieldReport, created: bool, **kwargs: object) -> None:
    """A report verified or disputed (or saved already scored, as a loader may) is in no
    carried sum as it now stands: the community's next scoring rebuilds them."""
    fields = kwargs.get("update_fields")
    if created:
        changed = instance.status != ReportStatus.RECEIVED
    else:
        changed = fields is None or bool(SCORED_FIELDS & set(fields))  # type: ignore[call-overload]
    if changed:
        state_invalidate([instance.community_id])


@receiver(post_delete, sender=FieldReport, dispatch_uid="scoring_state_report_deleted")
def _report_deleted(sender: type[FieldReport], instance: FieldReport, **kwargs: object) -> None:
    """A scored report still in the window leaves the sums: rebuild them (retention's
    purges of old reports cost nothing here)."""
    window = timedelta(days=settings.EWERS_SCORING_WINDOW_DAYS)
    if instance.status != ReportStatus.RECEIVED and instance.observed_at >= timezone.now() - window:
        state_invalidate([instance.community_id])


def _by_community(readings: QuerySet[Reading]) -> dict[int, list[scoring.ReadingFact]]:
    """The readings' facts, by their report's community (one query)."""
    found: dict[int, list[scoring.ReadingFact]] = defaultdict(list)
    for community_id, *row in readings.values_list("report__community_id", *FACT_FIELDS):
        found[community_id].append(scoring.ReadingFact(*row))
    return found


def _postgres() -> bool:
    return connection.vendor == "postgresql"


# The report columns a fact needs, and the SQL of the reports of each community ``w.c``
# (an ``unnest`` of the batch's communities) matching a condition: one index scan of
# (community, observed_at) per community, whatever the table statistics say (OFFSET 0 keeps
# the planner from flattening the subquery into a hash join over the whole table).
_REPORT_COLUMNS = "id, community_id, observed_at, source_reliability, information_credibility, verification"


def _per_community(where: str, *, fence: bool = True) -> str:
    report = FieldReport._meta.db_table
    return (
        f"CROSS JOIN LATERAL (SELECT {_REPORT_COLUMNS} FROM {report} "  # noqa: S608 (a model's table)
        f"WHERE community_id = w.c AND {where}{' OFFSET 0' if fence else ''}) f"
    )


# A read of readings for ``_facts_many``: a FROM clause naming the reports ``f``, its
# parameters, and the indicators to keep (None: all).
FactQuery = tuple[str, list[Any], list[int] | None]


def _facts_sql(
    reports: str, params: Sequence[Any], *, indicators: Sequence[int] | None = None
) -> dict[int, list[scoring.ReadingFact]]:
    """``_by_community`` in plain SQL on PostgreSQL: the readings of ``reports`` (a FROM
    clause naming the reports ``f``; ``indicators``: of these only), each report's read by
    its index."""
    return _facts_many([(reports, list(params), list(indicators) if indicators is not None else None)])[0]


def _facts_many(queries: Sequence[FactQuery | None]) -> list[dict[int, list[scoring.ReadingFact]]]:
    """The readings of each query by community (empty for None), all in one statement (a
    UNION ALL of the queries, each row tagged with its query's place): a batch's reads of
    readings cost one round trip, not four. The hot path: nothing to build, no converters
    (psycopg2 gives the columns as the facts take them)."""
    reading = Reading._meta.db_table
    found: list[dict[int, list[scoring.ReadingFact]]] = [defaultdict(list) for _query in queries]
    parts: list[str] = []
    params: list[Any] = []
    for n, query in enumerate(queries):
        if query is None:
            continue
        reports, own, indicators = query
        only = " AND indicator_id = ANY(%s)" if indicators is not None else ""
        parts.append(
            f"(SELECT {n}, f.community_id, r.report_id, r.indicator_id, r.value, f.observed_at, "  # noqa: S608 (the models' tables)
            f"f.source_reliability, f.information_credibility, f.verification FROM {reports} CROSS JOIN LATERAL "
            f"(SELECT report_id, indicator_id, value FROM {reading} WHERE report_id = f.id{only}) r)"
        )
        params += [*own, *([indicators] if indicators is not None else [])]
    if not parts:
        return found
    fact = scoring.ReadingFact
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        for n, community_id, *row in cursor.fetchall():
            found[n][community_id].append(fact(*row))
    return found


def _carriable(
    community_ids: Collection[int], at: datetime, *, rebuild: bool, stored: Mapping[int, ScoringState] | None = None
) -> tuple[dict[int, ScoringState], list[tuple[int, datetime, datetime]]]:
    """The communities' stored states (``stored`` if the caller read them) that may be
    carried to ``at``, and for each the span whose readings left the window meanwhile
    (community, since, until)."""
    window = settings.EWERS_SCORING_WINDOW_DAYS
    rows = (
        stored
        if stored is not None
        else {row.community_id: row for row in ScoringState.objects.filter(community_id__in=list(community_ids))}
    )
    carried = {pk: row for pk, row in rows.items() if not rebuild and row.window_days == window and row.ref_at <= at}
    spans = [
        (pk, row.ref_at - timedelta(days=row.window_days), at - timedelta(days=row.window_days))
        for pk, row in carried.items()
        if row.sums and at > row.ref_at
    ]
    return carried, spans


def _states_carried(
    community_ids: Collection[int],
    at: datetime,
    catalogue: Catalogue,
    carried: Mapping[int, ScoringState],
    expired: Mapping[int, list[scoring.ReadingFact]],
    history: Mapping[int, list[scoring.ReadingFact]] | None = None,
) -> dict[int, scoring_state.CommunityState]:
    """The communities' states moved to ``at`` (``carried``, less the readings ``expired``
    since), rebuilt from the readings where they cannot be carried (``history``: the
    folded readings of the window of the communities with no state carried, if the caller
    read them; others are read here)."""
    window = settings.EWERS_SCORING_WINDOW_DAYS
    states: dict[int, scoring_state.CommunityState] = {}
    for pk, row in carried.items():
        state = scoring_state.CommunityState.from_json(row.ref_at, row.window_days, row.sums)
        if scoring_state.carry(state, at, expired.get(pk, []), catalogue.plain):
            states[pk] = state
    rebuilt = [pk for pk in community_ids if pk not in states]
    unread = [pk for pk in rebuilt if history is None or pk in carried]
    if rebuilt:
        since = at - timedelta(days=window)
        history = {**(history or {})}
        if unread:
            history |= _by_community(_folded(Q(report__community_id__in=unread, report__observed_at__gte=since)))
        for pk in rebuilt:
            state = scoring_state.CommunityState(ref=at.timestamp(), window_days=window)
            scoring_state.fold(state, history.get(pk, []), catalogue.plain)
            states[pk] = state
    return states


def _expired(spans: Sequence[tuple[int, datetime, datetime]]) -> dict[int, list[scoring.ReadingFact]]:
    """The folded readings of each community (of reports no longer received) observed in
    its span [since, until): those that left the window since its last assessment.
    Elsewhere than on PostgreSQL (there ``_expired_query``, read with the others at once)."""
    if not spans:
        return {}
    expiring = Q()
    for pk, lo, hi in spans:
        expiring |= Q(report__community_id=pk, report__observed_at__gte=lo, report__observed_at__lt=hi)
    return _by_community(_folded(expiring))


def _expired_query(spans: Sequence[tuple[int, datetime, datetime]]) -> FactQuery | None:
    """``_expired``'s read on PostgreSQL."""
    if not spans:
        return None
    communities, since, until = (list(column) for column in zip(*spans, strict=True))
    return (
        "unnest(%s::integer[], %s::timestamptz[], %s::timestamptz[]) AS w(c, s, u) "
        + _per_community("observed_at >= w.s AND observed_at < w.u AND status <> %s"),
        [communities, since, until, ReportStatus.RECEIVED],
        None,
    )


def _history_query(community_ids: Sequence[int], at: datetime) -> FactQuery | None:
    """The folded readings of the window at ``at`` (of reports no longer received) of the
    communities with no state to carry, which are rebuilt (on PostgreSQL; ``_states_carried``
    reads them otherwise)."""
    if not community_ids:
        return None
    return (
        "unnest(%s::integer[]) AS w(c) " + _per_community("observed_at >= %s AND status <> %s"),
        [list(community_ids), at - timedelta(days=settings.EWERS_SCORING_WINDOW_DAYS), ReportStatus.RECEIVED],
        None,
    )


def states_assess(
    *,
    folds: Mapping[int, Collection[int]],
    at: datetime,
    previous_levels: Mapping[int, str | None],
    catalogue: Catalogue,
    rebuild: bool = False,
    stored: Mapping[int, ScoringState] | None = None,
) -> dict[int, scoring.Assessment]:
    """Assess each community of ``folds`` (community → reports being marked scored in this
    transaction, whose readings are folded in) at ``at`` from its carried state (``stored``:
    the communities' stored states, if the caller read them with their locks held), and
    store the states. The caller holds the communities' row locks. Set-based: the same few
    queries for one community or a batch of them."""
    community_ids = sorted(folds)
    fold_ids = [pk for ids in folds.values() for pk in ids]
    carried, spans = _carriable(community_ids, at, rebuild=rebuild, stored=stored)
    history: dict[int, list[scoring.ReadingFact]] | None = None
    if _postgres():  # the reads of readings in one statement
        expired, new, extra, triggers, history = _facts_many(
            [
                _expired_query(spans),
                *_received_queries(community_ids, fold_ids, at),
                _trigger_query(community_ids, at, catalogue),
                _history_query([pk for pk in community_ids if pk not in carried], at),
            ]
        )
    else:
        expired = _expired(spans)
        new, extra = _received(community_ids, fold_ids, at)
        triggers = _trigger_facts(community_ids, at, catalogue)
    states = _states_carried(community_ids, at, catalogue, carried, expired, history)
    for pk, readings in new.items():
        scoring_state.fold(states[pk], readings, catalogue.plain)
    config = scoring_config()
    results = {
        pk: scoring_state.assess(
            states[pk],
            extra.get(pk, []),
            triggers.get(pk, []),
            catalogue.plain,
            skew_seconds=CLOCK_SKEW_TOLERANCE.total_seconds(),
            previous_level=previous_levels.get(pk),
            config=config,
        )
        for pk in community_ids
    }
    rows = [
        ScoringState(community_id=pk, ref_at=at, window_days=states[pk].window_days, sums=states[pk].as_json())
        for pk in community_ids
    ]
    # One upsert for the batch (a bulk_update's CASE per row costs more than the rest).
    ScoringState.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["community"], update_fields=["ref_at", "window_days", "sums"]
    )
    return results


def _received(
    community_ids: list[int], fold_ids: list[int], at: datetime
) -> tuple[dict[int, list[scoring.ReadingFact]], dict[int, list[scoring.ReadingFact]]]:
    """The readings of the reports being scored (``fold_ids``), and those of the
    communities' other reports still received within the window (not in the sums).
    Elsewhere than on PostgreSQL (there ``_received_queries``)."""
    window = timedelta(days=settings.EWERS_SCORING_WINDOW_DAYS)
    new = _by_community(Reading.objects.filter(report_id__in=fold_ids)) if fold_ids else {}
    extra = _by_community(
        Reading.objects.filter(
            report__community_id__in=community_ids,
            report__status=ReportStatus.RECEIVED,
            report__observed_at__gte=at - window,
            report__observed_at__lte=at + CLOCK_SKEW_TOLERANCE,
        ).exclude(report_id__in=fold_ids)
    )
    return new, extra


def _received_queries(
    community_ids: list[int], fold_ids: list[int], at: datetime
) -> tuple[FactQuery | None, FactQuery]:
    """``_received``'s two reads on PostgreSQL."""
    window = timedelta(days=settings.EWERS_SCORING_WINDOW_DAYS)
    report = FieldReport._meta.db_table
    new: FactQuery | None = (
        (f"(SELECT {_REPORT_COLUMNS} FROM {report} WHERE id = ANY(%s)) f", [fold_ids], None)  # noqa: S608
        if fold_ids
        else None
    )
    extra: FactQuery = (
        "unnest(%s::integer[]) AS w(c) "
        # No fence: a backlog may hold thousands of reports, which a hash join reads faster.
        + _per_community("status = %s AND observed_at >= %s AND observed_at <= %s AND NOT id = ANY(%s)", fence=False),
        [community_ids, ReportStatus.RECEIVED, at - window, at + CLOCK_SKEW_TOLERANCE, fold_ids],
        None,
    )
    return new, extra


def state_assess(
    *,
    community_id: int,
    at: datetime,
    fold_report_ids: Collection[int],
    previous_level: str | None,
    catalogue: Catalogue,
    rebuild: bool = False,
) -> scoring.Assessment:
    """``states_assess`` for one community."""
    return states_assess(
        folds={community_id: fold_report_ids},
        at=at,
        previous_levels={community_id: previous_level},
        catalogue=catalogue,
        rebuild=rebuild,
    )[community_id]


def _trigger_facts(
    community_ids: Collection[int], at: datetime, catalogue: Catalogue
) -> dict[int, list[scoring.ReadingFact]]:
    """The readings of trigger indicators young enough to trigger (any report status).
    Elsewhere than on PostgreSQL (there ``_trigger_query``)."""
    ids = catalogue.trigger_ids()
    if not ids:
        return {}
    since = _trigger_since(at, catalogue, ids)
    return _by_community(
        Reading.objects.filter(
            report__community_id__in=list(community_ids),
            indicator_id__in=ids,
            report__observed_at__gte=since,
            report__observed_at__lte=at + CLOCK_SKEW_TOLERANCE,
        )
    )


def _trigger_since(at: datetime, catalogue: Catalogue, ids: Sequence[int]) -> datetime:
    """How far back a trigger reading may still trigger: its indicator's half-life."""
    longest = max(catalogue.plain[pk].half_life_days for pk in ids)
    return at - timedelta(days=min(settings.EWERS_SCORING_WINDOW_DAYS, max(longest, 0.0)))


def _trigger_query(community_ids: Collection[int], at: datetime, catalogue: Catalogue) -> FactQuery | None:
    """``_trigger_facts``' read on PostgreSQL."""
    ids = catalogue.trigger_ids()
    if not ids:
        return None
    return (
        "unnest(%s::integer[]) AS w(c) " + _per_community("observed_at >= %s AND observed_at <= %s"),
        [list(community_ids), _trigger_since(at, catalogue, ids), at + CLOCK_SKEW_TOLERANCE],
        list(ids),
    )


def window_facts(community_ids: Collection[int], at: datetime) -> dict[int, list[scoring.ReadingFact]]:
    """Every reading of the communities' scoring windows at ``at`` (any report status), by
    community: the evidence an alert keeps, one query for a batch's alerts."""
    since = at - timedelta(days=settings.EWERS_SCORING_WINDOW_DAYS)
    if _postgres():
        return _facts_sql(
            "unnest(%s::integer[]) AS w(c) " + _per_community("observed_at >= %s AND observed_at <= %s"),
            [list(community_ids), since, at + CLOCK_SKEW_TOLERANCE],
        )
    return _by_community(
        Reading.objects.filter(
            report__community_id__in=list(community_ids),
            report__observed_at__gte=since,
            report__observed_at__lte=at + CLOCK_SKEW_TOLERANCE,
        )
    )
