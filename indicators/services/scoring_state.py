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

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import QuerySet
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

    def trigger_ids(self) -> list[int]:
        return [pk for pk, i in self.plain.items() if i.category == Category.TRIGGER and i.polarity == Polarity.RISK]


def facts(readings: QuerySet[Reading]) -> list[scoring.ReadingFact]:
    return [scoring.ReadingFact(*row) for row in readings.values_list(*FACT_FIELDS)]


def _folded(community_id: int) -> QuerySet[Reading]:
    return Reading.objects.filter(report__community_id=community_id).exclude(report__status=ReportStatus.RECEIVED)


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


def _state_rebuilt(community_id: int, at: datetime, catalogue: Catalogue) -> scoring_state.CommunityState:
    window = settings.EWERS_SCORING_WINDOW_DAYS
    state = scoring_state.CommunityState(ref=at.timestamp(), window_days=window)
    readings = _folded(community_id).filter(report__observed_at__gte=at - timedelta(days=window))
    scoring_state.fold(state, facts(readings), catalogue.plain)
    return state


def _state_carried(
    community_id: int, at: datetime, catalogue: Catalogue, *, rebuild: bool
) -> tuple[scoring_state.CommunityState, bool]:
    """The community's state moved to ``at``, and whether a row exists to update."""
    row = ScoringState.objects.filter(community_id=community_id).first()
    if row is None or rebuild or row.window_days != settings.EWERS_SCORING_WINDOW_DAYS:
        return _state_rebuilt(community_id, at, catalogue), row is not None
    state = scoring_state.CommunityState.from_json(row.ref_at, row.window_days, row.sums)
    window = timedelta(days=row.window_days)
    expired: list[scoring.ReadingFact] = []
    if state.indicators and at > row.ref_at:
        expired = facts(
            _folded(community_id).filter(
                report__observed_at__gte=row.ref_at - window, report__observed_at__lt=at - window
            )
        )
    if not scoring_state.carry(state, at, expired, catalogue.plain):
        return _state_rebuilt(community_id, at, catalogue), True
    return state, True


def state_assess(
    *,
    community_id: int,
    at: datetime,
    fold_report_ids: Collection[int],
    previous_level: str | None,
    catalogue: Catalogue,
    rebuild: bool = False,
) -> scoring.Assessment:
    """Assess the community at ``at`` from its carried state, folding in the readings of
    ``fold_report_ids`` (reports being marked scored in this transaction), and store the
    state. The caller holds the community's row lock."""
    state, exists = _state_carried(community_id, at, catalogue, rebuild=rebuild)
    if fold_report_ids:
        scoring_state.fold(state, facts(Reading.objects.filter(report_id__in=list(fold_report_ids))), catalogue.plain)
    window = timedelta(days=settings.EWERS_SCORING_WINDOW_DAYS)
    extra = facts(
        Reading.objects.filter(
            report__community_id=community_id,
            report__status=ReportStatus.RECEIVED,
            report__observed_at__gte=at - window,
            report__observed_at__lte=at + CLOCK_SKEW_TOLERANCE,
        ).exclude(report_id__in=list(fold_report_ids))
    )
    triggers = _trigger_facts(community_id, at, catalogue)
    result = scoring_state.assess(
        state,
        extra,
        triggers,
        catalogue.plain,
        skew_seconds=CLOCK_SKEW_TOLERANCE.total_seconds(),
        previous_level=previous_level,
        config=scoring_config(),
    )
    row = ScoringState(community_id=community_id, ref_at=at, window_days=state.window_days, sums=state.as_json())
    if exists:
        row.save(force_update=True)
    else:
        row.save(force_insert=True)
    return result


def _trigger_facts(community_id: int, at: datetime, catalogue: Catalogue) -> list[scoring.ReadingFact]:
    """The readings of trigger indicators young enough to trigger (any report status)."""
    ids = catalogue.trigger_ids()
    if not ids:
        return []
    longest = max(catalogue.plain[pk].half_life_days for pk in ids)
    window = settings.EWERS_SCORING_WINDOW_DAYS
    since = at - timedelta(days=min(window, max(longest, 0.0)))
    return facts(
        Reading.objects.filter(
            report__community_id=community_id,
            indicator_id__in=ids,
            report__observed_at__gte=since,
            report__observed_at__lte=at + CLOCK_SKEW_TOLERANCE,
        )
    )
