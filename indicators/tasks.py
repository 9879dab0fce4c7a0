"""Scoring tasks: thin wrappers that take ids and call one service.

Every task is idempotent (the services claim their work and key their results), so
``acks_late`` with ``reject_on_worker_lost`` re-runs work a killed worker left
unfinished without applying it twice, and every task retries through a database outage
of a few minutes (``ewers.broker.outage_retry``).
"""

from __future__ import annotations

from celery import Task, shared_task
from django.utils import timezone

from ewers.broker import outage_retry
from indicators import services
from indicators.choices import AssessmentCause

RETRY = outage_retry()


# The scoring tasks pass their own id as the scorer's claim (``scoring_claims``): the same
# message, coming back after its worker died, takes its reports again at once.


@shared_task(bind=True, **RETRY)
def reports_waiting_score(self: Task) -> int:
    """Score the reports waiting, in micro-batches (queued by ``scoring_wake``)."""
    return services.reports_waiting_score(claim_id=self.request.id)


@shared_task(bind=True, **RETRY)
def report_score(self: Task, report_id: int) -> None:
    """Score the community of a report (queued by the sweep)."""
    services.report_score(report_id=report_id, claim_id=self.request.id)


@shared_task(bind=True, **RETRY)
def reports_score(self: Task, report_ids: list[int]) -> None:
    """Score a batch of received reports."""
    services.reports_score(report_ids=report_ids, claim_id=self.request.id)


@shared_task(**RETRY)
def community_rescore(community_id: int, key: str, cause: str) -> None:
    """Re-assess a community after a verification or a settings change."""
    services.community_assess(community_id=community_id, key=key, cause=cause)


@shared_task(**RETRY)
def indicator_rescore(indicator_id: int, version: int) -> int:
    """Queue a re-assessment of every community whose recent readings use the indicator."""
    communities = services.communities_to_rescore(indicator_id=indicator_id)
    for community_id in communities:
        community_rescore.delay(
            community_id, f"indicator:{indicator_id}:v{version}:{community_id}", AssessmentCause.INDICATOR
        )
    return len(communities)


@shared_task(**RETRY)
def reports_sweep() -> int:
    """Queue reports left unscored (accepted while the broker was down)."""
    return services.reports_sweep()


@shared_task(**RETRY)
def communities_reassess() -> int:
    """Daily: re-assess communities with recent readings, so fading signals show in trends."""
    day = timezone.now().date().isoformat()
    communities = services.communities_to_rescore()
    for community_id in communities:
        community_rescore.delay(community_id, f"decay:{day}:{community_id}", AssessmentCause.DECAY)
    return len(communities)
