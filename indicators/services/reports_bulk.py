"""Many field reports at once (an API batch, a CSV import): each checked by exactly the
rules of one report (``indicators.services.reports``), the valid ones written together.

The lookups are made once for all (the communities in the user's coverage, the
indicators, the idempotency keys already used, the possible duplicates), then the
reports, their history rows, their readings and their rollups are inserted in one
statement, and ONE scoring task is queued after the commit for all of them. Each
report stands or falls on its own, as when they were sent one by one: an invalid one is
answered with its messages and written nowhere, the others are saved.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ewers.choices import RegionLevel
from ewers.db.rows import ids_draw
from ewers.exceptions import IdempotencyKeyInFlight, IdempotencyKeyReused
from ewers.models import Region, User
from ewers.permissions import permission_require
from indicators.models import FieldReport, Indicator
from indicators.permissions import MAY_NOT_LOG_REPORTS, field_report_may_create
from indicators.selectors import community_seen_by
from indicators.services.idempotency import (
    ReportRequest,
    idempotency_fingerprint_matches,
    idempotency_locks_try,
    request_fingerprint,
)
from indicators.services.reports import (
    ReadingInput,
    _handling_level,
    _idempotency_key_valid,
    field_report_create,
    indicators_every,
    report_check,
)
from indicators.services.reports_write import NewReport, duplicates_mark, reports_insert
from indicators.services.scoring_wake import scoring_wake


@dataclass(frozen=True)
class ReportDraft:
    """One report as submitted, with ``field_report_create``'s arguments."""

    community: Region
    observed_at: datetime
    readings: Sequence[ReadingInput]
    source_reliability: str
    information_credibility: int
    narrative: str = ""
    source_reference: str | None = None
    idempotency_key: str | None = None
    handling_level: str | None = None

    def request(self) -> ReportRequest:
        return ReportRequest(
            community=self.community,
            observed_at=self.observed_at,
            readings=[(r.indicator, r.value) for r in self.readings],
            source_reliability=self.source_reliability,
            information_credibility=self.information_credibility,
            narrative=self.narrative,
            source_reference=self.source_reference,
            handling_level=self.handling_level or "",
        )


@dataclass
class DraftOutcome:
    """What became of one draft: ``report_id`` when saved (``created``) or sent before
    with its key; otherwise ``error``, a ValidationError (its messages by field),
    IdempotencyKeyReused or IdempotencyKeyInFlight."""

    report_id: int | None = None
    created: bool = False
    error: ValidationError | IdempotencyKeyReused | IdempotencyKeyInFlight | None = None


@dataclass
class _Lookups:
    catalogue: dict[int | str, Indicator]  # the active indicators, by id and by code
    codes: dict[str, int]  # every indicator's id by code (retired ones too: fingerprints)
    visible: set[int]  # the drafts' communities in the user's coverage


def _lookups(user: User, drafts: Sequence[ReportDraft]) -> _Lookups:
    catalogue: dict[int | str, Indicator] = {}
    codes: dict[str, int] = {}
    for indicator in indicators_every():
        codes[indicator.code] = indicator.pk
        if indicator.is_active:
            catalogue[indicator.pk] = indicator
            catalogue[indicator.code] = indicator
    # Each community once (a batch's drafts share the objects the view read).
    communities = {id(d.community): d.community for d in drafts}.values()
    unchecked = {c.pk for c in communities if not community_seen_by(user, c)}
    visible = {c.pk for c in communities} - unchecked
    if unchecked:
        visible |= set(Region.objects.visible_to(user).filter(pk__in=unchecked).values_list("pk", flat=True))
    return _Lookups(catalogue=catalogue, codes=codes, visible=visible)


def field_reports_validate(*, user: User, drafts: Sequence[ReportDraft]) -> list[ValidationError | None]:
    """Check each draft as ``field_report_validate`` would, with the lookups made once."""
    permission_require(field_report_may_create(user=user), MAY_NOT_LOG_REPORTS)
    lookups = _lookups(user, drafts)
    now = timezone.now()
    errors: list[ValidationError | None] = []
    for draft in drafts:
        try:
            _draft_check(draft, lookups, now)
        except ValidationError as exc:
            errors.append(exc)
        else:
            errors.append(None)
    return errors


def _draft_check(draft: ReportDraft, lookups: _Lookups, now: datetime) -> tuple[str, dict[int, Indicator]]:
    """The draft's handling level and its readings' indicators (by position) when it is
    valid; ValidationError otherwise."""
    indicators = report_check(
        community=draft.community,
        community_visible=draft.community.level == RegionLevel.COMMUNITY and draft.community.pk in lookups.visible,
        observed_at=draft.observed_at,
        readings=draft.readings,
        found=lookups.catalogue,
        source_reliability=draft.source_reliability,
        information_credibility=draft.information_credibility,
        narrative=draft.narrative,
        source_reference=draft.source_reference,
        idempotency_key=draft.idempotency_key,
        now=now,
    )
    return _handling_level(indicators, draft.handling_level), indicators


