"""The simplified outlines maps draw (ewers/geometry.py): simpler than the boundary, valid,
rounded, and never larger."""

from __future__ import annotations

import math

import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st
from shapely.geometry import shape

from ewers.choices import RegionLevel
from ewers.geojson import validate_boundary
from ewers.geometry import boundary_outline
from ewers.models import Region
from tests.ewers.conftest import circle, collection, feature, import_communities


def ring_points(geometry: dict) -> int:
    polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    return sum(len(ring) for polygon in polygons for ring in polygon)


def test_the_outline_is_simpler_valid_and_rounded(tree):
    boundary = circle(101, 1, radius=0.2, points=400)
    import_communities(collection(feature("T-1-1-3", geometry=boundary)))
    outline = Region.objects.get(code="T-1-1-3").outline
    validate_boundary(outline)
    assert ring_points(outline) < ring_points(boundary) / 2
    drawn = shape(outline)
    assert drawn.is_valid
    assert drawn.area == pytest.approx(shape(boundary).area, rel=0.02)
    assert all(round(x, 5) == x and round(y, 5) == y for x, y in outline["coordinates"][0])


def test_a_small_place_keeps_its_shape_under_a_coarse_tolerance(settings):
    settings.EWERS_OUTLINE_TOLERANCE = {**settings.EWERS_OUTLINE_TOLERANCE, "community": 0.5}
    small = circle(101, 1, radius=0.01, points=60)
    outline = boundary_outline(small, level=RegionLevel.COMMUNITY)
    assert ring_points(outline) >= 8
    assert shape(outline).area == pytest.approx(shape(small).area, rel=0.05)


@given(
    radii=st.lists(st.floats(min_value=0.001, max_value=1.0), min_size=3, max_size=80),
    level=st.sampled_from(RegionLevel.values),
)
def test_an_outline_is_always_a_valid_polygon_no_larger_than_its_boundary(radii, level):
    # Star-shaped polygons around one point: always valid, often spiky.
    n = len(radii)
    ring = [
        [100 + r * math.cos(2 * math.pi * i / n), 5 + r * math.sin(2 * math.pi * i / n)] for i, r in enumerate(radii)
    ]
    boundary = {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}
    outline = boundary_outline(boundary, level=level)
    if outline is None:  # only when snapping to the 1 m grid leaves no area
        assert shape(boundary).area < 1e-6
        return
    validate_boundary(outline)
    assert shapely.is_valid(shape(outline))
    assert ring_points(outline) <= ring_points(boundary) + 2
