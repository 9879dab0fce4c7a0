"""The precomputed risk the dashboard reads: each community's current risk (its latest
assessment) and its weekly rollup (the highest score of each week, Monday to Sunday in ``TIME_ZONE``), one row per
community (``CurrentRisk``).

``risks_record`` folds new assessments into those rows (one read, one upsert) in the
transaction that stores them (the scorer calls it with the communities' row locks held),
so the heatmap reads one row per community instead of aggregating every assessment on
each request. ``risk_recompute`` says what the rows must be from the
assessments themselves, and ``risk_rebuild`` writes that: after a bulk load that bypassed
the scorer (the bench's COPY), and in the tests that show the kept rows equal a recompute.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import DateField, Max, OuterRef, Subquery
from django.db.models.functions import Cast, TruncWeek
from django.utils import timezone

from ewers.choices import RegionLevel
from ewers.models import Region
from ewers.versions import RISK, touched
from indicators.models import KEPT_WEEKS, CurrentRisk, RiskAssessment


def week_of(moment: datetime) -> date:
    """The Monday of the week ``moment`` falls in, in ``TIME_ZONE`` (the heatmap's weeks:
    they start on Monday 00:00 local time)."""
    day = timezone.localtime(moment, timezone.get_default_timezone()).date()
    return day - timedelta(days=day.weekday())


def weekly_pruned(weekly: Mapping[str, float], latest: date) -> dict[str, float]:
    """The weeks of a rollup that are kept: from ``KEPT_WEEKS`` weeks before the week of
    the latest assessment on, in week order."""
    horizon = (latest - timedelta(weeks=KEPT_WEEKS)).isoformat()
    return {week: weekly[week] for week in sorted(weekly) if week >= horizon}


def risk_record(*, assessment: RiskAssessment) -> None:
    """Fold one new assessment into its community's current risk and weekly rollup
    (``risks_record`` for one)."""
    risks_record([assessment])


def risks_record(assessments: Sequence[RiskAssessment], *, current: Mapping[int, CurrentRisk] | None = None) -> None:
    """Fold new assessments into their communities' current risk and weekly rollups: one
    read of the rows and one upsert, however many communities (``current``: the rows of
    their communities, where any, if the caller read them with the locks held: no read).

    The current risk moves only to a later assessment (``assessed_at``, then id: the
    order the pages use, so an assessment made for a past moment, as the demo seed
    replays, does not displace a newer one); the week's value keeps the higher score.
    The caller holds the communities' row locks, so two scorers of one community never
    interleave here.
    """
    if not assessments:
        return
    rows = (
        dict(current)
        if current is not None
        else {
            row.community_id: row
            for row in CurrentRisk.objects.filter(community_id__in={a.community_id for a in assessments})
        }
    )
    for assessment in sorted(assessments, key=lambda a: (a.assessed_at, a.pk)):
        week = week_of(assessment.assessed_at).isoformat()
        row = rows.get(assessment.community_id)
        if row is None:
            rows[assessment.community_id] = CurrentRisk(
                community_id=assessment.community_id,
                assessment=assessment,
                assessed_at=assessment.assessed_at,
                score=assessment.score,
                level=assessment.level,
                weekly={week: assessment.score},
            )
            continue
        if (assessment.assessed_at, assessment.pk) > (row.assessed_at, row.assessment_id):
            row.assessment, row.assessed_at = assessment, assessment.assessed_at
            row.score, row.level = assessment.score, assessment.level
        weekly = dict(row.weekly)
        if week not in weekly or assessment.score > weekly[week]:
            weekly[week] = assessment.score
        row.weekly = weekly_pruned(weekly, week_of(row.assessed_at))
    touched(RISK)  # what the pages keep from the weekly rollups (learning.kept)
    changed = {a.community_id for a in assessments}
    CurrentRisk.objects.bulk_create(
        [rows[community_id] for community_id in sorted(changed)],
        update_conflicts=True,
        unique_fields=["community"],
        update_fields=["assessment", "assessed_at", "score", "level", "weekly"],
    )


def risk_recompute(*, community_ids: Iterable[int] | None = None) -> list[CurrentRisk]:
    """What the kept rows must be, computed from the assessments (unsaved rows, by
    community), for the given communities or all of them: set-based, two queries."""
    communities = Region.objects.filter(level=RegionLevel.COMMUNITY)
    assessments = RiskAssessment.objects.all()
    if community_ids is not None:
        ids = list(community_ids)
        communities = communities.filter(pk__in=ids)
        assessments = assessments.filter(community_id__in=ids)
    newest = RiskAssessment.objects.filter(community=OuterRef("pk")).order_by("-assessed_at", "-id").values("pk")[:1]
    latest = RiskAssessment.objects.filter(pk__in=communities.annotate(latest=Subquery(newest)).values("latest"))
    weekly: dict[int, dict[str, float]] = defaultdict(dict)
    by_week = (
        assessments.annotate(week=Cast(TruncWeek("assessed_at", tzinfo=timezone.get_default_timezone()), DateField()))
        .order_by()
        .values_list("community_id", "week")
        .annotate(top=Max("score"))
    )
    for community_id, day, top in by_week:
        weekly[community_id][day.isoformat()] = top
    return [
        CurrentRisk(
            community_id=c,
            assessment_id=pk,
            assessed_at=at,
            score=score,
            level=level,
            weekly=weekly_pruned(weekly[c], week_of(at)),
        )
        for pk, c, at, score, level in latest.order_by("community_id").values_list(
            "pk", "community_id", "assessed_at", "score", "level"
        )
    ]


def risk_rebuild(*, community_ids: Iterable[int] | None = None) -> int:
    """Replace the kept rows of the given communities (or all) by a recompute from their
    assessments; returns how many rows it wrote. Run it where no scorer writes those
    communities (after a bulk load): it takes no community lock."""
    ids = None if community_ids is None else list(community_ids)
    with transaction.atomic():
        rows = risk_recompute(community_ids=ids)
        old = CurrentRisk.objects.all() if ids is None else CurrentRisk.objects.filter(community_id__in=ids)
        old.delete()
        CurrentRisk.objects.bulk_create(rows, batch_size=2_000)
        touched(RISK)
    return len(rows)
