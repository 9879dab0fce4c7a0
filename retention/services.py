"""Retention: forget on time what the policy no longer keeps (docs/operations.md, "Retention").

``retention_due`` selects, ``retention_purge`` removes (one transaction, each kind at most
the policy's batch, oldest first) and records a RetentionRun, audited by count only. Never
anything an open alert still needs: a report whose community has an open alert is kept
whole (the removing statements check that again), and so is one not scored yet; a
notification of an open alert is kept. Reports are changed with UPDATE, which writes no
history row (and the history tables never held the narrative or the source reference).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from alerts.choices import AlertState
from alerts.models import Alert, Notification
from audit.choices import AuditAction
from audit.services import audit_purge_refused, audit_record, audit_refused_due
from ewers.models import Region
from indicators.models import FieldReport
from retention.models import RetentionRun
from retention.policy import KINDS, RetentionPolicy


def retention_policy() -> RetentionPolicy:
    """The policy in force (settings EWERS_RETAIN_*_DAYS and EWERS_RETENTION_BATCH)."""
    return RetentionPolicy(
        narrative_days=settings.EWERS_RETAIN_NARRATIVE_DAYS,
        source_reference_days=settings.EWERS_RETAIN_SOURCE_REFERENCE_DAYS,
        notification_days=settings.EWERS_RETAIN_NOTIFICATION_DAYS,
        refused_access_days=settings.EWERS_RETAIN_REFUSED_ACCESS_DAYS,
        batch=settings.EWERS_RETENTION_BATCH,
    )


@dataclass
class RetentionDue:
    """The ids of what would go, per kind (retention.policy.KINDS); and of the reports
    without a narrative whose request fingerprint goes with the narratives (not counted)."""

    ids: dict[str, list[int]] = field(default_factory=lambda: {kind: [] for kind in KINDS})
    fingerprints: list[int] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {kind: len(self.ids[kind]) for kind in KINDS}


def counts_detail(counts: dict[str, int]) -> str:
    """The audit row's detail: "narratives 3, source_references 2, ..." (never content)."""
    return ", ".join(f"{kind} {counts[kind]}" for kind in KINDS)


def _open_communities() -> QuerySet[Alert, int]:
    return Alert.objects.filter(state=AlertState.OPEN).values_list("community", flat=True)


def reports_counted_from(cutoff: datetime) -> QuerySet[FieldReport]:
    """Reports counted from at or before ``cutoff``, oldest first: from the close of the
    last alert of their community closed since they came in, else from their scoring
    (retention.policy.report_counted_from); those not scored, or whose community has an
    open alert, left out (kept whole)."""
    last_close = (
        Alert.objects.filter(community=OuterRef("community"), closed_at__gte=OuterRef("received_at"))
        .order_by("-closed_at")
        .values("closed_at")[:1]
    )
    return (
        FieldReport.objects.filter(scored_at__isnull=False)
        .exclude(community__in=_open_communities())
        .annotate(counted_from=Coalesce(Subquery(last_close), F("scored_at")))
        .filter(counted_from__lte=cutoff)
        .order_by("counted_from", "id")
    )


def retention_due(*, now: datetime, policy: RetentionPolicy) -> RetentionDue:
    """What the policy no longer keeps at ``now``, each kind at most ``policy.batch``, oldest first."""
    due = RetentionDue()
    if (cutoff := policy.cutoff("narratives", now)) is not None:
        held = reports_counted_from(cutoff).filter(narrative_purged_at__isnull=True).exclude(narrative="")
        due.ids["narratives"] = list(held.values_list("id", flat=True)[: policy.batch])
        bare = reports_counted_from(cutoff).filter(narrative="", idempotency_fingerprint__isnull=False)
        due.fingerprints = list(bare.values_list("id", flat=True)[: policy.batch])
    if (cutoff := policy.cutoff("source_references", now)) is not None:
        held = reports_counted_from(cutoff).filter(source_reference__isnull=False)
        due.ids["source_references"] = list(held.values_list("id", flat=True)[: policy.batch])
    if (cutoff := policy.cutoff("notifications", now)) is not None:
        notifications = (
            Notification.objects.filter(created_at__lte=cutoff)
            .exclude(alert__state=AlertState.OPEN)
            .order_by("created_at", "id")
        )
        due.ids["notifications"] = list(notifications.values_list("id", flat=True)[: policy.batch])
    if (cutoff := policy.cutoff("refused_access", now)) is not None:
        due.ids["refused_access"] = audit_refused_due(cutoff=cutoff, batch=policy.batch)
    return due


@transaction.atomic
def retention_purge(*, now: datetime | None = None, policy: RetentionPolicy | None = None) -> RetentionRun:
    """Remove what the policy no longer keeps at ``now`` (at most ``policy.batch`` of each
    kind, oldest first), record the run, and audit it by count when anything went."""
    now = now or timezone.now()
    policy = policy or retention_policy()
    due = retention_due(now=now, policy=policy)
    counts = dict.fromkeys(KINDS, 0)
    if report_ids := {*due.ids["narratives"], *due.ids["source_references"], *due.fingerprints}:
        # Hold the reports' communities as scoring does (indicators.services.scoring), so an
        # alert cannot open on one between the check for open alerts and the removal: it
        # is either committed, and the statements below see it and keep the report, or waits.
        communities = FieldReport.objects.filter(pk__in=report_ids).values("community")
        locked = Region.objects.select_for_update(no_key=True).filter(pk__in=communities).order_by("pk")
        list(locked.values_list("pk", flat=True))
    # The narrative emptied, ``narrative_purged_at`` set, the request's keyed fingerprint
    # dropped (and that of a report that had no narrative, uncounted).
    if ids := due.ids["narratives"]:
        reports = FieldReport.objects.filter(pk__in=ids).exclude(community__in=_open_communities())
        counts["narratives"] = reports.update(narrative="", idempotency_fingerprint=None, narrative_purged_at=now)
    if ids := due.fingerprints:
        reports = FieldReport.objects.filter(pk__in=ids).exclude(community__in=_open_communities())
        reports.update(idempotency_fingerprint=None)
    if ids := due.ids["source_references"]:
        reports = FieldReport.objects.filter(pk__in=ids).exclude(community__in=_open_communities())
        counts["source_references"] = reports.update(source_reference=None)
    if ids := due.ids["notifications"]:
        counts["notifications"], _ = (
            Notification.objects.filter(pk__in=ids).exclude(alert__state=AlertState.OPEN).delete()
        )
    if due.ids["refused_access"] and (cutoff := policy.cutoff("refused_access", now)) is not None:
        counts["refused_access"] = audit_purge_refused(cutoff=cutoff, batch=policy.batch, now=now)
    run = RetentionRun.objects.create(started_at=now, finished_at=timezone.now(), policy=policy.as_dict(), **counts)
    if any(counts.values()):
        audit_record(
            action=AuditAction.RETENTION_PURGE,
            object_type="retention_run",
            object_id=run.pk,
            detail=counts_detail(counts),
        )
    return run
