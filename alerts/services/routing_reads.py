"""What routing reads from the database: the organisations covering some places (with their
mandates and responders), the themes' response tiers, and for a batch of new alerts all of
that with their communities and the themes whose police go at once.

On PostgreSQL each read is ONE plain statement whose answer is JSON, built server-side:
routing sits on the way from a report's commit to its alert, where each ORM query cost
about half a millisecond of Python for a handful of rows (an alert's routing read six of
them). Elsewhere (SQLite: the embedded demo) the same answers come from the ORM.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.db import connection, models

from alerts.routing import OrganisationFact, TierTable
from alerts.selectors import responders_active
from ewers.models import Organisation, Region, Theme, ThemeTier, User

# A community as routing reads it: its columns but the shapes (often large GeoJSON).
_COMMUNITY_FIELDS = [f for f in Region._meta.concrete_fields if f.name not in ("boundary", "outline")]
# A responder as routing reads it: what its notifications need (the other columns are
# deferred, loaded on first use).
_RESPONDER_FIELDS = ("id", "organisation_id", "language")


@dataclass(frozen=True)
class Covering:
    """The active organisations covering some places: as routing facts (by id), as rows,
    and their active responders (by id order, those who are told on their behalf; read
    with ``_RESPONDER_FIELDS`` only on PostgreSQL)."""

    facts: list[OrganisationFact]
    organisations: dict[int, Organisation]
    responders: dict[int, list[User]]


@dataclass(frozen=True)
class RoutingFacts:
    """What routing the alerts of some communities reads: the communities, the themes
    whose police go at once, every theme's tiers by sector, and the organisations covering
    any of the communities or a region above one."""

    communities: dict[int, Region]
    police: frozenset[str]
    tiers: TierTable
    covering: Covering


def tier_table(themes: Iterable[str] | None = None) -> TierTable:
    """Each theme's response tier by sector, as set for it (``ThemeTier``); ``themes``:
    of these only (None: every theme)."""
    table: dict[str, dict[str, int]] = defaultdict(dict)
    rows = ThemeTier.objects.all() if themes is None else ThemeTier.objects.filter(theme__code__in=list(themes))
    for code, sector, tier in rows.values_list("theme__code", "sector", "tier"):
        table[code][sector] = tier
    return table


def organisations_covering(places: frozenset[int]) -> Covering:
    """The active organisations covering any of ``places``: one statement on PostgreSQL,
    three queries elsewhere (the coverage with its organisations, their mandates, their
    responders)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {_covering_json('%s')}", [*_responders_params(), sorted(places)])
            return _covering_parse(cursor.fetchone()[0])
    return covering_orm(places)


def covering_orm(places: frozenset[int]) -> Covering:
    """``organisations_covering`` by the ORM (any database; the tests compare the two)."""
    covers: dict[int, set[int]] = defaultdict(set)
    organisations: dict[int, Organisation] = {}
    coverage = Organisation.coverage.through.objects.filter(
        region_id__in=places, organisation__is_active=True
    ).select_related("organisation")
    for row in coverage:
        covers[row.organisation_id].add(row.region_id)
        organisations[row.organisation_id] = row.organisation
    themes: dict[int, set[str]] = defaultdict(set)
    mandate = Organisation.mandate.through.objects.filter(organisation_id__in=list(covers))
    for organisation_id, code in mandate.values_list("organisation_id", "theme__code"):
        themes[organisation_id].add(code)
    responders: dict[int, list[User]] = defaultdict(list)
    for user in responders_active().filter(organisation__in=list(covers)).order_by("pk"):
        if user.organisation_id is not None:
            responders[user.organisation_id].append(user)
    return _covering(organisations, covers, themes, responders)


def routing_facts(community_ids: Collection[int]) -> RoutingFacts:
    """What routing the alerts of ``community_ids`` reads (``RoutingFacts``): one statement
    on PostgreSQL, six queries elsewhere."""
    ids = sorted(community_ids)
    if connection.vendor != "postgresql":
        return routing_facts_orm(ids)
    with connection.cursor() as cursor:
        cursor.execute(_routing_facts_sql(), [ids, *_responders_params()])
        communities_json, police, tiers_json, covering_json = cursor.fetchone()
    names = [f.attname for f in _COMMUNITY_FIELDS]
    communities = {
        row["id"]: Region.from_db(connection.alias, names, [row[name] for name in names]) for row in communities_json
    }
    tiers: dict[str, dict[str, int]] = defaultdict(dict)
    for code, sector, tier in tiers_json:
        tiers[code][sector] = tier
    return RoutingFacts(
        communities=communities, police=frozenset(police), tiers=tiers, covering=_covering_parse(covering_json)
    )


def routing_facts_orm(community_ids: Collection[int]) -> RoutingFacts:
    """``routing_facts`` by the ORM (any database; the tests compare the two)."""
    communities = Region.objects.in_bulk(sorted(community_ids))
    places = frozenset().union(*(c.lineage_ids for c in communities.values()))
    return RoutingFacts(
        communities=communities,
        police=frozenset(Theme.objects.filter(police_at_once=True).values_list("code", flat=True)),
        tiers=tier_table(),
        covering=covering_orm(places),
    )


