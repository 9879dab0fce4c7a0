"""The places around a heatmap: the Region filter's tree, the outline of the area the map is
drilled into, and the areas with no shape to draw (listed under the map)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django.db.models import Case, CharField, F, Value, When
from django.db.models.functions import Coalesce

from analytics.choices import AreaLevel
from analytics.selectors.heatmap import HeatmapArea, HeatmapQuery
from ewers.choices import RegionLevel
from ewers.models import Region, User

REGION_FILTER_LEVELS = [RegionLevel.COUNTRY, RegionLevel.REGION, RegionLevel.DISTRICT]
# A parent's outline is drawn around its children's map only when it is this simple: its
# simplified outline, else a boundary of at most this many points.
PARENT_OUTLINE_MAX_POINTS = 5_000
LEVELS_ABOVE = {
    AreaLevel.COMMUNITY: {RegionLevel.COUNTRY, RegionLevel.REGION, RegionLevel.DISTRICT},
    AreaLevel.DISTRICT: {RegionLevel.COUNTRY, RegionLevel.REGION},
    AreaLevel.REGION: {RegionLevel.COUNTRY},
}


def region_filter_choices(user: User) -> list[tuple[str, str, str]]:
    """(code, name, level) of the countries, regions and districts in the user's share,
    as a tree: each country, then each of its regions followed by its districts, by code.

    The key is built from the denormalised ancestor columns with empty strings where a
    row has no ancestor of a level, never NULLs: PostgreSQL sorts NULLs last and SQLite
    first, which once put a country's districts before its regions on PostgreSQL."""
    empty = Value("", output_field=CharField())
    rows = (
        Region.objects.visible_to(user)
        .filter(level__in=REGION_FILTER_LEVELS)
        .annotate(
            tree_country=Case(When(level=RegionLevel.COUNTRY, then=F("code")), default=F("country__code")),
            tree_region=Case(
                When(level=RegionLevel.COUNTRY, then=empty),
                When(level=RegionLevel.REGION, then=F("code")),
                default=Coalesce(F("region__code"), empty),
            ),
            tree_district=Case(When(level=RegionLevel.DISTRICT, then=F("code")), default=empty),
        )
        .order_by("tree_country", "tree_region", "tree_district", "code")
        .values_list("code", "name", "level")
    )
    return list(rows)


def _points(geometry: Any) -> int:
    """How many positions a GeoJSON Polygon or MultiPolygon has (0 for anything else)."""
    if not isinstance(geometry, dict):
        return 0
    coordinates = geometry.get("coordinates") or []
    polygons = coordinates if geometry.get("type") == "MultiPolygon" else [coordinates]
    return sum(len(ring) for polygon in polygons if isinstance(polygon, list) for ring in polygon)


def parent_outline(user: User, query: HeatmapQuery) -> str | None:
    """The shape of the area the map is drilled into (the ``region`` chosen, when it lies
    above the map's level), as GeoJSON text, to draw as an outline around its children:
    its simplified outline, else its boundary when that has at most
    ``PARENT_OUTLINE_MAX_POINTS`` points; None otherwise (or outside the user's share)."""
    region = query.region
    if region is None or region.level not in LEVELS_ABOVE.get(AreaLevel(query.level), set()):
        return None
    row = Region.objects.visible_to(user).filter(pk=region.pk).values("outline", "boundary").first()
    if row is None:
        return None
    shape = row["outline"]
    if shape is None and 0 < _points(row["boundary"]) <= PARENT_OUTLINE_MAX_POINTS:
        shape = row["boundary"]
    return None if shape is None else json.dumps(shape, separators=(",", ":"))


def areas_without_boundary(areas: Iterable[HeatmapArea]) -> list[HeatmapArea]:
    """The areas of a map (already the user's share) that have no shape to draw."""
    return [area for area in areas if area.geometry_json in (None, "", "null")]
