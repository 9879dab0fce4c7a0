"""Validation of GeoJSON boundary geometries (RFC 7946), without a GIS library.

A boundary is a Polygon or MultiPolygon in longitude/latitude. The checks are the
ones that keep a bad file from breaking a map later: types, ring closure, ring
length, numeric and in-range coordinates.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

BOUNDARY_TYPES = ("Polygon", "MultiPolygon")
_PLAIN_NUMBERS = (int, float)


# The largest magnitude a coordinate may have: beyond it a JSON integer has no float
# (math.isfinite and numpy overflow on it).
_FLOAT_MAX = 1e308


def _is_finite_number(value: Any) -> bool:
    """A JSON number a float can hold: not a boolean, NaN, an infinity or a 400-digit integer."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    # A comparison, not math.isfinite: that raises OverflowError on a huge integer.
    return bool(-_FLOAT_MAX <= value <= _FLOAT_MAX)


def _check_position(position: Any, where: str) -> None:
    if not isinstance(position, list | tuple) or not 2 <= len(position) <= 3:
        raise ValidationError(
            _("%(where)s: a position must be [longitude, latitude] or [longitude, latitude, elevation].")
            % {"where": where}
        )
    lon, lat = position[0], position[1]
    for value in position:
        if not _is_finite_number(value):
            raise ValidationError(_("%(where)s: coordinates must be finite numbers.") % {"where": where})
    if not -180 <= lon <= 180 or not -90 <= lat <= 90:
        raise ValidationError(
            _("%(where)s: [%(lon)s, %(lat)s] is outside longitude -180..180 / latitude -90..90.")
            % {"where": where, "lon": lon, "lat": lat}
        )


def _check_polygon(rings: Any, where: str) -> None:
    if not isinstance(rings, list) or not rings:
        raise ValidationError(_("%(where)s: a polygon needs at least one linear ring.") % {"where": where})
    for r, ring in enumerate(rings):
        ring_where = f"{where} ring {r}"
        if not isinstance(ring, list) or len(ring) < 4:
            raise ValidationError(_("%(where)s: a linear ring needs at least 4 positions.") % {"where": ring_where})
        for p, position in enumerate(ring):
            # Fast path for the common case (official files hold millions of positions): a
            # list of two or three plain numbers in range. NaN and infinities fail the range
            # test, booleans the type test; anything unusual gets the full check and its message.
            if type(position) is list and 2 <= len(position) <= 3:
                lon, lat = position[0], position[1]
                if (
                    type(lon) in _PLAIN_NUMBERS
                    and type(lat) in _PLAIN_NUMBERS
                    and -180 <= lon <= 180
                    and -90 <= lat <= 90
                    and (len(position) == 2 or _is_finite_number(position[2]))
                ):
                    continue
            _check_position(position, f"{ring_where} position {p}")
        if list(ring[0][:2]) != list(ring[-1][:2]):
            raise ValidationError(_("%(where)s: a linear ring must end where it starts.") % {"where": ring_where})


def validate_boundary(value: Any) -> None:
    """Raise ValidationError unless ``value`` is a valid Polygon or MultiPolygon geometry."""
    if value is None:
        return
    if not isinstance(value, dict):
        raise ValidationError(_("A boundary must be a GeoJSON geometry object."))
    kind = value.get("type")
    if kind not in BOUNDARY_TYPES:
        raise ValidationError(_("A boundary must be a Polygon or MultiPolygon, not %(kind)s.") % {"kind": repr(kind)})
    coordinates = value.get("coordinates")
    if kind == "Polygon":
        _check_polygon(coordinates, "Polygon")
        return
    if not isinstance(coordinates, list) or not coordinates:
        raise ValidationError(_("A MultiPolygon needs at least one polygon."))
    for i, polygon in enumerate(coordinates):
        _check_polygon(polygon, f"MultiPolygon polygon {i}")
