"""regions_upsert_many: region_upsert's rules for many places at once, in a few queries."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ewers.choices import RegionLevel
from ewers.geometry import boundary_outline
from ewers.models import Region
from ewers.services import RegionRow, region_ancestor_ids, region_upsert, regions_upsert_many
from tests import factories

pytestmark = pytest.mark.django_db

OUTLINE = factories.square(101, 1, 0.1)


@pytest.fixture
def tree():
    return factories.make_tree("T")


def stored():
    """Every stored place with its ancestors, to compare before and after."""
    return list(
        Region.objects.order_by("code").values_list(
            "code", "name", "level", "parent_id", "country_id", "region_id", "district_id", "boundary", "outline"
        )
    )


def writes(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].split()[0].upper() in {"INSERT", "UPDATE", "DELETE"}]


def community(code: str, parent: Region, name: str = "Kampung", lon: float = 101.0) -> RegionRow:
    return RegionRow(code=code, name=name, parent=parent, boundary=factories.square(lon, 1, 0.1), outline=OUTLINE)


def test_it_creates_places_with_their_ancestors(tree):
    result = regions_upsert_many(
        level=RegionLevel.COMMUNITY, rows=[community(f"T-1-1-{i}", tree["district"]) for i in range(3, 8)]
    )
    assert (result.created, result.updated, result.unchanged) == (5, 0, 0)
    made = Region.objects.get(code="T-1-1-5")
    assert (made.parent, made.district, made.region, made.country, made.level) == (
        tree["district"],
        tree["district"],
        tree["region"],
        tree["country"],
        RegionLevel.COMMUNITY,
    )
    assert (made.boundary, made.outline) == (factories.square(101, 1, 0.1), OUTLINE)


def test_it_creates_every_level_with_the_ancestors_region_upsert_gives(db):
    regions_upsert_many(level=RegionLevel.COUNTRY, rows=[RegionRow(code="Z", name="Zedland")])
    regions_upsert_many(
        level=RegionLevel.REGION, rows=[RegionRow(code="Z-1", name="R", parent=Region.objects.get(code="Z"))]
    )
    regions_upsert_many(
        level=RegionLevel.DISTRICT, rows=[RegionRow(code="Z-1-1", name="D", parent=Region.objects.get(code="Z-1"))]
    )
    by_bulk = Region.objects.get(code="Z-1-1")
    by_one, _ = region_upsert(
        code="Z-1-2", name="D2", level=RegionLevel.DISTRICT, parent=Region.objects.get(code="Z-1")
    )
    assert (by_bulk.country_id, by_bulk.region_id, by_bulk.district_id) == (
        by_one.country_id,
        by_one.region_id,
        by_one.district_id,
    )
    assert region_ancestor_ids(by_bulk) == (by_bulk.country_id, by_bulk.region_id, by_bulk.pk)


def test_it_writes_many_places_in_a_few_queries(tree):
    rows = [community(f"T-1-1-{i}", tree["district"]) for i in range(3, 1203)]
    with CaptureQueriesContext(connection) as queries:
        regions_upsert_many(level=RegionLevel.COMMUNITY, rows=rows)
    assert Region.objects.filter(level=RegionLevel.COMMUNITY).count() == 1202
    assert len(queries.captured_queries) < 20


def test_it_updates_name_boundary_and_outline_and_leaves_the_rest(tree):
    c1, c2 = tree["c1"], tree["c2"]
    regions_upsert_many(
        level=RegionLevel.COMMUNITY,
        rows=[
            RegionRow(code=c1.code, name=c1.name, parent=tree["district"], boundary=c1.boundary, outline=OUTLINE),
            RegionRow(code=c2.code, name=c2.name, parent=tree["district"], boundary=c2.boundary, outline=OUTLINE),
        ],
    )
    new_boundary = factories.square(102, 2, 0.2)
    result = regions_upsert_many(
        level=RegionLevel.COMMUNITY,
        rows=[
            RegionRow(code=c1.code, name="Renamed", parent=tree["district"], boundary=new_boundary, outline=None),
            RegionRow(code=c2.code, name=c2.name, parent=tree["district"], boundary=c2.boundary, outline=OUTLINE),
        ],
    )
    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    one = Region.objects.get(code=c1.code)
    assert (one.name, one.boundary, one.outline, one.district) == ("Renamed", new_boundary, None, tree["district"])
    assert Region.objects.get(code=c2.code).outline == OUTLINE


def test_unchanged_places_are_not_written(tree):
    rows = [community("T-1-1-3", tree["district"]), community("T-1-1-4", tree["district"], lon=102)]
    regions_upsert_many(level=RegionLevel.COMMUNITY, rows=rows)
    before = stored()
    with CaptureQueriesContext(connection) as queries:
        result = regions_upsert_many(level=RegionLevel.COMMUNITY, rows=rows)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 2)
    assert writes(queries.captured_queries) == []
    assert stored() == before


def test_a_new_parent_moves_the_place_and_everything_below_it(tree):
    other_region, _ = region_upsert(code="T-2", name="Second region", level=RegionLevel.REGION, parent=tree["country"])
    result = regions_upsert_many(
        level=RegionLevel.DISTRICT,
        rows=[RegionRow(code="T-1-1", name="Moved district", parent=other_region, outline=OUTLINE)],
    )
    assert (result.created, result.updated, result.unchanged) == (0, 1, 0)
    district = Region.objects.get(code="T-1-1")
    assert (district.name, district.parent, district.region, district.outline) == (
        "Moved district",
        other_region,
        other_region,
        OUTLINE,
    )
    below = Region.objects.filter(code__startswith="T-1-1-")
    assert set(below.values_list("country__code", "region__code", "district__code")) == {("T", "T-2", "T-1-1")}


def test_the_same_code_under_another_country_is_another_place(tree):
    # Codes are unique within a country: another country's "T-1-1" never moves this one.
    other_country, _ = region_upsert(code="U", name="U land", level=RegionLevel.COUNTRY)
    other_region, _ = region_upsert(code="U-1", name="U region", level=RegionLevel.REGION, parent=other_country)
    result = regions_upsert_many(
        level=RegionLevel.DISTRICT, rows=[RegionRow(code="T-1-1", name="U's own", parent=other_region)]
    )
    assert (result.created, result.updated) == (1, 0)
    ours = Region.objects.get(code="T-1-1", country=tree["country"])
    assert (ours.name, ours.parent) == ("T district", tree["region"])
    assert Region.objects.get(code="T-1-1", country=other_country).name == "U's own"


def test_a_parent_copy_out_of_date_is_read_again(tree):
    # The caller's copy of the district still names the old region; the stored one counts.
    stale = Region.objects.get(code="T-1-1")
    other_region, _ = region_upsert(code="T-2", name="Second region", level=RegionLevel.REGION, parent=tree["country"])
    region_upsert(code="T-1-1", name="T district", level=RegionLevel.DISTRICT, parent=other_region)
    regions_upsert_many(level=RegionLevel.COMMUNITY, rows=[community("T-1-1-3", stale)])
    made = Region.objects.get(code="T-1-1-3")
    assert (made.region, made.district) == (other_region, tree["district"])


@pytest.mark.parametrize(
    ("level", "rows_of", "message"),
    [
        # A community under a region: the parent must be one level up.
        (RegionLevel.COMMUNITY, lambda t: [RegionRow(code="T-1-1-3", name="X", parent=t["region"])], "must sit inside"),
        (RegionLevel.COUNTRY, lambda t: [RegionRow(code="V", name="V", parent=t["country"])], "no parent"),
        (RegionLevel.REGION, lambda t: [RegionRow(code="T-9", name="No parent")], "must sit inside"),
        # The district has communities below it: it cannot become a community.
        (RegionLevel.COMMUNITY, lambda t: [RegionRow(code="T-1-1", name="X", parent=t["district"])], "children"),
        (
            RegionLevel.COMMUNITY,
            lambda t: [RegionRow(code="T-1-1-3", name="X", parent=Region(code="NOPE", level=RegionLevel.DISTRICT))],
            "not a stored place",
        ),
        (
            RegionLevel.COMMUNITY,
            lambda t: [community("T-1-1-3", t["district"]), community("T-1-1-3", t["district"])],
            "more than once",
        ),
        (
            RegionLevel.COMMUNITY,
            lambda t: [RegionRow(code="T-1-1-3", name="X", parent=t["district"], boundary={"type": "Point"})],
            "Polygon",
        ),
        (RegionLevel.COMMUNITY, lambda t: [RegionRow(code="bad code!", name="X", parent=t["district"])], "letters"),
        (RegionLevel.COMMUNITY, lambda t: [RegionRow(code="T-1-1-3", name="", parent=t["district"])], "blank"),
        ("planet", lambda t: [RegionRow(code="P", name="P")], "Unknown level"),
    ],
)
def test_a_bad_row_is_refused_and_nothing_is_written(tree, level, rows_of, message):
    before = stored()
    # Good rows around the bad one: none of them may be written either.
    rows = [community("T-1-1-8", tree["district"]), *rows_of(tree), community("T-1-1-1", tree["district"], "New")]
    with pytest.raises(ValidationError) as excinfo:
        regions_upsert_many(level=level, rows=rows)
    assert message in " ".join(excinfo.value.messages)
    assert stored() == before


def test_a_refused_move_writes_nothing_either(tree):
    other_country, _ = region_upsert(code="U", name="U land", level=RegionLevel.COUNTRY)
    before = stored()
    with pytest.raises(ValidationError):
        regions_upsert_many(
            level=RegionLevel.DISTRICT,
            rows=[
                RegionRow(code="T-1-1", name="Moved", parent=other_country),  # a country is no district's parent
                RegionRow(code="T-1-2", name="New district", parent=tree["region"]),
            ],
        )
    assert stored() == before


def test_the_errors_name_the_code(tree):
    with pytest.raises(ValidationError) as excinfo:
        regions_upsert_many(
            level=RegionLevel.COMMUNITY, rows=[RegionRow(code="T-1-1-3", name="X", parent=tree["region"])]
        )
    assert list(excinfo.value.message_dict) == ["T-1-1-3"]


def test_it_redraws_the_outline_when_region_upsert_gets_a_new_boundary(tree):
    c1 = tree["c1"]
    assert c1.outline == boundary_outline(c1.boundary, level=RegionLevel.COMMUNITY)
    wider = factories.square(100.5, 1.5, 0.3)
    region_upsert(code=c1.code, name=c1.name, level=RegionLevel.COMMUNITY, parent=tree["district"], boundary=wider)
    assert Region.objects.get(pk=c1.pk).outline == boundary_outline(wider, level=RegionLevel.COMMUNITY)
    region_upsert(code=c1.code, name=c1.name, level=RegionLevel.COMMUNITY, parent=tree["district"])
    assert Region.objects.get(pk=c1.pk).outline is None
