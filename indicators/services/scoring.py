"""Scoring glue: a community's carried sums (``indicators.services.scoring_state``), or for a
past moment its readings then, into the pure core (``indicators.scoring``); the assessment
stored with its contributions by indicator, and the alerting layer told
(``indicators.hooks``) in the same transaction.

Scoring tasks work in micro-batches: they claim received reports (attempts counted first),
group them by community and store one assessment per community, each in its own
transaction with the community's row lock held.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from ewers.broker import enqueue
from ewers.models import Region
from indicators import scoring, tasks
from indicators.choices import (
    AssessmentCause,
    ReportStatus,
)
from indicators.hooks import AssessmentRecorded, alerting
from indicators.models import Contribution, FieldReport, Indicator, Reading, RiskAssessment
from indicators.services.reports import CLOCK_SKEW_TOLERANCE
from indicators.services.risk import risk_record
from indicators.services.scoring_state import Catalogue, state_assess, state_invalidate
from indicators.services.scoring_state import scoring_config as scoring_config  # its home before the state

# Causes whose change is not in the carried sums: the state is rebuilt from the readings.
REBUILD_CAUSES = frozenset({AssessmentCause.VERIFICATION, AssessmentCause.INDICATOR})


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
    rows = readings.values_list(
        "report_id",
        "indicator_id",
        "value",
        "report__observed_at",
        "report__source_reliability",
        "report__information_credibility",
        "report__verification",
    )
    return [scoring.ReadingFact(*row) for row in rows]


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
    fold_report_ids: Collection[int] = (),
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
    if replaying:
        facts = _reading_facts(community_id, at, replaying=True)
        plain, indicators = _indicator_settings({f.indicator_id for f in facts})
        result = scoring.assess(facts, plain, at=at, previous_level=previous, config=scoring_config())
        state_invalidate([community_id])
    else:
        catalogue = Catalogue.load()
        result = state_assess(
            community_id=community_id,
            at=at,
            fold_report_ids=fold_report_ids,
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
    Contribution.objects.bulk_create(
        Contribution(
            assessment=assessment,
            indicator_id=c.indicator_id,
            indicator_version=c.indicator_version,
            report_id=c.report_id,
            amount=c.amount,
        )
        for c in result.contributions
    )
    risk_record(assessment=assessment)
    alerting().assessment_recorded(
        AssessmentRecorded(
            assessment=assessment,
            previous_level=previous,
            contributions=result.contributions,
            triggered=bool(result.triggers),
            indicators=indicators,
            triggers=result.triggers,
        )
    )
    return assessment


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


def _claim(report_ids: Sequence[int]) -> dict[int, list[int]]:
    """Count an attempt on each of these reports still to score (in its own commit, so a
    report that kills its worker every time stops being retried after
    EWERS_SCORING_MAX_ATTEMPTS); returns them by community."""
    if not report_ids:
        return {}
    table = FieldReport._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET scoring_attempts = scoring_attempts + 1 "  # noqa: S608 (a model's table)
            "WHERE id = ANY(%s) AND status = %s AND scoring_attempts < %s RETURNING id, community_id",
            [list(report_ids), ReportStatus.RECEIVED, settings.EWERS_SCORING_MAX_ATTEMPTS],
        )
        rows = cursor.fetchall()
    groups: dict[int, list[int]] = defaultdict(list)
    for report_id, community_id in rows:
        groups[community_id].append(report_id)
    return dict(groups)


def _claim_more(community_id: int, besides: Collection[int]) -> list[int]:
    """Claim up to EWERS_SCORING_BATCH more received reports of the community that no
    other scorer holds (SKIP LOCKED), so a backlog is scored in one assessment."""
    limit = settings.EWERS_SCORING_BATCH - len(besides)
    if limit <= 0:
        return []
    table = FieldReport._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET scoring_attempts = scoring_attempts + 1 WHERE id IN ("  # noqa: S608
            f"SELECT id FROM {table} WHERE community_id = %s AND status = %s AND scoring_attempts < %s "
            "AND NOT id = ANY(%s) ORDER BY id LIMIT %s FOR NO KEY UPDATE SKIP LOCKED) RETURNING id",
            [community_id, ReportStatus.RECEIVED, settings.EWERS_SCORING_MAX_ATTEMPTS, list(besides), limit],
        )
        return [row[0] for row in cursor.fetchall()]


def _community_score(
    community_id: int, targets: Collection[int], extras: Collection[int] = ()
) -> RiskAssessment | None:
    """Score the claimed reports of one community in one transaction: one assessment, the
    reports marked scored. ``targets`` are waited for if another transaction holds them;
    ``extras`` (claimed on the side) are skipped then."""
    with transaction.atomic():
        _lock_community(community_id)
        # FOR NO KEY UPDATE: another scorer's new contributions take KEY SHARE locks on
        # these rows at commit (foreign-key checks); a plain FOR UPDATE would deadlock with them.
        received = FieldReport.objects.filter(status=ReportStatus.RECEIVED)
        locked = list(received.select_for_update(no_key=True).filter(pk__in=list(targets)).values_list("pk", flat=True))
        if extras:
            locked += (
                received.select_for_update(no_key=True, skip_locked=True)
                .filter(pk__in=list(extras))
                .values_list("pk", flat=True)
            )
        if not locked:
            return None
        last = max(locked)
        key = f"report:{last}"
        assessment = RiskAssessment.objects.filter(key=key).first()
        if assessment is None:
            assessment = _assess_locked(
                community_id=community_id,
                key=key,
                cause=AssessmentCause.REPORT,
                at=None,
                report_id=last,
                fold_report_ids=locked,
            )
        else:
            state_invalidate([community_id])  # assessed without these reports: not in the sums
        FieldReport.objects.filter(pk__in=locked).update(status=ReportStatus.SCORED, scored_at=assessment.assessed_at)
    return assessment


def reports_score(report_ids: Sequence[int]) -> None:
    """Score a batch of received reports: one assessment per community; safe to run again
    (reports already scored, gone or out of attempts are left alone)."""
    for community_id, ids in sorted(_claim(report_ids).items()):
        _community_score(community_id, ids)


def report_score(*, report_id: int, at: datetime | None = None) -> RiskAssessment | None:
    """Score a report's community and mark the report ``scored``; safe to run again.

    Live, it also claims the community's other received reports (up to
    EWERS_SCORING_BATCH), so a backlog is folded into one assessment and their own tasks
    find nothing left to do. Returns None when there is nothing to do (already scored,
    gone, or out of attempts).
    """
    claimed = _claim([report_id])
    if not claimed:
        return None
    ((community_id, _),) = claimed.items()
    if at is None:
        return _community_score(community_id, [report_id], _claim_more(community_id, [report_id]))
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
