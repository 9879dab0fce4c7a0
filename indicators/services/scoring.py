"""Scoring glue: one community's recent readings into the pure core (``indicators.scoring``),
the assessment stored with its contributions, and the alerting layer told
(``indicators.hooks``) in the same transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
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


def scoring_config() -> scoring.ScoringConfig:
    moderate, high, critical = settings.EWERS_LEVEL_BANDS
    return scoring.ScoringConfig(
        saturation=settings.EWERS_SCORE_SATURATION,
        bands=(moderate, high, critical),
        hysteresis=settings.EWERS_LEVEL_HYSTERESIS,
    )


def _reading_facts(community_id: int, at: datetime, *, replaying: bool = False) -> list[scoring.ReadingFact]:
    """The community's readings within the scoring window up to ``at``: one query whose
    size follows one community's recent activity, not the whole table.

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
    replaying = at is not None
    with transaction.atomic():
        # FOR NO KEY UPDATE: scorers of one community queue up here, while new reports for
        # it (whose foreign key takes a KEY SHARE lock on this row) are not held up.
        Region.objects.select_for_update(no_key=True).filter(pk=community_id).values_list("pk").get()
        done = RiskAssessment.objects.filter(key=key).first()
        if done is not None:
            return done
        # The time is read once the lock is held, so assessments of a community are
        # stored in the order they were made (hysteresis reads the previous level).
        at = at or timezone.now()
        previous = (
            RiskAssessment.objects.filter(community_id=community_id, assessed_at__lte=at)
            .order_by("-assessed_at", "-id")
            .values_list("level", flat=True)
            .first()
        )
        facts = _reading_facts(community_id, at, replaying=replaying)
        plain, indicators = _indicator_settings({f.indicator_id for f in facts})
        result = scoring.assess(facts, plain, at=at, previous_level=previous, config=scoring_config())
        assessment = RiskAssessment.objects.create(
            community_id=community_id,
            assessed_at=at,
            score=result.score,
            raw_score=result.raw_score,
            level=result.level,
            report=report,
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


def report_score(*, report_id: int, at: datetime | None = None) -> RiskAssessment | None:
    """Score a report's community and mark the report ``scored``; safe to run again.

    Each attempt is counted first, in its own commit, so a report that kills its worker
    every time stops being retried after EWERS_SCORING_MAX_ATTEMPTS. Returns None when
    there is nothing to do (already scored, gone, or out of attempts).
    """
    claimed = FieldReport.objects.filter(
        pk=report_id, status=ReportStatus.RECEIVED, scoring_attempts__lt=settings.EWERS_SCORING_MAX_ATTEMPTS
    ).update(scoring_attempts=F("scoring_attempts") + 1)
    if not claimed:
        return None
    with transaction.atomic():
        # FOR NO KEY UPDATE: another scorer's new contributions take KEY SHARE locks on
        # this row at commit (foreign-key checks); a plain FOR UPDATE would deadlock with them.
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


def reports_score(report_ids: Sequence[int]) -> None:
    """Score a batch of received reports (one task per API batch or CSV import)."""
    for report_id in report_ids:
        report_score(report_id=report_id)


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
