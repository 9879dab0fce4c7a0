"""Geometry of boundaries (pure, shapely): their shapes, validity and the simplified outline
that maps draw. No database: the boundary import and ``region_upsert`` both use it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import shapely
from django.conf import settings
from django.core.exceptions import ValidationError
from shapely.errors import GEOSException
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.validation import explain_validity

from ewers.geojson import validate_boundary

# Outlines are rounded to this many decimals of a degree (about 1 m), which is all a map needs.
OUTLINE_DECIMALS = 5


# A polygon is never simplified by more than this share of its width or height, so a
# small place (a town quarter) keeps its shape under a level's coarse tolerance.
OUTLINE_MAX_SHARE = 0.02


def _rings(polygon: Polygon, decimals: int | None) -> list[list[list[float]]]:
    rings = (polygon.exterior, *polygon.interiors)
    if decimals is None:
        return [[[x, y] for x, y, *_z in ring.coords] for ring in rings]
    return [[[round(x, decimals), round(y, decimals)] for x, y, *_z in ring.coords] for ring in rings]


def polygonal(geometry: shapely.Geometry) -> Polygon | MultiPolygon | None:
    """The areas of ``geometry`` (lines and points left out), or None when it has none."""
    if isinstance(geometry, Polygon | MultiPolygon):
        return None if geometry.is_empty else geometry
    parts: list[Polygon] = []
    for part in getattr(geometry, "geoms", ()):
        kept = polygonal(part)
        if kept is not None:
            parts.extend(kept.geoms if isinstance(kept, MultiPolygon) else [kept])
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else MultiPolygon(parts)


def geometry_json(geometry: Polygon | MultiPolygon, *, decimals: int | None) -> dict[str, Any]:
    """GeoJSON of ``geometry``, rounded to ``decimals`` (None: every digit kept, as for a
    repaired boundary)."""
    if isinstance(geometry, Polygon):
        return {"type": "Polygon", "coordinates": _rings(geometry, decimals)}
    return {"type": "MultiPolygon", "coordinates": [_rings(p, decimals) for p in geometry.geoms]}


def geometry_outline(geometry: shapely.Geometry, *, level: str, valid: bool = False) -> dict[str, Any] | None:
    """Simplify (Douglas–Peucker, topology kept), snap to the 5-decimal grid, orient like RFC 7946."""
    try:
        geometry = shapely.force_2d(geometry)
        if not valid and not geometry.is_valid:
            geometry = shapely.make_valid(geometry)
        areas = polygonal(geometry)
        if areas is None:
            return None
        minx, miny, maxx, maxy = areas.bounds
        tolerance = min(settings.EWERS_OUTLINE_TOLERANCE[level], max(maxx - minx, maxy - miny) * OUTLINE_MAX_SHARE)
        simplified = shapely.simplify(areas, tolerance, preserve_topology=True)
        # Snapping to the grid with GEOS (rather than rounding each number) keeps the rings valid.
        snapped = polygonal(shapely.set_precision(simplified, 10**-OUTLINE_DECIMALS)) or polygonal(simplified)
        if snapped is None:
            return None
        oriented = polygonal(shapely.orient_polygons(snapped, exterior_cw=False))
        return geometry_json(oriented, decimals=OUTLINE_DECIMALS) if oriented is not None else None
    except GEOSException:
        return None


def boundary_outline(boundary: Mapping[str, Any] | None, *, level: str) -> dict[str, Any] | None:
    """The boundary simplified for drawing at ``level`` (settings.EWERS_OUTLINE_TOLERANCE), or None.

    Pure. The tolerance is the level's, but never more than 2% of the place's extent;
    the result is a valid Polygon or MultiPolygon with coordinates rounded to 5 decimals.
    """
    try:
        validate_boundary(boundary)
    except ValidationError:
        return None
    if boundary is None:
        return None
    try:
        geometry = boundary_shape(boundary)
    except (GEOSException, ValueError):
        return None
    return geometry_outline(geometry, level=level)


def boundary_shape(boundary: Mapping[str, Any]) -> Polygon | MultiPolygon:
    """The shape of a checked boundary, built from arrays (a few times faster than ``shape``)."""
    polygons = [boundary["coordinates"]] if boundary["type"] == "Polygon" else boundary["coordinates"]
    try:
        parts = [
            Polygon(
                np.asarray(rings[0], dtype=float)[:, :2], [np.asarray(ring, dtype=float)[:, :2] for ring in rings[1:]]
            )
            for rings in polygons
        ]
    except (ValueError, IndexError, TypeError, OverflowError):  # positions of mixed lengths
        return shape(boundary)
    return parts[0] if boundary["type"] == "Polygon" else MultiPolygon(parts)


def boundary_validity(boundary: Mapping[str, Any]) -> tuple[Polygon | MultiPolygon, str | None]:
    """The shape of a well-formed boundary, and why GEOS finds it invalid (None if valid).

    Raises what reading the shape raises."""
    geometry = boundary_shape(boundary)
    return geometry, None if geometry.is_valid else explain_validity(geometry)


def boundary_validity_problem(boundary: Mapping[str, Any]) -> str | None:
    """Why GEOS finds a well-formed boundary invalid (e.g. "Self-intersection[101.2 1.5]"), or None."""
    try:
        return boundary_validity(boundary)[1]
    except (GEOSException, ValueError, TypeError, AttributeError, KeyError, IndexError, OverflowError) as exc:
        return str(exc)
