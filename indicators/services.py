"""Writes of the indicators app: the catalogue (versioned), field reports, and scoring.

Scoring glues the pure core (``indicators.scoring``) to the database: it reads one
community's recent readings, stores the assessment with its contributions, and lets
``alerts.services.alert_consider`` open or escalate the community's alert.
"""

from __future__ import annotations

import logging
import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from alerts.services import alert_consider
from ewers.choices import RegionLevel, Role
from ewers.models import Region, Theme, User
from indicators import scoring
from indicators.choices import (
    AssessmentCause,
    InformationCredibility,
    Polarity,
    ReportStatus,
    SourceReliability,
    Verification,
)
from indicators.models import Contribution, FieldReport, Indicator, IndicatorVersion, Reading, RiskAssessment

logger = logging.getLogger(__name__)

# Field devices' clocks drift: an observation a little ahead of the server is accepted.
CLOCK_SKEW_TOLERANCE = timedelta(minutes=5)
# Older observations are typing errors (a year 0024 for 2024), not field reports.
OBSERVATION_MAX_AGE = timedelta(days=10 * 365)
MAY_NOT_LOG_REPORTS = gettext_lazy("Only analysts and coordinators log field reports.")
MAX_READINGS_PER_REPORT = 50
IDEMPOTENCY_KEY_MAX_LENGTH = 128
NARRATIVE_MAX_LENGTH = 20_000
SOURCE_REFERENCE_MAX_LENGTH = 500  # the model field's max_length (not enforced by the database)

# The settings whose every change is recorded, so past scores stay explainable.
VERSIONED_FIELDS = ("weight", "threshold_moderate", "threshold_high", "threshold_critical", "half_life_days")
# What a reading's value means: fixed once an indicator has readings.
MEANING_FIELDS = ("category", "polarity", "scale_min", "scale_max")


def _version_record(indicator: Indicator, *, changed_by: User | None, reason: str) -> IndicatorVersion:
    return IndicatorVersion.objects.create(
        indicator=indicator,
        version=indicator.version,
        changed_by=changed_by,
        reason=reason,
        **{name: getattr(indicator, name) for name in VERSIONED_FIELDS},
    )


@transaction.atomic
def indicator_upsert(
    *,
    code: str,
    name: str,
    category: str,
    theme: Theme,
    polarity: str = Polarity.RISK,
    weight: float,
    scale_min: float = 0,
    scale_max: float = 4,
    threshold_moderate: float,
    threshold_high: float,
    threshold_critical: float,
    half_life_days: float,
    description: str = "",
    scale_labels: dict[str, str] | None = None,
    is_active: bool = True,
    changed_by: User | None = None,
    reason: str = "",
) -> tuple[Indicator, bool]:
    """Create or update an indicator; a change to a versioned setting records a new version."""
    indicator = Indicator.objects.select_for_update().filter(code=code).first()
    created = indicator is None
    if indicator is None:
        indicator = Indicator(code=code)
    before = {name: getattr(indicator, name) for name in VERSIONED_FIELDS}
    meaning_before = {name: getattr(indicator, name) for name in MEANING_FIELDS}
    indicator.name = name
    indicator.description = description
    indicator.category = category
    indicator.theme = theme
    indicator.polarity = polarity
    indicator.scale_min = scale_min
    indicator.scale_max = scale_max
    indicator.scale_labels = scale_labels or {}
    indicator.weight = weight
    indicator.threshold_moderate = threshold_moderate
    indicator.threshold_high = threshold_high
    indicator.threshold_critical = threshold_critical
    indicator.half_life_days = half_life_days
    indicator.is_active = is_active
    meaning_changed = any(meaning_before[name] != getattr(indicator, name) for name in MEANING_FIELDS)
    if not created and meaning_changed and indicator.readings.exists():
        # Stored values were read on the old scale and in the old sense: changing it
        # would silently re-interpret every past reading.
        raise ValidationError(
            _(
                "%(code)s already has readings: its category, polarity and scale cannot change. "
                "Create a new indicator and retire this one instead."
            )
            % {"code": indicator.code}
        )
    changed = created or any(before[name] != getattr(indicator, name) for name in VERSIONED_FIELDS)
    if changed and not created:
        indicator.version += 1
    indicator.full_clean()
    indicator.save()
    if changed:
        _version_record(indicator, changed_by=changed_by, reason=reason or ("created" if created else "updated"))
    if changed and not created:
        # New weights or thresholds re-score the communities whose recent readings use them.
        indicator_id, version = indicator.pk, indicator.version
        transaction.on_commit(lambda: _enqueue("indicator_rescore", indicator_id, version))
    return indicator, created


