"""Field reports: checked before anything is written, saved with their readings in one
transaction (idempotent per key: ``indicators.services.idempotency``), scored after
commit; verified or disputed by others."""

from __future__ import annotations

import logging
import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ewers.broker import enqueue
from ewers.choices import HandlingLevel, RegionLevel
from ewers.models import Region, User
from ewers.permissions import permission_require
from indicators import tasks
from indicators.choices import (
    AssessmentCause,
    InformationCredibility,
    SourceReliability,
    Verification,
)
from indicators.models import FieldReport, Indicator, Reading
from indicators.permissions import MAY_NOT_LOG_REPORTS, MAY_NOT_VERIFY, field_report_may_create, field_report_may_verify
from indicators.selectors import community_visible_to
from indicators.services.idempotency import ReportRequest, idempotency_claim, request_fingerprint
from indicators.services.reports_write import NewReport, digests_read, duplicates_mark, readings_digest, reports_insert
from indicators.services.rollups import rollups_add, rollups_change
from indicators.services.scoring_wake import scoring_wake

logger = logging.getLogger(__name__)


# Field devices' clocks drift: an observation a little ahead of the server is accepted.
CLOCK_SKEW_TOLERANCE = timedelta(minutes=5)


# Older observations are typing errors (a year 0024 for 2024), not field reports.
OBSERVATION_MAX_AGE = timedelta(days=10 * 365)


MAX_READINGS_PER_REPORT = 50


IDEMPOTENCY_KEY_MAX_LENGTH = 128


NARRATIVE_MAX_LENGTH = 20_000


SOURCE_REFERENCE_MAX_LENGTH = 500  # the model field's max_length (not enforced by the database)


# The grades and levels, read once (a Choices' ``values`` builds its list on each use).
_RELIABILITIES = frozenset(SourceReliability.values)
_CREDIBILITIES = frozenset(InformationCredibility.values)
_HANDLING_RANKS = {level: rank for rank, level in enumerate(HandlingLevel.values)}


@dataclass(frozen=True)
class ReadingInput:
    """One reading as submitted: an indicator (object, id or code) and a value."""

    indicator: Indicator | int | str
    value: float


def indicators_every() -> list[Indicator]:
    """Every indicator, retired ones too, by a plain statement (as ``indicators_lookup``):
    a batch or an import reads the catalogue once, and compiling the queryset cost more
    than running it."""
    table = connection.ops.quote_name(Indicator._meta.db_table)
    return list(Indicator.objects.raw(f"SELECT {_INDICATOR_COLUMNS} FROM {table}"))  # noqa: S608 - names from the model


def indicators_lookup(refs: Sequence[Indicator | int | str]) -> dict[int | str, Indicator]:
    """The active indicators that ``refs`` name by id or code, in one query (none when every
    ref is already an Indicator), keyed by id and by code."""
    ids = {ref for ref in refs if isinstance(ref, int) and not isinstance(ref, bool)}
    codes = {ref for ref in refs if isinstance(ref, str)}
    found: dict[int | str, Indicator] = {}
    if not ids and not codes:
        return found
    # A plain statement (``raw`` converts the columns as a queryset would): each report
    # sent through the API names its indicators so, and compiling the queryset cost more
    # than running it.
    quote = connection.ops.quote_name
    named = [
        f"{quote(column)} IN ({', '.join(['%s'] * len(values))})"
        for column, values in (("id", sorted(ids)), ("code", sorted(codes)))
        if values
    ]
    sql = (
        f"SELECT {_INDICATOR_COLUMNS} FROM {quote(Indicator._meta.db_table)} "  # noqa: S608 - names from the model
        f"WHERE {quote('is_active')} = %s AND ({' OR '.join(named)})"
    )
    for indicator in Indicator.objects.raw(sql, [True, *sorted(ids), *sorted(codes)]):
        found[indicator.pk] = indicator
        found[indicator.code] = indicator
    return found


_INDICATOR_COLUMNS = ", ".join(connection.ops.quote_name(f.column) for f in Indicator._meta.concrete_fields)


def _resolve_indicators(readings: Sequence[ReadingInput], found: dict[int | str, Indicator]) -> dict[int, Indicator]:
    resolved: dict[int, Indicator] = {}
    for i, reading in enumerate(readings):
        ref = reading.indicator
        # Keys by id are integers and by code strings: a code of digits names no id.
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
    community_visible = community.level == RegionLevel.COMMUNITY and community_visible_to(user, community)
    return report_check(
        community=community,
        community_visible=community_visible,
        observed_at=observed_at,
        readings=readings,
        found=indicators_lookup([r.indicator for r in readings]),
        source_reliability=source_reliability,
        information_credibility=information_credibility,
        narrative=narrative,
        source_reference=source_reference,
        idempotency_key=idempotency_key,
        now=now,
    )


