"""Reads of the training app, each starting from the model's ``visible_to``: 404 outside
the share, 403 (with the permission's message) inside it but not allowed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from ewers.choices import Role
from ewers.models import User
from ewers.permissions import permission_require
from indicators.forms import format_value, indicators_for_form, scale_label
from indicators.models import Indicator
from training.calibration import Agreement, Observation, agreements_by, scale_categories, scale_category
from training.models import TrainingAttempt, Vignette
from training.permissions import (
    MAY_NOT_EDIT,
    MAY_NOT_PRACTISE,
    MAY_NOT_READ_CALIBRATION,
    calibration_may_read,
    training_may_practise,
    vignette_may_edit,
)


def vignettes_visible(user: User) -> QuerySet[Vignette]:
    return Vignette.objects.visible_to(user).select_related("theme", "organisation")


def vignette_get(user: User, pk: int) -> Vignette:
    vignette = vignettes_visible(user).filter(pk=pk).first()
    if vignette is None:
        raise Http404
    return vignette


def vignette_get_to_edit(user: User, pk: int) -> Vignette:
    vignette = vignette_get(user, pk)
    permission_require(vignette_may_edit(user, vignette), MAY_NOT_EDIT)
    return vignette


def vignette_get_to_practise(user: User, pk: int) -> Vignette:
    vignette = vignette_get(user, pk)
    permission_require(training_may_practise(user) and vignette.is_active, MAY_NOT_PRACTISE)
    return vignette


def attempts_visible(user: User) -> QuerySet[TrainingAttempt]:
    return TrainingAttempt.objects.visible_to(user).select_related("vignette", "analyst")


def attempt_get(user: User, pk: int) -> TrainingAttempt:
    attempt = attempts_visible(user).filter(pk=pk).first()
    if attempt is None:
        raise Http404
    return attempt


# --- An attempt beside the expert's readings ----------------------------------------------


@dataclass(frozen=True)
class ComparisonRow:
    indicator: Indicator
    expert: str  # "" when the vignette does not read this indicator
    answer: str  # "" when the analyst left it "not observed"
    in_vignette: bool
    distance: int | None  # categories apart (not observed counts as the scale's lowest value)

    @property
    def agrees(self) -> bool:
        return self.distance == 0


def _shown(indicator: Indicator, value: float | None) -> str:
    if value is None:
        return ""
    meaning = scale_label(indicator, value)
    return f"{format_value(value)} — {meaning}" if meaning else format_value(value)


def attempt_comparison(attempt: TrainingAttempt) -> list[ComparisonRow]:
    """Each indicator the expert or the analyst read, in the form's order."""
    expert = {r.indicator_id: r.value for r in attempt.vignette.readings.all()}
    answers = {r.indicator_id: r.value for r in attempt.readings.all()}
    rows = []
    for indicator in _indicators(set(expert) | set(answers)):
        in_vignette = indicator.pk in expert
        distance = None
        if in_vignette:
            low, high = indicator.scale_min, indicator.scale_max
            given = answers.get(indicator.pk, low)
            distance = abs(scale_category(expert[indicator.pk], low, high) - scale_category(given, low, high))
        rows.append(
            ComparisonRow(
                indicator=indicator,
                expert=_shown(indicator, expert.get(indicator.pk)),
                answer=_shown(indicator, answers.get(indicator.pk)),
                in_vignette=in_vignette,
                distance=distance,
            )
        )
    return rows


def _indicators(ids: Iterable[int]) -> list[Indicator]:
    """The indicators ``ids`` in the order of the form (the active ones first)."""
    wanted = set(ids)
    ordered = [i for i in indicators_for_form() if i.pk in wanted]
    seen = {i.pk for i in ordered}
    return ordered + list(Indicator.objects.filter(pk__in=wanted - seen).order_by("code"))


# --- Calibration ------------------------------------------------------------------------------


def calibration_analysts(user: User) -> QuerySet[User]:
    """The analysts whose calibration ``user`` reads: an analyst themself; a coordinator the
    analysts of their organisation and any who practised while in it."""
    permission_require(calibration_may_read(user), MAY_NOT_READ_CALIBRATION)
    if user.role == Role.ANALYST:
        return User.objects.filter(pk=user.pk)
    practised = TrainingAttempt.objects.visible_to(user).values("analyst")
    mine = Q(role=Role.ANALYST, organisation=user.organisation_id, is_active=True)
    return User.objects.filter(mine | Q(pk__in=practised)).order_by("last_name", "first_name", "username")