def indicator_update_settings(
    *, indicator: Indicator, changed_by: User | None, reason: str = "", **settings: float
) -> Indicator:
    """Change an indicator's weight, thresholds or half-life, recording a new version."""
    unknown = set(settings) - set(VERSIONED_FIELDS)
    if unknown:
        raise ValidationError(_("Not a versioned setting: %(names)s.") % {"names": ", ".join(sorted(unknown))})
    values = {name: getattr(indicator, name) for name in VERSIONED_FIELDS} | settings
    updated, _created = indicator_upsert(
        code=indicator.code,
        name=indicator.name,
        description=indicator.description,
        category=indicator.category,
        theme=indicator.theme,
        polarity=indicator.polarity,
        scale_min=indicator.scale_min,
        scale_max=indicator.scale_max,
        scale_labels=indicator.scale_labels,
        is_active=indicator.is_active,
        changed_by=changed_by,
        reason=reason,
        **values,
    )
    return updated


@dataclass(frozen=True)
class ReadingInput:
    """One reading as submitted: an indicator (object, id or code) and a value."""

    indicator: Indicator | int | str
    value: float


def _resolve_indicators(readings: Sequence[ReadingInput]) -> dict[int, Indicator]:
    refs = [r.indicator for r in readings]
    ids = {ref for ref in refs if isinstance(ref, int) and not isinstance(ref, bool)}
    codes = {ref for ref in refs if isinstance(ref, str)}
    found: dict[int | str, Indicator] = {}
    for by_id in Indicator.objects.filter(is_active=True).filter(pk__in=ids) if ids else []:
        found[by_id.pk] = by_id
    for by_code in Indicator.objects.filter(is_active=True).filter(code__in=codes) if codes else []:
        found[by_code.code] = by_code
    resolved: dict[int, Indicator] = {}
    for i, ref in enumerate(refs):
        indicator: Indicator | None = ref if isinstance(ref, Indicator) else found.get(ref)
        if indicator is None:
            raise ValidationError(
                {"readings": _("Reading %(n)d: unknown indicator %(ref)s.") % {"n": i + 1, "ref": ref}}
            )
        resolved[i] = indicator
    return resolved


def _idempotency_key_valid(key: str) -> bool:
    return len(key) <= IDEMPOTENCY_KEY_MAX_LENGTH and key.isprintable()


