"""The boundary import (ewers/boundaries.py) and its page in the admin: places created,
updated or left alone, bad and hostile files refused with every problem named.

The import_boundaries command is in tests/ewers/management/commands/, the outlines
maps draw in test_geometry.py."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from shapely.geometry import shape

from ewers.boundaries import BoundaryImportError, boundaries_import
from ewers.choices import RegionLevel
from ewers.models import Region
from ewers.services import region_upsert
from tests import factories
from tests.ewers.conftest import (
    HOSTILE,
    _hostile_bytes,
    circle,
    collection,
    command_args,
    feature,
    import_communities,
    rows,
)

IMPORT_URL = "admin:ewers_region_import_boundaries"


def writes(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].split()[0].upper() in {"INSERT", "UPDATE", "DELETE"}]


# --- The service ------------------------------------------------------------------------


def test_it_creates_places_under_their_parents(tree):
    boundary = circle(101, 1)
    result = import_communities(
        json.dumps(collection(feature("T-1-1-3", "Kampung Seri", geometry=boundary), feature(104, "Taman Jaya")))
    )
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    made = Region.objects.get(code="T-1-1-3")
    assert (made.name, made.level, made.parent, made.district, made.region, made.country) == (
        "Kampung Seri",
        RegionLevel.COMMUNITY,
        tree["district"],
        tree["district"],
        tree["region"],
        tree["country"],
    )
    assert made.boundary == boundary
    assert Region.objects.get(code="104").name == "Taman Jaya"  # numeric codes are taken as text


def test_a_second_run_of_the_same_file_changes_nothing(tree, tmp_path):
    path = tmp_path / "communities.geojson"
    path.write_text(json.dumps(collection(feature("T-1-1-3", geometry=circle(101, 1)), feature("T-1-1-4"))))
    import_communities(path)
    before = rows()
    with CaptureQueriesContext(connection) as queries:
        again = import_communities(path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert writes(queries.captured_queries) == []
    assert rows() == before


def test_an_edited_file_updates_name_boundary_and_parent(tree):
    other_district, _ = region_upsert(
        code="T-1-2", name="Second district", level=RegionLevel.DISTRICT, parent=tree["region"]
    )
    import_communities(
        collection(feature("T-1-1-3", "Old name"), feature("T-1-1-4"), feature("T-1-1-5"), feature("T-1-1-6"))
    )
    result = import_communities(
        collection(
            feature("T-1-1-3", "New name"),
            feature("T-1-1-4", geometry=circle(101.2, 1.2)),
            feature("T-1-1-5", parent="T-1-2"),
            feature("T-1-1-6"),
        ),
        allow_moves=True,
    )
    assert (result.created, result.updated, result.moved, result.unchanged) == (0, 2, 1, 1)
    assert result.renames == ["Old name → New name (T-1-1-3)"]
    assert Region.objects.get(code="T-1-1-3").name == "New name"
    assert Region.objects.get(code="T-1-1-4").boundary == circle(101.2, 1.2)
    moved = Region.objects.get(code="T-1-1-5")
    assert (moved.parent, moved.district) == (other_district, other_district)


def test_places_loaded_before_outlines_existed_get_one(tree):
    # A place stored before outlines existed: a boundary, no outline.
    Region.objects.filter(code="T-1-1-1").update(outline=None)
    result = import_communities(
        collection(feature("T-1-1-1", tree["c1"].name, geometry=tree["c1"].boundary)),
    )
    assert (result.created, result.updated, result.unchanged) == (0, 1, 0)
    assert Region.objects.get(code="T-1-1-1").outline is not None


def test_a_dry_run_counts_and_writes_nothing(tree):
    before = rows()
    result = import_communities(collection(feature("T-1-1-3"), feature("T-1-1-1", "Renamed")), dry_run=True)
    assert (result.created, result.updated, result.unchanged, result.dry_run) == (1, 1, 0, True)
    assert rows() == before


def test_many_places_are_written_in_a_few_queries(tree):
    features = [
        feature(f"T-1-1-{i}", f"Place {i}", geometry=circle(101 + i / 1000, 1, 0.0004, points=24))
        for i in range(3, 1003)
    ]
    with CaptureQueriesContext(connection) as queries:
        result = import_communities(collection(*features))
    assert (result.created, result.updated, result.unchanged) == (1000, 0, 0)
    assert len(queries.captured_queries) < 30
    made = Region.objects.get(code="T-1-1-700")
    assert (made.district, made.region, made.country) == (tree["district"], tree["region"], tree["country"])
    assert made.outline is not None


def test_a_district_moved_by_an_import_takes_its_communities_along(tree):
    other_region, _ = region_upsert(
        code="T-2", name="Second region", level=RegionLevel.REGION, parent=tree["region"].country
    )
    districts = collection(
        {
            "type": "Feature",
            "properties": {"c": "T-1-1", "n": "T district", "p": "T-2"},
            "geometry": factories.square(100, 1, 1),
        },
        {
            "type": "Feature",
            "properties": {"c": "T-2-1", "n": "New district", "p": "T-2"},
            "geometry": factories.square(102, 1, 1),
        },
    )
    result = boundaries_import(
        source=districts,
        level=RegionLevel.DISTRICT,
        code_property="c",
        name_property="n",
        parent_property="p",
        allow_moves=True,
    )
    assert (result.created, result.moved, result.unchanged) == (1, 1, 0)
    assert result.moves == ["T district (T-1-1): from T region to Second region, moves 2 communities"]
    below = Region.objects.filter(code__startswith="T-1-1-")
    assert set(below.values_list("region__code", "district__code")) == {("T-2", "T-1-1")}
    assert Region.objects.get(code="T-1-1").outline is not None
    assert Region.objects.get(code="T-2-1").region == other_region


def test_it_loads_a_country_and_its_regions_top_down(db):
    land = collection(
        {"type": "Feature", "properties": {"iso": "ZZ", "label": "Zedland"}, "geometry": factories.square(10, 10, 4)}
    )
    boundaries_import(source=land, level=RegionLevel.COUNTRY, code_property="iso", name_property="label")
    regions = collection(
        {
            "type": "Feature",
            "properties": {"id": "ZZ-N", "label": "North", "iso": "ZZ"},
            "geometry": factories.square(10, 12, 2),
        }
    )
    boundaries_import(
        source=regions, level=RegionLevel.REGION, code_property="id", name_property="label", parent_property="iso"
    )
    assert Region.objects.get(code="ZZ-N").parent == Region.objects.get(code="ZZ", level=RegionLevel.COUNTRY)


BOW_TIE = {"type": "Polygon", "coordinates": [[[101, 1], [101.1, 1.1], [101.1, 1], [101, 1.1], [101, 1]]]}
GOOD = feature("T-1-1-9")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "The file is not JSON"),
        (b"", "The file is empty"),
        (json.dumps(GOOD), "must be a GeoJSON FeatureCollection, not 'Feature'"),
        (json.dumps([GOOD]), "must be a GeoJSON FeatureCollection, not 'list'"),
        (json.dumps(collection()), "has no features"),
        (collection(GOOD, "feature"), "features[1]: not a GeoJSON Feature"),
        (
            collection(GOOD, feature("T-1-1-8", geometry={"type": "Point", "coordinates": [101, 1]})),
            "features[1] (T-1-1-8): A boundary must be a Polygon or MultiPolygon, not 'Point'",
        ),
        (
            collection(GOOD, feature("T-1-1-8", geometry=None) | {"geometry": None}),
            "features[1] (T-1-1-8): it has no geometry",
        ),
        (
            collection(
                GOOD,
                feature(
                    "T-1-1-8", geometry={"type": "Polygon", "coordinates": [[[101, 1], [102, 1], [102, 2], [101, 2]]]}
                ),
            ),
            "features[1] (T-1-1-8): Polygon ring 0: a linear ring must end where it starts",
        ),
        (
            collection(GOOD, feature("T-1-1-8", geometry=factories.square(179.9, 1))),
            "features[1] (T-1-1-8): Polygon ring 0 position 1: [180.4, 1] is outside longitude",
        ),
        (
            collection(
                GOOD,
                feature(
                    "T-1-1-8", geometry={"type": "Polygon", "coordinates": [[[101, 1], ["102", 1], [102, 2], [101, 1]]]}
                ),
            ),
            "coordinates must be finite numbers",
        ),
        (
            json.dumps(collection(GOOD, feature("T-1-1-8", geometry=factories.square(101, 1)))).replace(
                "101.5, 1]", "NaN, 1]", 1
            ),
            "coordinates must be finite numbers",
        ),
        (collection(GOOD, feature(None)), "features[1]: no code in property “CODE”"),
        (
            collection(GOOD, feature("bad code!")),
            "features[1] (bad code!): the code 'bad code!' is not valid: Use letters, digits",
        ),
        (collection(GOOD, feature("X" * 65)), "the code is longer than 64 characters"),
        (collection(GOOD, feature("T-1-1-8", name="N" * 201)), "the name is longer than 200 characters"),
        (collection(GOOD, feature("T-1-1-8", name="  ")), "features[1] (T-1-1-8): no name in property “NAME”"),
        (collection(GOOD, feature("T-1-1-8", parent=None)), "no parent code in property “DISTRICT”"),
        (collection(GOOD, feature("T-1-1-9")), "features[1] (T-1-1-9): the code is also used by features[0]"),
        (collection(GOOD, feature("T-1-1-8", parent="NOWHERE")), "no district of T land has the code 'NOWHERE'"),
        (
            collection(GOOD, feature("T-1-1-8", parent="T-1")),
            "the parent T-1 is a region; a community must sit inside a district",
        ),
        (collection(GOOD, feature("T-1-1")), "features[1] (T-1-1): the code already belongs to a district"),
        (collection(GOOD, feature("T-1-1-8", geometry=BOW_TIE)), "the geometry is not valid (Self-intersection"),
    ],
)
def test_a_bad_file_is_refused_with_a_clear_message_and_nothing_written(tree, content, message):
    before = rows()
    with pytest.raises(BoundaryImportError) as refused:
        import_communities(content)
    assert any(message in line for line in refused.value.messages), refused.value.messages
    assert rows() == before


def test_every_problem_is_listed_at_once(tree):
    with pytest.raises(BoundaryImportError) as refused:
        import_communities(collection(feature(None), feature("T-1-1-8", name=""), feature("X", parent="NOWHERE")))
    assert len(refused.value.messages) == 4  # three problems and "Nothing was imported."
    assert refused.value.messages[-1] == "Nothing was imported."


def test_a_bow_tie_is_mended_when_repair_is_on(tree):
    result = import_communities(collection(feature("T-1-1-8", geometry=BOW_TIE)), repair=True)
    assert (result.created, result.repaired) == (1, 1)
    stored = Region.objects.get(code="T-1-1-8")
    assert stored.boundary["type"] == "MultiPolygon"
    assert shape(stored.boundary).is_valid


def test_a_file_above_the_limit_is_refused_before_it_is_read(tree, settings, tmp_path):
    settings.EWERS_BOUNDARY_MAX_BYTES = 100
    path = tmp_path / "big.geojson"
    path.write_text(json.dumps(collection(GOOD)))
    with pytest.raises(BoundaryImportError, match="at most 100 bytes"):
        import_communities(path)


def test_below_a_country_the_parent_property_is_required(tree):
    with pytest.raises(BoundaryImportError, match="name the property that holds the parent's code"):
        import_communities(collection(GOOD), parent_property=None)


# --- The admin page -------------------------------------------------------------------------


@pytest.fixture
def admin_client(cast, client):
    client.force_login(cast.admin)
    return client


def upload(content: dict | bytes, **fields):
    data = json.dumps(content).encode() if isinstance(content, dict) else content
    values = {
        "file": SimpleUploadedFile("communities.geojson", data, content_type="application/geo+json"),
        "level": "community",
        "code_property": "CODE",
        "name_property": "NAME",
        "parent_property": "DISTRICT",
    }
    values.update(fields)
    return values


def test_the_region_list_links_to_the_import_page(admin_client):
    listing = admin_client.get(reverse("admin:ewers_region_changelist"))
    assert reverse(IMPORT_URL) in listing.content.decode()
    page = admin_client.get(reverse(IMPORT_URL))
    assert page.status_code == 200
    assert "parent property" in page.content.decode()


def test_an_administrator_uploads_a_file(admin_client, cast):
    response = admin_client.post(reverse(IMPORT_URL), upload(collection(feature("T-1-1-3"))))
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:ewers_region_changelist")
    assert Region.objects.get(code="T-1-1-3").parent == cast.places["district"]
    followed = admin_client.get(response["Location"]).content.decode()
    assert "1 created, 0 updated, 0 unchanged." in followed


def test_a_dry_run_upload_shows_the_counts_and_writes_nothing(admin_client, cast):
    response = admin_client.post(reverse(IMPORT_URL), upload(collection(feature("T-1-1-3")), dry_run="on"))
    assert response.status_code == 200
    assert "Dry run, nothing written: 1 created, 0 updated, 0 unchanged." in response.content.decode()
    assert not Region.objects.filter(code="T-1-1-3").exists()


def test_a_bad_upload_lists_its_problems_and_writes_nothing(admin_client, cast):
    before = rows()
    response = admin_client.post(reverse(IMPORT_URL), upload(collection(feature("T-1-1-3", parent="NOWHERE"))))
    assert response.status_code == 200
    assert "No district has the parent codes of this file" in response.content.decode()
    response = admin_client.post(reverse(IMPORT_URL), upload(b"not json at all"))
    assert "The file is not JSON" in response.content.decode()
    assert rows() == before


def test_the_upload_form_checks_its_fields(admin_client, cast, settings):
    response = admin_client.post(reverse(IMPORT_URL), upload(collection(feature("T-1-1-3")), parent_property=""))
    assert response.status_code == 200
    assert "Below a country, name the property" in response.content.decode()
    settings.EWERS_BOUNDARY_ADMIN_MAX_BYTES = 50
    response = admin_client.post(reverse(IMPORT_URL), upload(collection(feature("T-1-1-3"))))
    assert "at most 50 bytes can be uploaded here" in response.content.decode()
    assert "import_boundaries management command" in response.content.decode()
    assert not Region.objects.filter(code="T-1-1-3").exists()


def test_the_upload_has_a_lower_limit_than_the_command(admin_client, cast, settings, tmp_path):
    settings.EWERS_BOUNDARY_MAX_BYTES = 10_000_000
    settings.EWERS_BOUNDARY_ADMIN_MAX_BYTES = 100
    content = collection(feature("T-1-1-3"))
    response = admin_client.post(reverse(IMPORT_URL), upload(content))
    assert response.status_code == 200
    assert "at most 100 bytes can be uploaded here" in response.content.decode()
    assert not Region.objects.filter(code="T-1-1-3").exists()
    # The command takes the same file.
    path = tmp_path / "communities.geojson"
    path.write_text(json.dumps(content))
    call_command("import_boundaries", *command_args(path))
    assert Region.objects.filter(code="T-1-1-3").exists()


@pytest.mark.parametrize(("content", "message"), HOSTILE)
def test_a_hostile_upload_is_refused_with_a_message_not_a_500(admin_client, cast, content, message):
    before = rows()
    response = admin_client.post(reverse(IMPORT_URL), upload(_hostile_bytes(content), dry_run=""))
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    assert "Nothing was imported." in page
    assert rows() == before


def test_only_administrators_may_import(cast, client):
    client.force_login(cast.analyst)  # not staff: sent to the admin login
    response = client.get(reverse(IMPORT_URL))
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]
    cast.coordinator.is_staff = True  # staff, but not an administrator
    cast.coordinator.save()
    client.force_login(cast.coordinator)
    assert client.get(reverse(IMPORT_URL)).status_code == 403
    assert client.post(reverse(IMPORT_URL), upload(collection(feature("T-1-1-3")))).status_code == 403
    assert not Region.objects.filter(code="T-1-1-3").exists()


def test_the_upload_needs_the_csrf_token(cast):
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.admin)
    assert client.post(reverse(IMPORT_URL), upload(collection(feature("T-1-1-3")))).status_code == 403
    assert not Region.objects.filter(code="T-1-1-3").exists()


def test_editing_a_boundary_in_the_admin_redraws_the_outline(admin_client, cast):
    community = cast.places["c1"]
    url = reverse("admin:ewers_region_change", args=[community.pk])
    form = {
        "name": community.name,
        "level": community.level,
        "parent": community.parent_id,
        "boundary": json.dumps(circle(100.2, 1.2)),
    }
    assert admin_client.post(url, form).status_code == 302
    assert shape(Region.objects.get(pk=community.pk).outline).within(shape(circle(100.2, 1.2)).buffer(0.01))
    response = admin_client.post(url, {**form, "boundary": json.dumps(BOW_TIE)})
    assert response.status_code == 200
    assert "The boundary is not a valid polygon: Self-intersection" in response.content.decode()
