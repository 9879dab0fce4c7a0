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


@pytest.mark.parametrize(
    "position",
    [
        [10**400, 1],
        [101, -(10**400)],
        [101, 1, 10**400],
        [0, 0, [1]],
        [0, 0, "1"],
        [0, 0, True],
        [0, 0, float("nan")],
    ],
)
def test_it_refuses_positions_no_float_can_hold(position):
    ring = [[101, 1], position, [102, 2], [101, 1]]
    with pytest.raises(ValidationError, match="coordinates must be finite numbers"):
        validate_boundary({"type": "Polygon", "coordinates": [ring]})


def test_it_accepts_an_elevation_and_refuses_a_fourth_element():
    validate_boundary({"type": "Polygon", "coordinates": [[[101, 1, 5], [102, 1, 0.5], [102, 2, 0], [101, 1, 5]]]})
    with pytest.raises(ValidationError, match="a position must be"):
        validate_boundary({"type": "Polygon", "coordinates": [[[101, 1], [102, 1, 0, 0], [102, 2], [101, 1]]]})
