"""Boundary files for the tests of the import, its command and the outlines: GeoJSON features
and collections, the stored places to compare, hostile files."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from ewers.boundaries import boundaries_import
from ewers.choices import RegionLevel
from ewers.models import Region
from tests import factories


def circle(lon: float, lat: float, radius: float = 0.05, points: int = 200) -> dict:
    """A polygon of many vertices, wobbly like a surveyed border."""
    ring = [
        [
            round(lon + radius * (1 + 0.02 * math.sin(7 * i)) * math.cos(2 * math.pi * i / points), 7),
            round(lat + radius * (1 + 0.02 * math.sin(7 * i)) * math.sin(2 * math.pi * i / points), 7),
        ]
        for i in range(points)
    ]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def feature(code, name="Kampung Baru", parent="T-1-1", geometry=None, **extra) -> dict:
    properties = {"CODE": code, "NAME": name, "DISTRICT": parent, **extra}
    return {"type": "Feature", "properties": properties, "geometry": geometry or factories.square(101, 1, 0.1)}


def collection(*features) -> dict:
    return {"type": "FeatureCollection", "features": list(features)}


def import_communities(source, **options):
    values = {"level": RegionLevel.COMMUNITY, "code_property": "CODE", "name_property": "NAME"}
    values["parent_property"] = "DISTRICT"
    values.update(options)
    return boundaries_import(source=source, **values)


def rows():
    """Every stored place, to compare before and after a refused import."""
    return list(
        Region.objects.order_by("code").values_list("code", "name", "level", "parent_id", "boundary", "outline")
    )


@pytest.fixture
def tree(db):
    return factories.make_tree("T")


def command_args(path: Path) -> list[str]:
    return [
        str(path),
        "--level",
        "community",
        "--code-property",
        "CODE",
        "--name-property",
        "NAME",
        "--parent-property",
        "DISTRICT",
    ]


HOSTILE = [
    pytest.param(
        json.dumps(collection(feature("T-1-1-8", geometry=factories.square(101, 1)))).replace(
            "101.5, 1]", "1" + "0" * 400 + ", 1]", 1
        ),
        "coordinates must be finite numbers",
        id="400-digit-integer",
    ),
    pytest.param(
        json.dumps(collection(feature("T-1-1-8", geometry=factories.square(101, 1)))).replace(
            "101.5, 1]", "101.5, 1, 1" + "0" * 400 + "]", 1
        ),
        "coordinates must be finite numbers",
        id="400-digit-elevation",
    ),
    pytest.param(
        collection(
            feature(
                "T-1-1-8",
                geometry={"type": "Polygon", "coordinates": [[[101, 1], [0, 0, [1]], [102, 2], [101, 1]]]},
            )
        ),
        "coordinates must be finite numbers",
        id="list-as-elevation",
    ),
    pytest.param(
        collection(
            feature(
                "T-1-1-8",
                geometry={"type": "Polygon", "coordinates": [[[101, 1], [102, 1, 0, "x"], [102, 2], [101, 1]]]},
            )
        ),
        "a position must be [longitude, latitude]",
        id="four-elements",
    ),
    pytest.param(collection(feature("T-1-1-8", name="Kampung\x00Baru")), "control character", id="nul-name"),
    pytest.param(collection(feature("T-1-1-8", name="Kampung\x07Baru")), "control character", id="bell-name"),
    pytest.param(collection(feature("T-1-1-8", name="Kampung \ud800")), "unpaired surrogate", id="surrogate-name"),
    pytest.param(collection(feature("T-1-1-8\x00")), "control character", id="nul-code"),
    pytest.param(collection(feature("T-1-1-8\udc00")), "unpaired surrogate", id="surrogate-code"),
    pytest.param(collection(feature("T-1-1-8", parent="T-1-1\x00")), "control character", id="nul-parent"),
]


def _hostile_bytes(content) -> bytes:
    # json.dumps writes NUL as \u0000 and a lone surrogate as \ud800: valid JSON text.
    return (content if isinstance(content, str) else json.dumps(content)).encode()
