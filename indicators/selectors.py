"""Reads of the indicators app: reports, communities' risk and its explanation.

Every function that takes a user starts from ``visible_to(user)``; the ``*_get``
helpers answer 404 for anything outside the user's share, so its existence does not
leak (PRODUCT.md, "Who sees what").
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Count, F, ManyToManyField, Prefetch, QuerySet
from django.db.models.base import DEFERRED
from django.http import Http404, HttpRequest
from django.utils.translation import gettext_lazy as _

from audit.choices import AuditAction
from audit.services import audit_record
from ewers.choices import RegionLevel
from ewers.lookups import get_by_code_or_id, parse_id
from ewers.models import Organisation, Region, User
from indicators.models import FieldReport, Indicator, Reading, RiskAssessment


def indicators_active() -> QuerySet[Indicator]:
    """The catalogue, the same for everyone: the active indicators by code."""
    return Indicator.objects.filter(is_active=True).select_related("theme").order_by("code")


def indicator_get(ref: str | int) -> Indicator:
    """An active indicator by code or id (a code wins); 404 otherwise."""
    indicator = get_by_code_or_id(indicators_active(), ref)
    if indicator is None:
        raise Http404(_("No such indicator."))
    return indicator


def reports_visible(user: User) -> QuerySet[FieldReport]:
    """The reports the user may see, with what a list row shows, in one query."""
    return (
        FieldReport.objects.visible_to(user)
        .select_related("community", "created_by", "organisation")
        .annotate(reading_count=Count("readings"))
    )


def reports_recent(user: User, *, limit: int = 10) -> QuerySet[FieldReport]:
    """The newest reports the user may see, with what a list row shows, in one query."""
    return reports_visible(user).order_by("-received_at", "-id")[:limit]


def report_get(user: User, pk: int | str, *, with_readings: bool = True) -> FieldReport:
    """One report the user may see (with its readings, unless told not to); 404 otherwise."""
    reports = FieldReport.objects.visible_to(user).select_related(
        "community__district", "community__region", "created_by", "organisation"
    )
    if with_readings:
        reports = reports.prefetch_related(Prefetch("readings", queryset=Reading.objects.select_related("indicator")))
    try:
        return reports.get(pk=int(pk))
    except (FieldReport.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404(_("No such report.")) from None


def report_source_reference(user: User, report: FieldReport, request: HttpRequest | None = None) -> str | None:
    """The report's protected source reference, or None when the user may not see it (or
    there is none). Every read of one is written to the audit trail (the value is not)."""
    return reports_source_references(user, [report], request=request).get(report.pk)


def reports_source_references(
    user: User, reports: Iterable[FieldReport], request: HttpRequest | None = None
) -> dict[int, str]:
    """The protected source references of ``reports`` that ``user`` may see, by report id.

    The reads are written to the audit trail as ONE row naming every report read (one
    report: its id; a list: their ids), never the values: a long list cannot multiply
    the trail, and the trail still says who read which source.
    """
    values = {
        report.pk: str(report.source_reference)
        for report in reports
        if report.source_reference and report.source_reference_visible_to(user)
    }
    if values:
        ids = sorted(values)
        audit_record(
            action=AuditAction.PROTECTED_READ,
            actor=user,
            object_type="report",
            object_id=ids[0] if len(ids) == 1 else "",
            object_ids=ids if len(ids) > 1 else (),
            detail="source_reference" if len(ids) == 1 else f"source_reference of {len(ids)} reports",
            request=request,
        )
    return values


def communities_visible(user: User) -> QuerySet[Region]:
    """Communities in the user's coverage with their current risk, in one query.

    ``risk_score``, ``risk_level`` and ``risk_assessed_at`` come from each community's
    latest assessment (None before its first one), as the scorer keeps it in
    ``CurrentRisk`` (``indicators.services.risk``): one join, not a look-up among the
    assessments per community.
    """
    return (
        Region.objects.visible_to(user)
        .communities()
        .select_related("district", "region", "country")
        .annotate(
            risk_score=F("current_risk__score"),
            risk_level=F("current_risk__level"),
            risk_assessed_at=F("current_risk__assessed_at"),
        )
        .order_by("code")
    )


def communities_at_risk(user: User) -> QuerySet[Region]:
    """Communities in the user's coverage by current risk, the highest first (those never
    assessed last)."""
    return communities_visible(user).order_by(F("risk_score").desc(nulls_last=True), "code")


# A place's boundary and outline (GeoJSON, often large): what reads a community to name it
# or file a report there leaves them unread (a request decoded them three times a report).
_SHAPES = (
    "boundary",
    "outline",
    "district__boundary",
    "district__outline",
    "region__boundary",
    "region__outline",
)


def community_get(user: User, ref: str | int, *, with_risk: bool = False) -> Region:
    """A community in the user's coverage, by code or id (a code wins); 404 otherwise.

    ``with_risk`` adds the annotations of ``communities_visible`` (current score and level).
    """
    if with_risk:
        community = get_by_code_or_id(communities_visible(user).defer(*_SHAPES), ref)
    else:
        community = _community_named(user, ref)
    if community is None:
        raise Http404(_("No such community."))
    _visibility_note(user, community)
    return community


def _community_named(user: User, ref: str | int) -> Region | None:
    """``get_by_code_or_id`` over ``Region.objects.visible_to(user).communities()``, the
    rule applied to the few communities the reference names (``Region.is_visible_to``)
    rather than in the query: one plain statement (a report sent through the API looks its
    community up so, on every request). On PostgreSQL the same statement reads the user's
    coverage (``User.coverage_region_ids``), which the rule needs: one round trip."""
    text = str(ref).strip()
    if not text or not text.isprintable():
        return None  # as code_or_id: nothing can be named so
    rows = [community for community in _communities_named(user, [text]) if community.is_visible_to(user)][:2]
    for row in rows:
        if row.code == text:
            return row
    return rows[0] if rows else None


# What a community read to file a report holds: not its shapes (often large GeoJSON).
_NAMED_FIELDS = [f for f in Region._meta.concrete_fields if f.name not in ("boundary", "outline")]


def _communities_named(user: User, texts: Collection[str]) -> list[Region]:
    """The communities named by a code among ``texts`` or by an id one spells, by code."""
    quote = connection.ops.quote_name
    table = quote(Region._meta.db_table)
    columns = ", ".join(f"{table}.{quote(f.column)}" for f in _NAMED_FIELDS)
    if not texts:
        return []
    ids = [pk for text in texts if (pk := parse_id(text)) is not None]
    params: list[Any] = [RegionLevel.COMMUNITY]
    conditions: list[str] = []
    for column, values in (("code", list(texts)), ("id", ids)):
        if not values:
            continue
        name = f"{table}.{quote(column)}"
        if len(values) == 1:  # one report's community
            conditions.append(f"{name} = %s")
            params.append(values[0])
        elif connection.vendor == "postgresql":
            # One array a list (a batch names a hundred communities, an import a thousand).
            conditions.append(f"{name} = ANY(%s)")
            params.append(values)
        else:
            conditions.append(f"{name} IN ({', '.join('%s' for _value in values)})")
            params += values
    condition = " OR ".join(conditions)
    # The coverage is read here unless it is not needed or already read (once per user object).
    organisation_id = (
        user.organisation_id
        if connection.vendor == "postgresql"
        and not user.is_administrator
        and "coverage_region_ids" not in user.__dict__
        else None
    )
    if organisation_id is not None:
        coverage = Organisation._meta.get_field("coverage")
        assert isinstance(coverage, ManyToManyField)
        through = quote(coverage.m2m_db_table())
        columns += (
            f", ARRAY(SELECT {through}.{quote(coverage.m2m_reverse_name())} FROM {through} "  # noqa: S608 - names from the models
            f"WHERE {through}.{quote(coverage.m2m_column_name())} = %s)"
        )
        params.insert(0, organisation_id)
    sql = (
        f"SELECT {columns} FROM {table} WHERE {table}.{quote('level')} = %s AND ({condition}) "  # noqa: S608 - names from the models
        f"ORDER BY {table}.{quote('code')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    width = len(_NAMED_NAMES)
    if organisation_id is not None and rows:
        # The same ids as the cached property's own query would read (the coverage's regions).
        user.__dict__["coverage_region_ids"] = frozenset(rows[0][width])
    # The alias read once (``connection`` looks the connection up on each access), and each
    # row given with its deferred columns in place (``from_db`` would search the names for
    # every column of every row): a batch builds a hundred communities.
    alias = connection.alias
    return [Region.from_db(alias, _NAMED_NAMES, _with_deferred(row)) for row in rows]


_NAMED_NAMES = [f.attname for f in _NAMED_FIELDS]
# For each concrete field of Region, whether ``_communities_named`` reads it.
_NAMED_READ = [f in _NAMED_FIELDS for f in Region._meta.concrete_fields]


def _with_deferred(row: Sequence[Any]) -> list[Any]:
    """A row of ``_NAMED_FIELDS`` as ``from_db`` takes every field's value: DEFERRED for
    the fields not read."""
    values = iter(row)
    return [next(values) if read else DEFERRED for read in _NAMED_READ]


# The attribute by which a Region read through ``visible_to(user)`` remembers that user.
_SEEN_BY = "_ewers_visible_to_user"


def _visibility_note(user: User, community: Region) -> None:
    setattr(community, _SEEN_BY, user.pk)


def community_seen_by(user: User, community: Region) -> bool:
    """Whether this very object was read through ``visible_to(user)`` (no query)."""
    return user.pk is not None and getattr(community, _SEEN_BY, None) == user.pk


def community_visible_to(user: User, community: Region) -> bool:
    """Whether ``community`` is in the user's coverage (``Region.objects.visible_to``): no
    query when this very object was read through that rule for this user (``community_get``,
    ``communities_by_ref``), one otherwise."""
    if community_seen_by(user, community):
        return True
    visible = Region.objects.visible_to(user).filter(pk=community.pk).exists()
    if visible:
        _visibility_note(user, community)
    return visible


def communities_by_ref(user: User, refs: Iterable[str | int]) -> dict[str, Region]:
    """The communities in the user's coverage that ``refs`` name, in one query, keyed by
    each ref as text (``str(ref).strip()``) that names one: as ``community_get`` names
    them, a code winning over an id when a code happens to be all digits. Read to file
    reports in: their columns but the shapes, without their district or region, in one
    plain statement (a hundred model instances built by a queryset, and the queryset
    itself, cost a batch three times the query)."""
    keys = {key for ref in refs if (key := str(ref).strip()) and key.isprintable()}
    if not keys:
        return {}
    by_id: dict[int, Region] = {}
    by_code: dict[str, list[Region]] = {}
    # One plain statement, the rule applied to the communities it reads (as ``_community_named``).
    for community in _communities_named(user, sorted(keys)):
        if not community.is_visible_to(user):
            continue
        _visibility_note(user, community)
        by_id[community.pk] = community
        by_code.setdefault(community.code, []).append(community)
    found: dict[str, Region] = {}
    for key in keys:
        # Codes are unique within a country only: a code naming communities of two countries
        # the user covers names none (refused as unknown, never filed in the wrong country).
        coded = by_code.get(key, [])
        if len(coded) > 1:
            continue
        named = coded[0] if coded else by_id.get(parse_id(key) or 0)
        if named is not None:
            found[key] = named
    return found


def assessment_latest(community: Region) -> RiskAssessment | None:
    return RiskAssessment.objects.filter(community=community).order_by("-assessed_at", "-id").first()


def assessment_history(
    community: Region, *, since: datetime | None = None, limit: int = 500
) -> QuerySet[RiskAssessment]:
    """The community's assessments (from ``since``, if given), newest first (for trends)."""
    assessments = RiskAssessment.objects.filter(community=community)
    if since is not None:
        assessments = assessments.filter(assessed_at__gte=since)
    return assessments.order_by("-assessed_at", "-id")[:limit]


@dataclass(frozen=True)
class ContributionRow:
    """One line of "why is this community where it is"."""

    indicator_code: str
    indicator_name: str
    polarity: str
    report_id: int
    amount: float
    # When the report was observed: tells one indicator's readings from different reports apart.
    observed_at: datetime | None = None


def assessment_contributions(assessment: RiskAssessment) -> list[ContributionRow]:
    """An assessment's contributions, the largest (in either direction) first."""
    rows = [
        ContributionRow(
            indicator_code=c.indicator.code,
            indicator_name=c.indicator.local_name,
            polarity=c.indicator.polarity,
            report_id=c.report_id,
            amount=c.amount,
            observed_at=c.report.observed_at,
        )
        for c in assessment.contributions.select_related("indicator", "report")
    ]
    rows.sort(key=lambda row: (-abs(row.amount), row.indicator_code, row.report_id))
    return rows