def field_reports_create(*, user: User, drafts: Sequence[ReportDraft]) -> list[DraftOutcome]:
    """Save the valid drafts in one transaction and queue one scoring task for them.

    Each draft is answered as ``field_report_create`` would answer it alone, in order: a
    key sent before with the same request answers its first report, with another
    request IdempotencyKeyReused, while another transaction holds it
    IdempotencyKeyInFlight; a draft sharing a key with an earlier draft of the same call
    is a resend of it. Raises PermissionDenied for a user who may not log reports.
    """
    permission_require(field_report_may_create(user=user), MAY_NOT_LOG_REPORTS)
    if connection.vendor != "postgresql":
        return _create_one_by_one(user, drafts)
    outermost = not connection.in_atomic_block
    now = timezone.now()
    with transaction.atomic():
        outcomes, reports = _drafts_sort(user, drafts, outermost=outermost, now=now)
        if reports:
            _reports_write(user, reports, now)
            transaction.on_commit(scoring_wake)
    return outcomes


def _create_one_by_one(user: User, drafts: Sequence[ReportDraft]) -> list[DraftOutcome]:
    """Other databases (SQLite, the embedded demo): each draft on its own, one task."""
    outcomes: list[DraftOutcome] = []
    created: list[int] = []
    for draft in drafts:
        try:
            report, is_new = field_report_create(
                user=user,
                community=draft.community,
                observed_at=draft.observed_at,
                readings=draft.readings,
                source_reliability=draft.source_reliability,
                information_credibility=draft.information_credibility,
                narrative=draft.narrative,
                source_reference=draft.source_reference,
                idempotency_key=draft.idempotency_key,
                handling_level=draft.handling_level,
                enqueue_scoring=False,
            )
        except (ValidationError, IdempotencyKeyReused, IdempotencyKeyInFlight) as exc:
            outcomes.append(DraftOutcome(error=exc))
            continue
        outcomes.append(DraftOutcome(report_id=report.pk, created=is_new))
        if is_new:
            created.append(report.pk)
    if created:
        transaction.on_commit(scoring_wake)
    return outcomes


def _drafts_sort(
    user: User, drafts: Sequence[ReportDraft], *, outermost: bool, now: datetime
) -> tuple[list[DraftOutcome], list[NewReport]]:
    """Each draft's outcome, and the reports (with readings) to write for the valid ones."""
    assert user.organisation_id is not None  # field_report_may_create: only members of an organisation
    lookups = _lookups(user, drafts)
    keys = {key for d in drafts if (key := d.idempotency_key or None) is not None and _idempotency_key_valid(key)}
    # Held to the commit, as for one report (only when this is the outermost transaction).
    locked = idempotency_locks_try(user, keys) if outermost else keys
    # No keys (an import without references, a batch without keys): no queryset to build.
    used: dict[str, tuple[int, str | None]] = {
        key: (pk, fingerprint)
        for pk, key, fingerprint in (
            FieldReport.objects.filter(created_by=user, idempotency_key__in=keys).values_list(
                "pk", "idempotency_key", "idempotency_fingerprint"
            )
            if keys
            else ()
        )
        if key is not None
    }
    # The new reports' ids drawn first (one query), ascending: the reports and their possible
    # duplicates among themselves are named before the insert; the ids of drafts not saved
    # stay unused (a sequence has gaps anyway).
    ids = ids_draw({FieldReport: len(drafts)})[FieldReport]
    outcomes: list[DraftOutcome] = []
    reports: list[NewReport] = []
    for pk, draft in zip(ids, drafts, strict=True):
        key = draft.idempotency_key or None
        keyed = key if key is not None and _idempotency_key_valid(key) else None
        request = draft.request() if keyed is not None else None
        if keyed is not None and keyed not in locked:
            outcomes.append(DraftOutcome(error=_in_flight()))
            continue
        if keyed is not None and keyed in used:
            assert request is not None
            first_id, stored = used[keyed]
            same = stored is None or idempotency_fingerprint_matches(stored, request, indicator_ids=lookups.codes)
            outcomes.append(DraftOutcome(report_id=first_id) if same else DraftOutcome(error=_reused(first_id)))
            continue
        try:
            handling_level, indicators = _draft_check(draft, lookups, now)
        except ValidationError as exc:
            outcomes.append(DraftOutcome(error=exc))
            continue
        fingerprint = request_fingerprint(request, indicator_ids=lookups.codes) if request is not None else None
        reports.append(
            NewReport(
                pk=pk,
                community_id=draft.community.pk,
                observed_at=draft.observed_at,
                source_reliability=draft.source_reliability,
                information_credibility=draft.information_credibility,
                narrative=draft.narrative,
                source_reference=draft.source_reference or None,
                handling_level=handling_level,
                idempotency_key=key,
                idempotency_fingerprint=fingerprint,
                readings=[(indicators[i].id, float(r.value)) for i, r in enumerate(draft.readings)],
            )
        )
        outcomes.append(DraftOutcome(report_id=pk, created=True))
        if keyed is not None:
            used[keyed] = (pk, fingerprint)  # a later draft with this key is a resend of this one
    return outcomes, reports


def _in_flight() -> IdempotencyKeyInFlight:
    return IdempotencyKeyInFlight(
        _("A request with this Idempotency-Key is still being processed; send it again in a moment.")
    )


def _reused(first_id: int) -> IdempotencyKeyReused:
    return IdempotencyKeyReused(
        _(
            "This Idempotency-Key was already used for a different request (report %(id)d); "
            "send a new key for a new report."
        )
        % {"id": first_id},
        first_id=first_id,
    )


def _reports_write(user: User, reports: list[NewReport], received_at: datetime) -> None:
    """The reports (with their possible duplicates named), their history rows, their
    readings and their rollups: one statement."""
    duplicates_mark(user, reports)
    reports_insert(user=user, reports=reports, received_at=received_at, rollups=True)
