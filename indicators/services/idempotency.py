"""Idempotency-Key for field reports (API.md): a request sent again with its key answers the
first result; with a different body it is refused; while the first is still being saved,
the second is told to come back.

Gateways resend when an answer is lost (a timeout, a cut), so the same key must make one
report, and a key reused for other content must not silently drop that content (the IETF
Idempotency-Key draft answers 422). Keys are per user.

Concurrency (PostgreSQL): the report's transaction (when it is the outermost one, as in
every request) holds a transaction-scoped advisory lock on (user, key) from before its
lookup to its commit. A second request with the key that finds the lock taken is "in
flight" (``IdempotencyKeyInFlight``, 409); one that comes after the commit finds the
report. The unique constraint on (user, key) stays the last word: two requests never
make two reports. SQLite (the embedded demo) writes one transaction at a time and has no
advisory locks; there the constraint alone decides.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.db import connection
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from ewers.exceptions import IdempotencyKeyInFlight, IdempotencyKeyReused
from ewers.models import Region, User
from indicators.models import FieldReport, Indicator

# The advisory locks of this module, apart from any other user of the two-key lock space.
_LOCK_NAMESPACE = 0x1DE0
_HMAC_SALT = "indicators.services.idempotency"


@dataclass(frozen=True)
class ReportRequest:
    """What a report request asks for, as the service receives it."""

    community: Region
    observed_at: datetime
    readings: Sequence[tuple[Indicator | int | str, float]]  # (indicator, value)
    source_reliability: str
    information_credibility: int
    narrative: str
    source_reference: str | None
    # A handling level the analyst raised ("" when the indicators decide it).
    handling_level: str = ""

    def canonical(self, indicator_ids: dict[str, int]) -> str:
        """One text for one request however it was spelt: indicators by id (a code and an
        id naming one indicator are the same), readings in any order, times in UTC."""
        readings = sorted(
            # An unknown code stays itself (it matches nothing saved); a value that is no
            # number, too (validation refuses it).
            [
                [_indicator_id(ref, indicator_ids), float(value) if isinstance(value, int | float) else repr(value)]
                for ref, value in self.readings
            ],
            key=json.dumps,
        )
        observed = self.observed_at.astimezone(UTC) if self.observed_at.tzinfo else self.observed_at
        parts: list[object] = [
            self.community.pk,
            observed.isoformat(),
            readings,
            self.source_reliability,
            self.information_credibility,
            self.narrative,
            self.source_reference or "",
        ]
        if self.handling_level:
            # Only when raised, so the requests stored before handling levels keep their text.
            parts.append(self.handling_level)
        return json.dumps(parts, sort_keys=True)


def _indicator_id(ref: Indicator | int | str, by_code: dict[str, int]) -> int | str:
    if isinstance(ref, Indicator):
        return ref.pk
    if isinstance(ref, str):
        return by_code.get(ref, f"?{ref}")
    return ref


def _indicator_ids_by_code(request: ReportRequest) -> dict[str, int]:
    codes = {ref for ref, _value in request.readings if isinstance(ref, str)}
    if not codes:
        return {}
    # Inactive ones too: a resend must match what was saved before an indicator retired.
    return dict(Indicator.objects.filter(code__in=codes).values_list("code", "pk"))


def request_fingerprint(request: ReportRequest, *, indicator_ids: dict[str, int]) -> str:
    """A keyed HMAC (SHA-256, hex) of the request: equal for equal requests, and no help to
    anyone guessing its protected text (the source reference) without the secret key.
    ``indicator_ids``: the ids of the indicators the request names by code."""
    return salted_hmac(_HMAC_SALT, request.canonical(indicator_ids), algorithm="sha256").hexdigest()


def _fingerprint_matches(stored: str, request: ReportRequest) -> bool:
    return idempotency_fingerprint_matches(stored, request, indicator_ids=_indicator_ids_by_code(request))


def idempotency_fingerprint_matches(stored: str, request: ReportRequest, *, indicator_ids: dict[str, int]) -> bool:
    """Whether ``request`` is the one whose fingerprint was ``stored``; ``indicator_ids``:
    the ids of (at least) the indicators it names by code, retired ones included."""
    # Any of the current and previous secret keys: a rotation does not turn resends into 422s.
    text = request.canonical(indicator_ids)
    return any(
        constant_time_compare(stored, salted_hmac(_HMAC_SALT, text, secret=secret, algorithm="sha256").hexdigest())
        for secret in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    )


def _lock_ids(user: User, key: str) -> tuple[int, int]:
    digest = hashlib.blake2b(f"{user.pk}\x00{key}".encode(), digest_size=4).digest()
    return _LOCK_NAMESPACE, int.from_bytes(digest, "big", signed=True)


def _lock(user: User, key: str) -> None:
    if connection.vendor != "postgresql" or connection.savepoint_ids:
        # Inside a caller's longer transaction (the demo seed writes thousands of keyed
        # reports in one) the locks would pile up to its end and fill PostgreSQL's lock
        # table: there the unique constraint alone decides, as on SQLite.
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", _lock_ids(user, key))
        row = cursor.fetchone()
    if not (row and row[0]):
        raise IdempotencyKeyInFlight(
            _("A request with this Idempotency-Key is still being processed; send it again in a moment.")
        )


def idempotency_locks_try(user: User, keys: Iterable[str]) -> set[str]:
    """Claim each of ``keys`` for the current transaction, as ``idempotency_claim`` claims
    one, in one query; returns those claimed (the others are held by another transaction:
    their requests are in flight). Call inside ``transaction.atomic()``."""
    keys = sorted(set(keys))
    if not keys or connection.vendor != "postgresql" or connection.savepoint_ids:
        return set(keys)  # as _lock: the unique constraint alone decides
    pairs = [_lock_ids(user, key) for key in keys]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_try_advisory_xact_lock(a, b) FROM unnest(%s::int[], %s::int[]) WITH ORDINALITY AS t(a, b, n) "
            "ORDER BY n",
            [[a for a, _b in pairs], [b for _a, b in pairs]],
        )
        claimed = [row[0] for row in cursor.fetchall()]
    return {key for key, ok in zip(keys, claimed, strict=True) if ok}


def idempotency_claim(*, user: User, key: str, request: ReportRequest) -> FieldReport | None:
    """Claim ``key`` for the current transaction and return the report an earlier request
    with it made, if any. Call inside ``transaction.atomic()``: the claim lasts to its end.

    Raises IdempotencyKeyInFlight while another transaction holds the key (the first
    request is still being saved), IdempotencyKeyReused when the earlier request with the
    key was a different one.
    """
    _lock(user, key)
    existing = FieldReport.objects.filter(created_by=user, idempotency_key=key).first()
    if existing is None:
        return None
    stored = existing.idempotency_fingerprint
    if stored is not None and not _fingerprint_matches(stored, request):
        raise IdempotencyKeyReused(
            _(
                "This Idempotency-Key was already used for a different request (report %(id)d); "
                "send a new key for a new report."
            )
            % {"id": existing.pk},
            first_id=existing.pk,
        )
    return existing
