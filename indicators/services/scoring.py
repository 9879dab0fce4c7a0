"""Scoring glue: a community's carried sums (``indicators.services.scoring_state``), or for a
past moment its readings then, into the pure core (``indicators.scoring``); the assessment
stored with its contributions by indicator, and the alerting layer told
(``indicators.hooks``) in the same transaction.

Scoring tasks work in micro-batches: they claim received reports (attempts counted first,
the reports marked as the scorer's: ``scoring_claims``), group them by community and store
one assessment per community, the batch in one transaction with the communities' row
locks held. New reports wake a scorer (``scoring_wake``) only when none is waiting.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from ewers.broker import enqueue
from ewers.models import Region
from ewers.runtime import collector_paused
from indicators import scoring, tasks
from indicators.choices import (
    AssessmentCause,
    ReportStatus,
)
from indicators.hooks import AssessmentRecorded, alerting
from indicators.models import Contribution, CurrentRisk, FieldReport, Indicator, Reading, RiskAssessment
from indicators.services.reports import CLOCK_SKEW_TOLERANCE
from indicators.services.reports_write import array_of_numbers
from indicators.services.risk import risks_record
from indicators.services.scoring_claims import Claimed, claim, claim_token, claimable, claims_release
from indicators.services.scoring_reads import communities_lock, previous_and_states, reports_lock
from indicators.services.scoring_state import (
    FACT_FIELDS,
    Catalogue,
    state_assess,
    state_invalidate,
    states_assess,
    window_facts,
)
from indicators.services.scoring_state import scoring_config as scoring_config  # its home before the state
from indicators.services.scoring_wake import scoring_wake, scoring_wake_another, scoring_wake_forget

# Causes whose change is not in the carried sums: the state is rebuilt from the readings.
REBUILD_CAUSES = frozenset({AssessmentCause.VERIFICATION, AssessmentCause.INDICATOR})
# How long one ``reports_waiting_score`` task goes on claiming before it hands over to the
# next one: well within CELERY_TASK_TIME_LIMIT.
WAITING_SECONDS = 30


def _reading_facts(community_id: int, at: datetime, *, replaying: bool = False) -> list[scoring.ReadingFact]:
    """The community's readings within the scoring window up to ``at`` (a full recompute,
    for scoring at a past moment).

    ``replaying`` (scoring at a past moment, as the demo seed does) also leaves out the
    reports received after ``at``. Live scoring does not compare with ``received_at``: it
    comes from the web server's clock, which may run ahead of the worker's.
    """
    since = at - timedelta(days=settings.EWERS_SCORING_WINDOW_DAYS)
    readings = Reading.objects.filter(
        report__community_id=community_id,
        report__observed_at__gte=since,
        report__observed_at__lte=at + CLOCK_SKEW_TOLERANCE,
    )
    if replaying:
        readings = readings.filter(report__received_at__lte=at)
    return [scoring.ReadingFact(*row) for row in readings.values_list(*FACT_FIELDS)]


def _indicator_settings(ids: set[int]) -> tuple[dict[int, scoring.IndicatorSettings], dict[int, Indicator]]:
    indicators = {i.pk: i for i in Indicator.objects.filter(pk__in=ids).select_related("theme")}
    plain = {pk: i.scoring_settings() for pk, i in indicators.items()}
    return plain, indicators


def _lock_community(community_id: int) -> None:
    # FOR NO KEY UPDATE: scorers of one community queue up here, while new reports for
    # it (whose foreign key takes a KEY SHARE lock on this row) are not held up.
    Region.objects.select_for_update(no_key=True).filter(pk=community_id).values_list("pk").get()


def _assess_locked(
    *,
    community_id: int,
    key: str,
    cause: str,
    at: datetime | None,
    report_id: int | None,
) -> RiskAssessment:
    """Assess with the community's row lock held (``community_assess``); live from the
    carried state, at a past moment ``at`` from the readings then (and the state forgotten)."""
    replaying = at is not None
    # The time is read once the lock is held, so assessments of a community are
    # stored in the order they were made (hysteresis reads the previous level).
    at = at or timezone.now()
    previous = (
        RiskAssessment.objects.filter(community_id=community_id, assessed_at__lte=at)
        .order_by("-assessed_at", "-id")
        .values_list("level", flat=True)
        .first()
    )
    facts: list[scoring.ReadingFact] = []
    if replaying:
        facts = _reading_facts(community_id, at, replaying=True)
        plain, indicators = _indicator_settings({f.indicator_id for f in facts})
        result = scoring.assess(facts, plain, at=at, previous_level=previous, config=scoring_config())
        state_invalidate([community_id])
    else:
        catalogue = Catalogue.load()
        plain = catalogue.plain
        result = state_assess(
            community_id=community_id,
            at=at,
            fold_report_ids=(),
            previous_level=previous,
            catalogue=catalogue,
            rebuild=cause in REBUILD_CAUSES,
        )
        indicators = catalogue.models
    assessment = RiskAssessment.objects.create(
        community_id=community_id,
        assessed_at=at,
        score=result.score,
        raw_score=result.raw_score,
        level=result.level,
        report_id=report_id,
        cause=cause,
        key=key,
        triggered=bool(result.triggers),
    )
    _contributions_insert(
        _follow([(assessment, result, previous)], indicators, plain, facts=facts if replaying else None)
    )
    return assessment


def _follow(
    done: Sequence[tuple[RiskAssessment, scoring.Assessment, str | None]],
    indicators: Mapping[int, Indicator],
    plain: Mapping[int, scoring.IndicatorSettings],
    *,
    facts: list[scoring.ReadingFact] | None,
    risks: Mapping[int, CurrentRisk] | None = None,
) -> list[ContributionRow]:
    """What follows stored assessments (assessment, result, previous level; one per
    community): the current risk, the alerting layer (told of them all at once), and the
    contributions to store (returned, for one bulk insert): by indicator, unless an alert
    now points to the assessment (opened or escalated by it): then one per reading, as a
    full recompute stores them, the reports its holders may read. That is rare, so those
    readings (``facts``, or else the window's) are read here, once. ``risks``: the
    communities' current risk rows, if the caller read them (``risks_record``)."""
    risks_record([assessment for assessment, _result, _previous in done], current=risks)
    alerted = alerting().assessments_recorded(
        [
            AssessmentRecorded(
                assessment=assessment,
                previous_level=previous,
                contributions=result.contributions,
                triggered=bool(result.triggers),
                indicators=indicators,
                triggers=result.triggers,
            )
            for assessment, result, previous in done
        ]
    )
    rows: list[ContributionRow] = []
    windows: dict[datetime, dict[int, list[scoring.ReadingFact]]] = defaultdict(dict)
    if facts is None:  # the windows of the communities alerted, read together (by moment: one for a batch)
        needed: dict[datetime, list[int]] = defaultdict(list)
        for (assessment, _result, _previous), evidence in zip(done, alerted, strict=True):
            if evidence:
                needed[assessment.assessed_at].append(assessment.community_id)
        for moment, community_ids in needed.items():
            windows[moment] = window_facts(community_ids, moment)
    for (assessment, result, _previous), evidence in zip(done, alerted, strict=True):
        stored = result.contributions
        if evidence:
            at = assessment.assessed_at
            readings = facts if facts is not None else windows[at].get(assessment.community_id, [])
            stored = scoring.reading_evidence(readings, plain, at=at, config=scoring_config())
        pk = assessment.pk
        rows += [(pk, c.indicator_id, c.indicator_version, c.report_id, c.amount) for c in stored]
    return rows


# (assessment, indicator, indicator version, report, amount): a Contribution's columns.
ContributionRow = tuple[int, int, int, int, float]


def _contributions_insert(rows: Sequence[ContributionRow]) -> None:
    """Store contributions: on PostgreSQL one INSERT of arrays (``unnest``), the hot path (a
    batch stores thousands; no model instance each); elsewhere ``bulk_create``."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        Contribution.objects.bulk_create(
            Contribution(assessment_id=a, indicator_id=i, indicator_version=v, report_id=r, amount=x)
            for a, i, v, r, x in rows
        )
        return
    # Each column as one array in its text form (``array_of_numbers``): a list would reach
    # the server as ARRAY[…] of thousands of elements, parsed and planned one by one.
    columns = [array_of_numbers(column) for column in zip(*rows, strict=True)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Contribution._meta.db_table} (assessment_id, indicator_id, indicator_version, "  # noqa: S608 (a model's table)
            "report_id, amount) SELECT * FROM unnest(%s::integer[], %s::integer[], %s::integer[], %s::integer[], "
            "%s::double precision[])",
            columns,
        )


def community_assess(
    *,
    community_id: int,
    key: str,
    cause: str,
    at: datetime | None = None,
    report: FieldReport | None = None,
) -> RiskAssessment:
    """Assess one community now (or at ``at``), store why, and let alerts follow.

    Idempotent per ``key``: the same piece of work run twice returns the first
    assessment. Holds the community's row lock, so scorers of one community queue up
    while other communities are scored in parallel.
    """
    with transaction.atomic():
        _lock_community(community_id)
        done = RiskAssessment.objects.filter(key=key).first()
        if done is not None:
            return done
        return _assess_locked(
            community_id=community_id, key=key, cause=cause, at=at, report_id=report.pk if report else None
        )


def _claim(report_ids: Sequence[int], token: str) -> Claimed:
    """Claim these reports for ``token`` if still to score and free, and when one is, up to
    EWERS_SCORING_BATCH in all with the oldest other received reports (any community), so
    a backlog is scored in micro-batches and the tasks of the reports taken along find
    nothing left to do. Nothing claimed when none of ``report_ids`` is: another scorer holds
    them (and scores them, or its message comes back if its worker dies) or they are done."""
    rows = claim(token, among=report_ids, limit=len(report_ids))
    if rows:
        rows += claim(token, besides=report_ids, limit=settings.EWERS_SCORING_BATCH - len(rows))
    return rows


def _batch_score(claimed: Sequence[tuple[int, int]], token: str) -> dict[int, RiskAssessment]:
    """``_batch_scored``, its claims released if it fails (the next scorer need not wait).
    The batch builds thousands of facts, sums and rows, none in a cycle: the cyclic
    collector is paused meanwhile (``ewers.runtime.collector_paused``), as a batch request's
    is; a worker process does not freeze its heap, so each full collection the allocations
    set off would walk all of it (a tenth of a large batch's time)."""
    try:
        with collector_paused():
            return _batch_scored(claimed, token)
    except Exception:
        claims_release(token, [report_id for report_id, _community in claimed])
        raise


def _batch_scored(claimed: Sequence[tuple[int, int]], token: str) -> dict[int, RiskAssessment]:
    """Score reports claimed by ``token`` (report, community) in one transaction: the
    communities locked in id order (two batches never wait on each other in a cycle), the
    reports still received and ``token``'s locked (one another scorer took over after the
    lease lapsed is that scorer's), one assessment per community, the reports marked scored and
    their claim released. A worker that dies here leaves them all received and claimed, and
    its message comes back (``acks_late``) and claims them again."""
    communities = sorted({community_id for _, community_id in claimed})
    # Its own transaction (no caller's around it), which writes no indicator or theme: the
    # catalogue's fingerprint then tells every change apart (``Catalogue.current``).
    cache = connection.get_autocommit() and not connection.in_atomic_block
    with transaction.atomic():
        communities_lock(communities)
        with alerting().batch():  # audit rows appended here, at the end: see indicators.hooks
            # Not SKIP LOCKED: the claim made them ours, and a concurrent claim statement may hold
            # a row it looked at and passed over until it ends (a moment): wait for it. No scorer
            # locks a report without its community's lock first, held here: no cycle.
            locked, taken = reports_lock(token, [pk for pk, _ in claimed])
            groups: dict[int, list[int]] = defaultdict(list)
            for report_id, community_id in locked:
                groups[community_id].append(report_id)
            if not groups:
                return {}
            keys = {community_id: f"report:{max(ids)}" for community_id, ids in groups.items()}
            done = (  # rare: a batch that stored its assessments and yet left its reports received
                {a.key: a for a in RiskAssessment.objects.filter(key__in=keys.values())}
                if any(max(ids) in taken for ids in groups.values())
                else {}
            )
            todo = {community_id: ids for community_id, ids in groups.items() if keys[community_id] not in done}
            assessed = _batch_assess(todo, cache=cache) if todo else {}
            for community_id in groups.keys() - todo.keys():
                state_invalidate([community_id])  # assessed without these reports: not in the sums
                assessed[community_id] = done[keys[community_id]]
            by_moment: dict[datetime, list[int]] = defaultdict(list)
            for community_id, ids in groups.items():
                by_moment[assessed[community_id].assessed_at] += ids
            for moment, ids in by_moment.items():
                FieldReport.objects.filter(pk__in=ids).update(
                    status=ReportStatus.SCORED, scored_at=moment, scoring_claim=None, scoring_claimed_at=None
                )
    return assessed


def _batch_assess(groups: Mapping[int, list[int]], *, cache: bool = False) -> dict[int, RiskAssessment]:
    """One assessment per community (``groups``: community → its reports being scored),
    with their locks held: set-based reads of the states, one insert of the assessments and
    one of their contributions; the current risk and the alerting layer community by
    community, in id order. ``cache``: the catalogue may be this process's last one if
    unchanged (``Catalogue.current``)."""
    # The time is read once the locks are held (hysteresis reads the previous level).
    at = timezone.now()
    facts = previous_and_states(sorted(groups), at)
    catalogue = Catalogue.current(facts.fingerprint if cache else None)
    previous = facts.previous
    results = states_assess(folds=groups, at=at, previous_levels=previous, catalogue=catalogue, stored=facts.states)
    assessments = RiskAssessment.objects.bulk_create(
        RiskAssessment(
            community_id=community_id,
            assessed_at=at,
            score=results[community_id].score,
            raw_score=results[community_id].raw_score,
            level=results[community_id].level,
            report_id=max(ids),
            cause=AssessmentCause.REPORT,
            key=f"report:{max(ids)}",
            triggered=bool(results[community_id].triggers),
        )
        for community_id, ids in sorted(groups.items())
    )
    done = [(a, results[a.community_id], previous[a.community_id]) for a in assessments]
    _contributions_insert(_follow(done, catalogue.models, catalogue.plain, facts=None, risks=facts.risks))
    return {a.community_id: a for a in assessments}


def reports_score(report_ids: Sequence[int], *, claim_id: str | None = None) -> None:
    """Score a batch of received reports (and others waiting, up to EWERS_SCORING_BATCH):
    one assessment per community; safe to run again (reports already scored, held by
    another scorer, gone or out of attempts are left alone). ``claim_id``: the scorer's
    id (its task's), see ``scoring_claims``."""
    token = claim_token(claim_id)
    claimed = _claim(report_ids, token)
    if claimed:
        _batch_score(claimed, token)


def urgent_first(claimed: Claimed, urgent: set[int]) -> list[Claimed]:
    """The batches to score, in order: the communities of the ``urgent`` reports (a trigger
    reading at its critical threshold: an alert at once) on their own first, with every
    report of theirs claimed (a community is assessed once a batch), then the others; one
    batch when all or none are urgent. The urgent alert then waits for the few communities
    of its own reports, not for a batch of others that arrived with it."""
    first = {community_id for report_id, community_id in claimed if report_id in urgent}
    if not first:
        return [claimed]
    now = [row for row in claimed if row[1] in first]
    later = [row for row in claimed if row[1] not in first]
    return [now, later] if later else [now]


def reports_waiting_score(*, claim_id: str | None = None) -> int:
    """Score the reports waiting (``scoring_wake``'s task): claim up to EWERS_SCORING_BATCH
    of them by community (``claim``'s ``whole``: the communities of the oldest first, each
    with all its waiting reports, none another scorer holds), score them in one
    transaction, and again until none is left to claim (or WAITING_SECONDS passed: then the
    next task is queued, so no task runs into its time limit). A full claim (a backlog)
    wakes another scorer first, which takes the next communities on another worker
    process. Returns how many reports were claimed."""
    scoring_wake_forget()  # first: a report committed from now on queues the next task
    token = claim_token(claim_id)
    deadline = time.monotonic() + WAITING_SECONDS
    done: list[int] = []
    while True:
        # Its own earlier claims only on the first round (its message came back): a report
        # claimed but skipped in a round (another scorer had it locked) is not retried here.
        urgent: set[int] = set()
        limit = settings.EWERS_SCORING_BATCH
        claimed = claim(token, besides=done, limit=limit, own=not done, urgent=urgent, whole=True)
        if not claimed:
            return len(done)
        if len(claimed) >= limit:
            scoring_wake_another()  # a backlog: another process takes the next communities meanwhile
        parts = urgent_first(claimed, urgent)
        for n, part in enumerate(parts):
            try:
                _batch_score(part, token)
            except Exception:
                claims_release(token, [report_id for later in parts[n + 1 :] for report_id, _community in later])
                raise
        done += [report_id for report_id, _community in claimed]
        if time.monotonic() > deadline:
            scoring_wake()
            return len(done)


def report_score(*, report_id: int, at: datetime | None = None, claim_id: str | None = None) -> RiskAssessment | None:
    """Score a report's community and mark the report ``scored``; safe to run again.

    Live, it also claims other received reports, of any community (up to
    EWERS_SCORING_BATCH), so a backlog is scored in micro-batches and their own tasks find
    nothing left to do; returns the assessment of the report's community. Returns None when
    there is nothing to do (already scored, held by another scorer, gone, or out of attempts).
    """
    if at is None:
        token = claim_token(claim_id)
        claimed = _claim([report_id], token)
        community_id = next((c for pk, c in claimed if pk == report_id), None)
        return None if community_id is None else _batch_score(claimed, token).get(community_id)
    table = FieldReport._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET scoring_attempts = scoring_attempts + 1 "  # noqa: S608 (a model's table)
            "WHERE id = %s AND status = %s AND scoring_attempts < %s RETURNING id",
            [report_id, ReportStatus.RECEIVED, settings.EWERS_SCORING_MAX_ATTEMPTS],
        )
        if cursor.fetchone() is None:
            return None
    with transaction.atomic():
        report = FieldReport.objects.select_for_update(no_key=True).filter(pk=report_id).first()
        if report is None or report.status != ReportStatus.RECEIVED:
            return None
        assessment = community_assess(
            community_id=report.community_id,
            key=f"report:{report_id}",
            cause=AssessmentCause.REPORT,
            at=at,
            report=report,
        )
        report.status = ReportStatus.SCORED
        report.scored_at = assessment.assessed_at
        report.save(update_fields=["status", "scored_at"])
    return assessment


def reports_sweep(*, now: datetime | None = None) -> int:
    """Queue every report still unscored a while after it was received; returns how many.

    A report the sweep queued is queued again only after EWERS_SWEEP_REQUEUE_SECONDS,
    so a backlog does not grow by a batch every minute. Rows a scorer holds right now
    are skipped (``skip_locked``), and they stay locked by the sweep until it has
    recorded what it queued. A report queued twice is still scored once
    (``report_score`` is idempotent).
    """
    now = now or timezone.now()
    requeue_before = now - timedelta(seconds=settings.EWERS_SWEEP_REQUEUE_SECONDS)
    sent: list[int] = []
    with transaction.atomic():
        ids = list(
            FieldReport.objects.select_for_update(skip_locked=True)
            .filter(
                status=ReportStatus.RECEIVED,
                received_at__lt=now - timedelta(seconds=settings.EWERS_SWEEP_AFTER_SECONDS),
                scoring_attempts__lt=settings.EWERS_SCORING_MAX_ATTEMPTS,
            )
            .filter(Q(queued_at__isnull=True) | Q(queued_at__lt=requeue_before))
            .filter(claimable(now))  # a scorer holds the others (until its lease lapses)
            .order_by("received_at", "pk")
            .values_list("pk", flat=True)[: settings.EWERS_SWEEP_BATCH]
        )
        for report_id in ids:
            if not enqueue(tasks.report_score, report_id):
                break  # the broker is still down: the next sweep tries again
            sent.append(report_id)
        FieldReport.objects.filter(pk__in=sent).update(queued_at=now)
    return len(sent)


def communities_to_rescore(*, indicator_id: int | None = None, now: datetime | None = None) -> list[int]:
    """Communities with readings in the scoring window (of one indicator, if given)."""
    now = now or timezone.now()
    readings = Reading.objects.filter(report__observed_at__gte=now - timedelta(days=settings.EWERS_SCORING_WINDOW_DAYS))
    if indicator_id is not None:
        readings = readings.filter(indicator_id=indicator_id)
    return sorted(set(readings.values_list("report__community_id", flat=True)))