def _covering(
    organisations: Mapping[int, Organisation],
    covers: Mapping[int, Collection[int]],
    themes: Mapping[int, Collection[str]],
    responders: Mapping[int, list[User]],
) -> Covering:
    facts = [
        OrganisationFact(
            id=pk,
            covers=frozenset(covers[pk]),
            themes=frozenset(themes.get(pk, ())),
            min_level=organisations[pk].min_alert_level,
            responds=bool(responders.get(pk)),
            sector=organisations[pk].sector,
        )
        for pk in sorted(organisations)
    ]
    return Covering(facts=facts, organisations=dict(organisations), responders=dict(responders))


def _covering_parse(rows: list[dict[str, Any]]) -> Covering:
    """``_covering_json``'s answer: one object per organisation, its columns by attribute
    name, with ``covers`` (ids), ``themes`` (codes) and ``responders`` ([id, language])."""
    names = [f.attname for f in Organisation._meta.concrete_fields]
    organisations: dict[int, Organisation] = {}
    covers: dict[int, list[int]] = {}
    themes: dict[int, list[str]] = {}
    responders: dict[int, list[User]] = {}
    for row in rows:
        pk = row["id"]
        organisations[pk] = Organisation.from_db(connection.alias, names, [row[name] for name in names])
        covers[pk], themes[pk] = row["covers"], row["themes"]
        if row["responders"]:
            responders[pk] = [
                User.from_db(connection.alias, list(_RESPONDER_FIELDS), [user_id, pk, language])
                for user_id, language in row["responders"]
            ]
    return _covering(organisations, covers, themes, responders)


def _table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


@cache
def _covering_json(places: str) -> str:
    """An expression: the active organisations covering any of the places ``places`` (an
    SQL array of region ids) as a JSON array, for ``_covering_parse``. Its parameters: the
    responders' (``_responders_params``), then any of ``places``."""
    quote = connection.ops.quote_name
    coverage = Organisation.coverage.through
    mandate = Organisation.mandate.through
    columns = ", ".join(f"o.{quote(f.column)} AS {quote(f.attname)}" for f in Organisation._meta.concrete_fields)
    # The responders as ``responders_active`` defines them, read for each organisation.
    responders, _params = _responders_sql()
    return (
        f"(SELECT coalesce(json_agg(k ORDER BY k.id), '[]') FROM (SELECT {columns}, cov.covers, "  # noqa: S608 - names from the models
        f"ARRAY(SELECT t.code FROM {_table(mandate)} m JOIN {_table(Theme)} t ON t.id = m.theme_id "
        "WHERE m.organisation_id = o.id ORDER BY t.code) AS themes, "
        "(SELECT coalesce(json_agg(json_build_array(r.id, r.language) ORDER BY r.id), '[]') "
        f"FROM ({responders}) AS r(organisation_id, id, language) WHERE r.organisation_id = o.id) AS responders "
        f"FROM (SELECT organisation_id, array_agg(region_id ORDER BY region_id) AS covers FROM {_table(coverage)} "
        f"WHERE region_id = ANY({places}) GROUP BY organisation_id) cov "
        f"JOIN {_table(Organisation)} o ON o.id = cov.organisation_id WHERE o.is_active) k)"
    )


@cache
def _responders_sql() -> tuple[str, tuple[Any, ...]]:
    """``responders_active()``'s SQL (organisation, id, language), compiled once: its
    rule stays in one place."""
    query = responders_active().order_by().values_list("organisation_id", "id", "language").query
    return query.sql_with_params()


def _responders_params() -> list[Any]:
    return list(_responders_sql()[1])


@cache
def _routing_facts_sql() -> str:
    """``routing_facts``' statement; its parameters: the communities' ids, then the
    responders'."""
    quote = connection.ops.quote_name
    columns = ", ".join(f"{quote(f.column)} AS {quote(f.attname)}" for f in _COMMUNITY_FIELDS)
    return (
        f"WITH c AS (SELECT {columns} FROM {_table(Region)} WHERE id = ANY(%s)), "  # noqa: S608 - names from the models
        # The communities and every region above one (``Region.lineage_ids``): an
        # organisation covering any of them covers the community.
        "places AS (SELECT DISTINCT p FROM c CROSS JOIN unnest(ARRAY[c.id, c.country_id, c.region_id, c.district_id]) "
        "AS p WHERE p IS NOT NULL) "
        "SELECT (SELECT coalesce(json_agg(c), '[]') FROM c), "
        f"ARRAY(SELECT code FROM {_table(Theme)} WHERE police_at_once), "
        f"(SELECT coalesce(json_agg(json_build_array(t.code, tt.sector, tt.tier)), '[]') FROM {_table(ThemeTier)} tt "
        f"JOIN {_table(Theme)} t ON t.id = tt.theme_id), "
        f"{_covering_json('ARRAY(SELECT p FROM places)')}"
    )