def field_report_validate(
    *,
    user: User,
    community: Region,
    observed_at: datetime,
    readings: Sequence[ReadingInput],
    source_reliability: str,
    information_credibility: int,
    narrative: str,
    source_reference: str | None,
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> dict[int, Indicator]:
    """Check a report before anything is written; raises ValidationError with field messages.

    A community outside the user's coverage is "unknown": its existence is not confirmed.
    """
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    if community.level != RegionLevel.COMMUNITY:
        errors.setdefault("community", []).append(_("Reports are logged for a community."))
    elif not Region.objects.visible_to(user).filter(pk=community.pk).exists():
        errors.setdefault("community", []).append(_("Unknown community."))
    if idempotency_key is not None and not _idempotency_key_valid(idempotency_key):
        errors.setdefault("idempotency_key", []).append(
            _("An idempotency key is at most %(n)d printable characters.") % {"n": IDEMPOTENCY_KEY_MAX_LENGTH}
        )
    if timezone.is_naive(observed_at):
        errors.setdefault("observed_at", []).append(_("Give the time with its time zone."))
    elif observed_at > now + CLOCK_SKEW_TOLERANCE:
        errors.setdefault("observed_at", []).append(_("The observation time is in the future."))
    elif observed_at.year < 1900 or observed_at < now - OBSERVATION_MAX_AGE:
        # (The year check first: a time near year 1 cannot even be compared in UTC.)
        errors.setdefault("observed_at", []).append(
            _("The observation time is more than %(years)d years ago.") % {"years": OBSERVATION_MAX_AGE.days // 365}
        )
    if source_reliability not in SourceReliability.values:
        errors.setdefault("source_reliability", []).append(_("Source reliability is a grade from A to F."))
    if information_credibility not in InformationCredibility.values:
        errors.setdefault("information_credibility", []).append(_("Information credibility is a grade from 1 to 6."))
    for name, text, limit in (
        ("narrative", narrative, NARRATIVE_MAX_LENGTH),
        ("source_reference", source_reference or "", SOURCE_REFERENCE_MAX_LENGTH),
    ):
        if "\x00" in text:
            errors.setdefault(name, []).append(_("The text contains a NUL character."))
        if len(text) > limit:
            errors.setdefault(name, []).append(_("At most %(n)d characters.") % {"n": limit})
    if not readings:
        errors.setdefault("readings", []).append(_("Give at least one indicator reading."))
    elif len(readings) > MAX_READINGS_PER_REPORT:
        errors.setdefault("readings", []).append(
            _("At most %(n)d readings per report.") % {"n": MAX_READINGS_PER_REPORT}
        )
    if errors:
        raise ValidationError(errors)
    indicators = _resolve_indicators(readings)
    seen: set[int] = set()
    for i, reading in enumerate(readings):
        indicator = indicators[i]
        value = reading.value
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            errors.setdefault("readings", []).append(_("Reading %(n)d: the value must be a number.") % {"n": i + 1})
        elif not indicator.scale_min <= value <= indicator.scale_max:
            errors.setdefault("readings", []).append(
                _("Reading %(n)d: %(code)s takes values from %(min)g to %(max)g, not %(value)g.")
                % {
                    "n": i + 1,
                    "code": indicator.code,
                    "min": indicator.scale_min,
                    "max": indicator.scale_max,
                    "value": value,
                }
            )
        if indicator.pk in seen:
            errors.setdefault("readings", []).append(
                _("Reading %(n)d: %(code)s is read twice in one report.") % {"n": i + 1, "code": indicator.code}
            )
        seen.add(indicator.pk)
    if errors:
        raise ValidationError(errors)
    return indicators


def field_report_may_create(*, user: User) -> bool:
    """Analysts and coordinators log reports, for their organisation; responders and
    administrators do not."""
    return user.role in (Role.ANALYST, Role.COORDINATOR) and user.organisation_id is not None


def field_report_create(
    *,
    user: User,
    community: Region,
    observed_at: datetime,
    readings: Sequence[ReadingInput],
    source_reliability: str,
    information_credibility: int,
    narrative: str = "",
    source_reference: str | None = None,
    idempotency_key: str | None = None,
    received_at: datetime | None = None,
    enqueue_scoring: bool = True,
) -> tuple[FieldReport, bool]:
    """Save a report with its readings in one transaction; returns (report, created).

    With an ``idempotency_key`` the same user's resend returns the first report
    instead of making a second one (gateways resend). Nothing is written when any
    part is invalid.
    """
    organisation_id = user.organisation_id
    if not field_report_may_create(user=user) or organisation_id is None:
        raise PermissionError(str(MAY_NOT_LOG_REPORTS))
    idempotency_key = idempotency_key or None
    # Only a well-formed key is looked up (PostgreSQL refuses NUL in a query); a malformed
    # one is reported by the validation below.
    if idempotency_key and _idempotency_key_valid(idempotency_key):
        existing = FieldReport.objects.filter(created_by=user, idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing, False
    indicators = field_report_validate(
        user=user,
        community=community,
        observed_at=observed_at,
        readings=readings,
        source_reliability=source_reliability,
        information_credibility=information_credibility,
        narrative=narrative,
        source_reference=source_reference,
        idempotency_key=idempotency_key,
    )
    report = FieldReport(
        community=community,
        observed_at=observed_at,
        received_at=received_at or timezone.now(),
        source_reliability=source_reliability,
        information_credibility=information_credibility,
        narrative=narrative,
        source_reference=source_reference or None,
        created_by=user,
        organisation_id=organisation_id,
        idempotency_key=idempotency_key,
    )
    try:
        with transaction.atomic():
            report.save()
            Reading.objects.bulk_create(
                Reading(report=report, indicator=indicators[i], value=float(r.value)) for i, r in enumerate(readings)
            )
    except IntegrityError:
        # Two resends raced past the lookup above: the first one's report stands.
        if idempotency_key:
            existing = FieldReport.objects.filter(created_by=user, idempotency_key=idempotency_key).first()
            if existing is not None:
                return existing, False
        raise
    if enqueue_scoring:
        report_id = report.pk
        transaction.on_commit(lambda: _enqueue("report_score", report_id))
    return report, True


# --- Verification ---------------------------------------------------------------------


def field_report_may_verify(*, report: FieldReport, user: User) -> bool:
    """Verifying or disputing is for the reporting organisation's analysts and the
    coordinators covering the community."""
    if user.role == Role.ANALYST:
        return user.organisation_id is not None and user.organisation_id == report.organisation_id
    if user.role == Role.COORDINATOR:
        return report.community_id in user.covered_community_ids
    return False


def field_report_verify(*, report: FieldReport, user: User, verification: str) -> FieldReport:
    """Mark a report verified, disputed or unverified again; the community is re-scored.

    Raises PermissionDenied for a user who may see the report but not judge it.
    """
    if verification not in Verification.values:
        raise ValidationError({"verification": [_("Verification is verified, disputed or unverified.")]})
    if not field_report_may_verify(report=report, user=user):
        raise PermissionDenied(_("Only the reporting organisation's analysts and the coordinators may do this."))
    with transaction.atomic():
        report = FieldReport.objects.select_for_update(no_key=True).get(pk=report.pk)
        if report.verification == verification:
            return report
        report.verification = verification
        report._history_user = user  # type: ignore[attr-defined]  # simple-history's hook
        report.save(update_fields=["verification"])
        community_id = report.community_id
        key = f"verification:{report.pk}:{uuid.uuid4().hex}"
        transaction.on_commit(lambda: _enqueue("community_rescore", community_id, key, AssessmentCause.VERIFICATION))
    return report


# --- Scoring --------------------------------------------------------------------------


def scoring_config() -> scoring.ScoringConfig:
    moderate, high, critical = settings.EWERS_LEVEL_BANDS
    return scoring.ScoringConfig(
        saturation=settings.EWERS_SCORE_SATURATION,
        bands=(moderate, high, critical),
        hysteresis=settings.EWERS_LEVEL_HYSTERESIS,
    )


def _enqueue(task_name: str, *args: object) -> bool:
    """Queue a scoring task; a broker that is down is logged, not raised.

    The work is not lost: a report stays ``received`` and ``reports_sweep`` queues it once
    the broker answers again. Called after commit, so the worker sees the rows.
    """
    from indicators import tasks

    try:
        getattr(tasks, task_name).delay(*args)
    except Exception:
        logger.exception("could not queue %s%r; the sweep will pick the work up", task_name, args)
        return False
    return True


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
    plain = {
        pk: scoring.IndicatorSettings(
            id=pk,
            code=i.code,
            category=i.category,
            polarity=i.polarity,
            weight=i.weight,
            scale_min=i.scale_min,
            scale_max=i.scale_max,
            threshold_critical=i.threshold_critical,
            half_life_days=i.half_life_days,
            version=i.version,
        )
        for pk, i in indicators.items()
    }
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
        alert_consider(
            assessment=assessment,
            previous_level=previous,
            contributions=result.contributions,
            triggered=bool(result.triggers),
            indicators=indicators,
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
            if not _enqueue("report_score", report_id):
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
