"""Boundary geometry validation."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from ewers.geojson import validate_boundary
from tests.factories import square


def test_it_accepts_polygons_and_multipolygons():
    validate_boundary(square(100, 1))
    validate_boundary({"type": "MultiPolygon", "coordinates": [square(100, 1)["coordinates"]]})
    validate_boundary(None)


@pytest.mark.parametrize(
    ("geometry", "message"),
    [
        ("POLYGON((0 0))", "geometry object"),
        ({"type": "Point", "coordinates": [0, 0]}, "Polygon or MultiPolygon"),
        ({"type": "Polygon", "coordinates": []}, "at least one linear ring"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]]}, "at least 4 positions"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}, "end where it starts"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [200, 0], [1, 1], [0, 0]]]}, "outside longitude"),
        ({"type": "Polygon", "coordinates": [[[0, 0], ["a", 0], [1, 1], [0, 0]]]}, "finite numbers"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1], [1, 1], [0, 0]]]}, "[longitude, latitude]"),
        ({"type": "MultiPolygon", "coordinates": []}, "at least one polygon"),
    ],
)
def test_it_refuses_malformed_geometry_with_a_clear_message(geometry, message):
    with pytest.raises(ValidationError) as excinfo:
        validate_boundary(geometry)
    assert message in excinfo.value.messages[0]