def report_check(
    *,
    community: Region,
    community_visible: bool,
    observed_at: datetime,
    readings: Sequence[ReadingInput],
    found: dict[int | str, Indicator],
    source_reliability: str,
    information_credibility: int,
    narrative: str,
    source_reference: str | None,
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> dict[int, Indicator]:
    """``field_report_validate`` without a query: whether the community is in the user's
    coverage and the indicators the readings name (``indicators_lookup``) are given, so a
    batch looks them up once for all its reports."""
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    if community.level != RegionLevel.COMMUNITY:
        errors.setdefault("community", []).append(_("Reports are logged for a community."))
    elif not community_visible:
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
    if source_reliability not in _RELIABILITIES:
        errors.setdefault("source_reliability", []).append(_("Source reliability is a grade from A to F."))
    if information_credibility not in _CREDIBILITIES:
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
    indicators = _resolve_indicators(readings, found)
    _readings_check(readings, indicators)
    return indicators


def _readings_check(readings: Sequence[ReadingInput], indicators: dict[int, Indicator]) -> None:
    """Each value a number on its indicator's scale, each indicator read once; ValidationError otherwise."""
    errors: list[str] = []
    seen: set[int] = set()
    for i, reading in enumerate(readings):
        indicator = indicators[i]
        value = reading.value
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            errors.append(_("Reading %(n)d: the value must be a number.") % {"n": i + 1})
        elif not indicator.scale_min <= value <= indicator.scale_max:
            errors.append(
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
            errors.append(
                _("Reading %(n)d: %(code)s is read twice in one report.") % {"n": i + 1, "code": indicator.code}
            )
        seen.add(indicator.pk)
    if errors:
        raise ValidationError({"readings": errors})


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
    handling_level: str | None = None,
) -> tuple[FieldReport, bool]:
    """Save a report with its readings in one transaction; returns (report, created).

    With an ``idempotency_key`` the same user's resend of the same request returns the
    first report instead of making a second one (gateways resend); otherwise
    IdempotencyKeyReused or IdempotencyKeyInFlight (``indicators.services.idempotency``).
    Nothing is written when any part is invalid.
    """
    permission_require(field_report_may_create(user=user), MAY_NOT_LOG_REPORTS)
    organisation_id = user.organisation_id
    assert organisation_id is not None  # field_report_may_create: only members of an organisation
    idempotency_key = idempotency_key or None
    request = ReportRequest(
        community=community,
        observed_at=observed_at,
        readings=[(r.indicator, r.value) for r in readings],
        source_reliability=source_reliability,
        information_credibility=information_credibility,
        narrative=narrative,
        source_reference=source_reference,
        handling_level=handling_level or "",
    )
    # Only a well-formed key is looked up (PostgreSQL refuses NUL); validation reports others.
    keyed = idempotency_key if idempotency_key and _idempotency_key_valid(idempotency_key) else None
    with transaction.atomic():
        # Held to the commit: a resend arriving meanwhile is told the first is in flight.
        existing = idempotency_claim(user=user, key=keyed, request=request) if keyed else None
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
            handling_level=_handling_level(indicators, handling_level),
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
        if User.organisation.is_cached(user) and user.organisation is not None:
            report.organisation = user.organisation  # for the answer, which names it
        try:
            _report_insert(report, readings, indicators, keyed_request=request if keyed else None, user=user)
        except IntegrityError:
            # Two resends raced past the lookup (SQLite has no advisory lock): the first
            # one's report stands, if this is the same request.
            existing = idempotency_claim(user=user, key=keyed, request=request) if keyed else None
            if existing is not None:
                return existing, False
            raise
        if enqueue_scoring:
            transaction.on_commit(scoring_wake)
    return report, True


def _handling_level(indicators: dict[int, Indicator], asked: str | None) -> str:
    """The highest of the report's indicators' levels: the analyst may raise it, never lower it."""
    if asked is not None and asked not in _HANDLING_RANKS:
        raise ValidationError({"handling_level": [_("Unknown handling level.")]})
    # As HandlingLevel.highest: the most restrictive, partners when there are none.
    levels = [i.handling_level for i in indicators.values()] + ([asked] if asked else [])
    return max(levels, key=_HANDLING_RANKS.__getitem__, default=HandlingLevel.PARTNERS)


def _report_insert(
    report: FieldReport,
    readings: Sequence[ReadingInput],
    indicators: dict[int, Indicator],
    *,
    keyed_request: ReportRequest | None,
    user: User,
) -> None:
    """The report and its readings, all or nothing (a savepoint: a clash of keys leaves the
    caller's transaction usable); a keyed report keeps its request's fingerprint."""
    if keyed_request is not None:
        by_code = {r.indicator: indicators[i].pk for i, r in enumerate(readings) if isinstance(r.indicator, str)}
        report.idempotency_fingerprint = request_fingerprint(keyed_request, indicator_ids=by_code)
    written = [Reading(report=report, indicator=indicators[i], value=float(r.value)) for i, r in enumerate(readings)]
    if connection.vendor == "postgresql":
        _report_write(report, written, user=user, savepoint=keyed_request is not None)
        rollups_add([(report, written)])
        report_answer_prepare(report, written)
        return
    report.readings_digest = readings_digest((indicators[i].pk, float(r.value)) for i, r in enumerate(readings))
    report.possible_duplicate_of_id = _possible_duplicate(report, report.readings_digest)
    # A savepoint only where a clash of keys can happen: without a key there is none.
    with transaction.atomic(savepoint=keyed_request is not None):
        report.save()
        Reading.objects.bulk_create(written)
        rollups_add([(report, written)])
    report_answer_prepare(report, written)


def _report_write(report: FieldReport, readings: list[Reading], *, user: User, savepoint: bool) -> None:
    """PostgreSQL: the report's possible duplicate found, then the report, its history row
    and its readings written in one statement (``reports_write``), as for a batch."""
    new = NewReport(
        pk=None,
        community_id=report.community_id,
        observed_at=report.observed_at,
        source_reliability=report.source_reliability,
        information_credibility=report.information_credibility,
        narrative=report.narrative,
        source_reference=report.source_reference,
        handling_level=report.handling_level,
        idempotency_key=report.idempotency_key,
        idempotency_fingerprint=report.idempotency_fingerprint,
        readings=[(reading.indicator_id, reading.value) for reading in readings],
    )
    duplicates_mark(user, [new])
    with transaction.atomic(savepoint=savepoint):
        [report.pk] = reports_insert(user=user, reports=[new], received_at=report.received_at)
    report.possible_duplicate_of_id = new.possible_duplicate_of_id
    report._state.adding = False
    report._state.db = connection.alias


def report_answer_prepare(report: FieldReport, readings: Sequence[Reading]) -> None:
    """Give a report just written what its answer shows (its readings in their usual order,
    by indicator code, with their indicators), so it is answered without reading it back."""
    # As prefetch_related leaves it: a queryset holding the rows (other queries still run).
    prefetched = report.readings.all()
    prefetched._result_cache = sorted(readings, key=lambda reading: reading.indicator.code)
    prefetched._prefetch_done = True  # type: ignore[attr-defined]
    report._prefetched_objects_cache = {"readings": prefetched}  # type: ignore[attr-defined]


def _possible_duplicate(report: FieldReport, digest: int) -> int | None:
    """The latest report by the same author for the same community with the same readings
    (the same ``readings_digest``), observed within EWERS_DUPLICATE_WINDOW_MINUTES of this
    one (whatever channel sent either: form, API, CSV, SMS), or None. One query: the
    digests of the 20 latest such reports (a second for any written before the digest was
    kept, ``digests_read``), as ``duplicates_mark`` compares a batch's."""
    window = timedelta(minutes=settings.EWERS_DUPLICATE_WINDOW_MINUTES)
    if not window:
        return None
    candidates = list(
        FieldReport.objects.filter(
            created_by=report.created_by_id,
            community=report.community_id,
            observed_at__gte=report.observed_at - window,
            observed_at__lte=report.observed_at + window,
        )
        .order_by("-observed_at", "-id")
        .values_list("pk", "readings_digest")[:20]
    )
    missing = digests_read([pk for pk, stored in candidates if stored is None])
    return next((pk for pk, stored in candidates if (missing[pk] if stored is None else stored) == digest), None)


def field_report_verify(*, report: FieldReport, user: User, verification: str) -> FieldReport:
    """Mark a report verified, disputed or unverified again; the community is re-scored.

    Raises PermissionDenied for a user who may see the report but not judge it.
    """
    if verification not in Verification.values:
        raise ValidationError({"verification": [_("Verification is verified, disputed or unverified.")]})
    permission_require(field_report_may_verify(report=report, user=user), MAY_NOT_VERIFY)
    with transaction.atomic():
        report = FieldReport.objects.select_for_update(no_key=True).get(pk=report.pk)
        if report.verification == verification:
            return report
        report.verification = verification
        report._history_user = user  # type: ignore[attr-defined]  # simple-history's hook
        with rollups_change([report.pk]):
            report.save(update_fields=["verification"])
        community_id = report.community_id
        key = f"verification:{report.pk}:{uuid.uuid4().hex}"
        transaction.on_commit(lambda: enqueue(tasks.community_rescore, community_id, key, AssessmentCause.VERIFICATION))
    return report
