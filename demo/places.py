"""The demo's places: Negara Harmoni, its regions, districts and communities, with
synthetic boundaries (a jittered grid that tiles the map)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from ewers.choices import RegionLevel
from ewers.models import Region
from ewers.services import region_upsert

SEED = 20231129

# --- Places -------------------------------------------------------------------------

COUNTRY = ("HM", "Negara Harmoni")
REGIONS = ["Tanjung Seri", "Bukit Damai", "Lembah Hijau", "Pesisir Biru"]
DISTRICTS = [
    "Kuala Meranti",
    "Sungai Kecil",
    "Batu Lintang",
    "Padang Tengah",
    "Bandar Sentosa",
    "Ayer Jernih",
    "Simpang Tiga",
    "Bukit Kijang",
    "Telok Mas",
    "Pantai Indah",
    "Kota Lama",
    "Sri Layang",
]
COMMUNITY_PREFIXES = ["Kampung", "Taman", "Pekan", "Kuala", "Sungai", "Bukit", "Padang", "Batu", "Ayer", "Tanjung"]
COMMUNITY_NAMES = [
    "Cempaka",
    "Melati",
    "Kenanga",
    "Seroja",
    "Dahlia",
    "Teratai",
    "Angsana",
    "Merbau",
    "Jati",
    "Cengal",
    "Rambai",
    "Durian",
    "Manggis",
    "Pulasan",
    "Langsat",
    "Rambutan",
    "Nangka",
    "Kelapa",
    "Pinang",
    "Nipah",
    "Bakau",
    "Ru",
    "Keruing",
    "Meranti",
    "Tembusu",
    "Kasturi",
    "Delima",
    "Belimbing",
    "Kemuning",
    "Tualang",
    "Gaharu",
    "Sena",
    "Ara",
    "Beringin",
    "Buluh",
    "Rotan",
    "Pandan",
    "Serai",
    "Kunyit",
    "Lada",
    "Cendana",
    "Mawar",
    "Anggerik",
    "Raya",
    "Baru",
    "Lama",
    "Jaya",
    "Indah",
    "Permai",
    "Setia",
    "Aman",
    "Makmur",
    "Bahagia",
    "Sejahtera",
    "Harapan",
    "Murni",
    "Budiman",
    "Mutiara",
    "Intan",
    "Zamrud",
]

# The map: a grid of GRID_COLS × GRID_ROWS community cells over this box; the four
# regions are its quadrants and each district a column of five cells in one quadrant.
GRID_COLS, GRID_ROWS = 6, 10
LON_WEST, LAT_SOUTH, CELL_DEG = 101.0, 1.5, 0.5
JITTER_DEG = 0.14


def _vertex_grid(rng: random.Random) -> list[list[tuple[float, float]]]:
    """Shared corner points of the cells; inner points jittered so the map looks organic.

    Neighbouring cells use the same corners, so the polygons tile without gaps.
    """
    grid = []
    for col in range(GRID_COLS + 1):
        column = []
        for row in range(GRID_ROWS + 1):
            lon = LON_WEST + col * CELL_DEG
            lat = LAT_SOUTH + row * CELL_DEG
            if 0 < col < GRID_COLS and 0 < row < GRID_ROWS:
                lon += rng.uniform(-JITTER_DEG, JITTER_DEG)
                lat += rng.uniform(-JITTER_DEG, JITTER_DEG)
            column.append((round(lon, 5), round(lat, 5)))
        grid.append(column)
    return grid


def _block_polygon(grid: list[list[tuple[float, float]]], cols: range, rows: range) -> dict[str, Any]:
    """The outline of a rectangular block of cells, counter-clockwise, as a GeoJSON Polygon."""
    c0, c1, r0, r1 = cols.start, cols.stop, rows.start, rows.stop
    ring = [grid[c][r0] for c in range(c0, c1 + 1)]  # south edge, west to east
    ring += [grid[c1][r] for r in range(r0 + 1, r1 + 1)]  # east edge, south to north
    ring += [grid[c][r1] for c in range(c1 - 1, c0 - 1, -1)]  # north edge, east to west
    ring += [grid[c0][r] for r in range(r1 - 1, r0 - 1, -1)]  # west edge, north to south
    return {"type": "Polygon", "coordinates": [[list(p) for p in ring]]}


@dataclass(frozen=True)
class PlaceSpec:
    """One place of the demo map, before it is written."""

    code: str
    name: str
    level: str
    parent_code: str | None
    boundary: dict[str, Any]


def plan_places() -> list[PlaceSpec]:
    """Country, 4 regions, 12 districts and 60 communities with tiling boundaries, parents first.

    Pure: the same list on every call.
    """
    grid = _vertex_grid(random.Random(SEED))
    code = COUNTRY[0]
    plan = [
        PlaceSpec(code, COUNTRY[1], RegionLevel.COUNTRY, None, _block_polygon(grid, range(GRID_COLS), range(GRID_ROWS)))
    ]
    half_cols, half_rows = GRID_COLS // 2, GRID_ROWS // 2
    community_index = 0
    for r_index, r_name in enumerate(REGIONS):
        col0 = (r_index % 2) * half_cols
        row0 = (1 - r_index // 2) * half_rows  # regions 1-2 in the north, 3-4 in the south
        r_code = f"{code}-{r_index + 1:02d}"
        plan.append(
            PlaceSpec(
                r_code,
                r_name,
                RegionLevel.REGION,
                code,
                _block_polygon(grid, range(col0, col0 + half_cols), range(row0, row0 + half_rows)),
            )
        )
        for d_index in range(half_cols):
            col = col0 + d_index
            d_code = f"{r_code}-{d_index + 1:02d}"
            plan.append(
                PlaceSpec(
                    d_code,
                    DISTRICTS[r_index * half_cols + d_index],
                    RegionLevel.DISTRICT,
                    r_code,
                    _block_polygon(grid, range(col, col + 1), range(row0, row0 + half_rows)),
                )
            )
            for c_index in range(half_rows):
                row = row0 + c_index
                prefix = COMMUNITY_PREFIXES[(community_index * 7) % len(COMMUNITY_PREFIXES)]
                plan.append(
                    PlaceSpec(
                        f"{d_code}-{c_index + 1:02d}",
                        f"{prefix} {COMMUNITY_NAMES[community_index]}",
                        RegionLevel.COMMUNITY,
                        d_code,
                        _block_polygon(grid, range(col, col + 1), range(row, row + 1)),
                    )
                )
                community_index += 1
    return plan


def seed_places(plan: list[PlaceSpec]) -> dict[str, Region]:
    places: dict[str, Region] = {}
    for spec in plan:
        places[spec.code], _ = region_upsert(
            code=spec.code,
            name=spec.name,
            level=spec.level,
            parent=places[spec.parent_code] if spec.parent_code else None,
            boundary=spec.boundary,
        )
    return places