def calibration_analyst_get(user: User, pk: int) -> User:
    analyst = calibration_analysts(user).filter(pk=pk).first()
    if analyst is None:
        raise Http404
    return analyst


def calibration_observations(attempts: QuerySet[TrainingAttempt]) -> list[Observation]:
    """One observation per attempt and indicator the vignette reads. An indicator the
    analyst left "not observed" counts as the lowest value of its scale: missing a sign
    the expert saw is a disagreement, not a gap."""
    observations = []
    attempts = attempts.prefetch_related("readings", "vignette__readings__indicator")
    for attempt in attempts:
        answers = {r.indicator_id: r.value for r in attempt.readings.all()}
        period = timezone.localtime(attempt.submitted_at).strftime("%Y-%m")
        for expert in attempt.vignette.readings.all():
            indicator = expert.indicator
            low, high = indicator.scale_min, indicator.scale_max
            observations.append(
                Observation(
                    analyst=attempt.analyst_id,
                    indicator=indicator.code,
                    period=period,
                    categories=scale_categories(low, high),
                    expert=scale_category(expert.value, low, high),
                    answer=scale_category(answers.get(indicator.pk, low), low, high),
                )
            )
    return observations


@dataclass
class IndicatorCalibration:
    indicator: Indicator
    overall: Agreement
    # One per month of the calibration's periods, in order; None: not read that month.
    cells: list[Agreement | None] = field(default_factory=list)


@dataclass
class Calibration:
    """Agreement per indicator, overall and per month, of one analyst or of a group."""

    periods: list[str]
    rows: list[IndicatorCalibration]
    attempts: int


def calibration_of(attempts: QuerySet[TrainingAttempt]) -> Calibration:
    observations = calibration_observations(attempts)
    overall = agreements_by(observations, lambda o: o.indicator)
    by_period = agreements_by(observations, lambda o: (o.indicator, o.period))
    periods = sorted({o.period for o in observations})
    ids = Indicator.objects.filter(code__in=overall).values_list("pk", flat=True)
    rows = [
        IndicatorCalibration(
            indicator=indicator,
            overall=overall[indicator.code],
            cells=[by_period.get((indicator.code, p)) for p in periods],
        )
        for indicator in _indicators(ids)
    ]
    return Calibration(periods=periods, rows=rows, attempts=attempts.count())


def analyst_calibration(user: User, analyst: User) -> Calibration:
    """``analyst``'s agreement with the vignettes, from the attempts ``user`` sees."""
    calibration_analyst_get(user, analyst.pk)
    return calibration_of(TrainingAttempt.objects.visible_to(user).filter(analyst=analyst.pk))


@dataclass
class AnalystSummary:
    analyst: User
    attempts: int
    # One per indicator of the pooled rows, in their order; None: never read by this analyst.
    cells: list[Agreement | None]


@dataclass
class OrganisationCalibration:
    """A coordinator's page: the pooled agreement per indicator (flagged for rewording when
    analysts read it inconsistently) and each analyst's agreement per indicator."""

    pooled: Calibration
    analysts: list[AnalystSummary]

    @property
    def flagged(self) -> list[IndicatorCalibration]:
        return [row for row in self.pooled.rows if row.overall.needs_rewording]


def organisation_calibration(user: User) -> OrganisationCalibration:
    attempts = TrainingAttempt.objects.visible_to(user)
    observations = calibration_observations(attempts)
    per_analyst = agreements_by(observations, lambda o: (o.analyst, o.indicator))
    counts: dict[int, int] = {}
    for analyst_id in attempts.values_list("analyst", flat=True):
        counts[analyst_id] = counts.get(analyst_id, 0) + 1
    pooled = calibration_of(attempts)
    codes = [row.indicator.code for row in pooled.rows]
    summaries = [
        AnalystSummary(
            analyst=analyst,
            attempts=counts.get(analyst.pk, 0),
            cells=[per_analyst.get((analyst.pk, code)) for code in codes],
        )
        for analyst in calibration_analysts(user)
    ]
    return OrganisationCalibration(pooled=pooled, analysts=summaries)
