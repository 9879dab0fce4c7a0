"""Boundary imports bound to one country (ewers/boundaries.py, boundary_plan.py): codes that
clash across countries, moves listed and refused then allowed, parents by name, the
containment check, dissolved parents, the record and its undo, and deleting places.

Generated data: two countries side by side in the tests' own coordinates, Malaysia-like
"MY" with states "01" and "02", Indonesia-like "ID" whose provinces reuse "01" and "02"."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from shapely.geometry import shape

from alerts.models import Alert
from ewers.apps import administrators_refresh
from ewers.boundaries import BoundaryImportError, boundaries_import
from ewers.choices import RegionLevel, RiskLevel
from ewers.models import BoundaryImport, Region
from ewers.services import boundary_import_undo, region_delete, region_upsert
from tests import factories
from tests.ewers.conftest import collection


def place(code, name, parent=None, geometry=None, **extra):
    properties = {"code": code, "name": name, **extra}
    if parent is not None:
        properties["parent"] = parent
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def load(features, level, **options):
    values = {"code_property": "code", "name_property": "name", "parent_property": "parent"}
    values.update(options)
    return boundaries_import(source=collection(*features), level=level, **values)


def snapshot(country_code):
    """Every stored field of a country's places, to show that an import left them alone."""
    rows = Region.objects.filter(country__code=country_code, country__level=RegionLevel.COUNTRY)
    fields = ("pk", "code", "name", "level", "parent_id", "region_id", "district_id", "boundary", "outline")
    return sorted(rows.values_list(*fields))


@pytest.fixture
def my(db):
    """Malaysia-like: two states, three districts, three communities."""
    load([place("MY", "Malaysia", geometry=factories.square(100, 1, 4))], RegionLevel.COUNTRY)
    load(
        [
            place("01", "Johor", "MY", factories.square(100, 1, 2)),
            place("02", "Selangor", "MY", factories.square(102, 1, 2)),
        ],
        RegionLevel.REGION,
    )
    load(
        [
            place("01-A", "Batu Pahat", "01", factories.square(100, 1, 1)),
            place("01-B", "Kluang", "01", factories.square(101, 1, 1)),
            place("02-A", "Klang", "02", factories.square(102, 1, 1)),
        ],
        RegionLevel.DISTRICT,
        country="MY",
    )
    load(
        [
            place("01-B-1", "Kampung Satu", "01-B", factories.square(101, 1, 0.5)),
            place("01-B-2", "Kampung Dua", "01-B", factories.square(101.5, 1, 0.5)),
            place("02-A-1", "Kampung Tiga", "02-A", factories.square(102, 1, 0.5)),
        ],
        RegionLevel.COMMUNITY,
        country="MY",
    )
    return Region.objects.get(code="MY", level=RegionLevel.COUNTRY)


@pytest.fixture
def indonesia(my):
    load([place("ID", "Indonesia", geometry=factories.square(110, -5, 4))], RegionLevel.COUNTRY)
    return Region.objects.get(code="ID", level=RegionLevel.COUNTRY)


def my_place(code):
    return Region.objects.get(code=code, country__code="MY")


def a_case_on(community):
    """A field report and an open alert on ``community``."""
    organisation = factories.make_organisation(coverage=[community])
    user = factories.make_user(f"analyst-{community.code}", organisation)
    factories.make_report(user, community, factories.make_indicator(), value=1)
    return Alert.objects.create(community=community, level=RiskLevel.HIGH)


# --- Two countries, clashing codes ------------------------------------------------------


def test_clashing_codes_of_another_country_touch_nothing_of_the_first(my, indonesia):
    before = snapshot("MY")
    provinces = [
        place("01", "Aceh", "ID", factories.square(110, -5, 2)),
        place("02", "Sumatera Utara", "ID", factories.square(112, -5, 2)),
        place("03", "Riau", "ID", factories.square(110, -3, 2)),
    ]
    dry = load(provinces, RegionLevel.REGION, dry_run=True)
    assert (dry.created, dry.updated, dry.moved, dry.renames, dry.moves) == (3, 0, 0, [], [])
    result = load(provinces, RegionLevel.REGION)
    assert (result.created, result.updated, result.moved, result.country) == (3, 0, 0, "ID")
    assert snapshot("MY") == before
    assert set(Region.objects.filter(code="01").values_list("name", "country__code")) == {
        ("Johor", "MY"),
        ("Aceh", "ID"),
    }


def test_an_import_bound_to_one_country_never_matches_the_other(my, indonesia):
    load([place("01", "Aceh", "ID", factories.square(110, -5, 2))], RegionLevel.REGION)
    before = snapshot("MY")
    # Districts of Indonesia naming province "01": bound to ID, they go under Aceh, not Johor.
    result = load([place("01-A", "Simeulue", "01", factories.square(110, -5, 1))], RegionLevel.DISTRICT, country="ID")
    assert result.created == 1
    assert snapshot("MY") == before
    made = Region.objects.get(code="01-A", country=indonesia)
    assert (made.parent.name, made.region.country) == ("Aceh", indonesia)


def test_a_file_spanning_two_countries_is_refused_and_asks_for_one(my, indonesia):
    features = [place("09", "Nine", "MY"), place("10", "Ten", "ID")]
    for feature in features:
        feature["geometry"] = factories.square(100, 1, 0.5)
    with pytest.raises(BoundaryImportError, match="spans several countries"):
        load(features, RegionLevel.REGION)


def test_a_country_import_bound_to_one_code_refuses_another(db):
    with pytest.raises(BoundaryImportError, match="bound to the country MY"):
        load([place("ID", "Indonesia", geometry=factories.square(0, 0))], RegionLevel.COUNTRY, country="MY")


# --- Renames and moves ------------------------------------------------------------------


def test_a_move_is_listed_by_name_refused_then_allowed(my):
    a_case_on(my_place("01-B-1"))
    districts = [place("01-B", "Kluang Baru", "02", factories.square(102.5, 2, 1))]
    dry = load(districts, RegionLevel.DISTRICT, country="MY", dry_run=True)
    assert dry.renames == ["Kluang → Kluang Baru (01-B)"]
    assert len(dry.moves) == 1
    assert dry.moves[0].startswith("Kluang (01-B): from Johor to Selangor, moves 2 communities, ")
    assert "1 field report" in dry.moves[0] and "1 open alert" in dry.moves[0]
    before = snapshot("MY")
    with pytest.raises(BoundaryImportError, match="would move to another parent") as refused:
        load(districts, RegionLevel.DISTRICT, country="MY")
    assert refused.value.messages[0] == dry.moves[0]
    assert snapshot("MY") == before
    result = load(districts, RegionLevel.DISTRICT, country="MY", allow_moves=True)
    assert (result.moved, result.created) == (1, 0)
    community = my_place("01-B-1")
    assert (community.district.name, community.region.name) == ("Kluang Baru", "Selangor")


def test_the_command_refuses_a_move_without_allow_moves(my, tmp_path, capsys):
    path = tmp_path / "districts.geojson"
    path.write_text(json.dumps(collection(place("01-A", "Batu Pahat", "02", factories.square(102.2, 2.2, 0.5)))))
    args = [str(path), "--level", "district", "--code-property", "code", "--name-property", "name"]
    args += ["--parent-property", "parent", "--country", "MY"]
    call_command("import_boundaries", *args, "--dry-run")
    out = capsys.readouterr().out
    assert "Moves: Batu Pahat (01-A): from Johor to Selangor, moves nothing below it" in out
    assert "A real run needs --allow-moves" in out
    with pytest.raises(CommandError, match="was not imported"):
        call_command("import_boundaries", *args)
    assert "would move to another parent" in capsys.readouterr().err
    assert my_place("01-A").parent.code == "01"
    call_command("import_boundaries", *args, "--allow-moves")
    assert my_place("01-A").parent.code == "02"
    assert "undo_boundary_import" in capsys.readouterr().out


# --- Parents by name --------------------------------------------------------------------


def test_parents_are_matched_by_name(my):
    districts = [place("02-B", "Petaling", " selangor ", factories.square(103, 1, 1))]
    result = load(districts, RegionLevel.DISTRICT, country="MY", parent_match="name")
    assert result.created == 1
    assert my_place("02-B").parent == my_place("02")


def test_unknown_and_ambiguous_parent_names_are_refused_per_row(my):
    load([place("03", "Selangor", "MY", factories.square(100, 3, 1))], RegionLevel.REGION)  # a second "Selangor"
    districts = [
        place("X-1", "One", "Nowhere", factories.square(100, 1, 0.2)),
        place("X-2", "Two", "Selangor", factories.square(102, 1, 0.2)),
    ]
    with pytest.raises(BoundaryImportError) as refused:
        load(districts, RegionLevel.DISTRICT, country="MY", parent_match="name")
    assert refused.value.messages[:2] == [
        "features[0] (X-1): no region of Malaysia is named 'Nowhere'.",
        "features[1] (X-2): 2 places of Malaysia are named 'Selangor' (02, 03); match by code.",
    ]
    assert not Region.objects.filter(code__startswith="X-").exists()


# --- Containment ------------------------------------------------------------------------


def test_a_child_mostly_outside_its_parent_is_refused_or_warned_when_lenient(my):
    # Johor is [100, 102] x [1, 3]; this district lies 75% east of it.
    districts = [place("01-C", "Stray", "01", factories.square(101.5, 1, 2))]
    with pytest.raises(BoundaryImportError, match=r"only 25% of its area lies inside its parent Johor \(01\)"):
        load(districts, RegionLevel.DISTRICT, country="MY")
    assert not Region.objects.filter(code="01-C").exists()
    result = load(districts, RegionLevel.DISTRICT, country="MY", lenient=True)
    assert result.created == 1
    assert result.warnings == [
        "features[0] (01-C): only 25% of its area lies inside its parent Johor (01) (at least 50% needed)."
    ]


# --- Dissolving parents -----------------------------------------------------------------


def test_dissolve_parents_builds_the_regions_from_their_districts(indonesia):
    districts = [
        place("11-1", "Simeulue", "11", factories.square(110, -5, 1), province="Aceh"),
        place("11-2", "Singkil", "11", factories.square(111, -5, 1), province="Aceh"),
        place("12-1", "Nias", "12", factories.square(112, -5, 1), province="Sumatera Utara"),
    ]
    result = load(districts, RegionLevel.DISTRICT, country="ID", dissolve_parents=True, parent_name_property="province")
    assert (result.created, result.parents_created) == (3, 2)
    aceh = Region.objects.get(code="11", country=indonesia)
    assert (aceh.name, aceh.level, aceh.parent) == ("Aceh", RegionLevel.REGION, indonesia)
    assert shape(aceh.boundary).area == pytest.approx(2.0)
    assert shape(aceh.boundary).geom_type == "Polygon"  # the two districts' shared border is gone
    assert set(Region.objects.filter(parent=aceh).values_list("code", flat=True)) == {"11-1", "11-2"}
    record = BoundaryImport.objects.get(pk=result.record_id)
    assert record.created_count == 5


def test_a_dissolve_dry_run_writes_nothing(indonesia):
    before = Region.objects.count()
    result = load(
        [place("11-1", "Simeulue", "11", factories.square(110, -5, 1))],
        RegionLevel.DISTRICT,
        country="ID",
        dissolve_parents=True,
        dry_run=True,
    )
    assert (result.created, result.parents_created) == (1, 1)
    assert Region.objects.count() == before


# --- The record, undo, delete -----------------------------------------------------------


def test_every_import_is_recorded_and_can_be_undone(my):
    before = snapshot("MY")
    user = factories.make_user("admin-1", factories.make_organisation())
    features = [
        place("01-B", "Kluang Renamed", "01", factories.square(101, 1, 1)),
        place("01-D", "Mersing", "01", factories.square(100, 2, 1)),
    ]
    result = boundaries_import(
        source=collection(*features),
        level=RegionLevel.DISTRICT,
        code_property="code",
        name_property="name",
        parent_property="parent",
        country="MY",
        file_name="districts.geojson",
        user=user,
    )
    record = BoundaryImport.objects.get(pk=result.record_id)
    assert (record.created_by, record.file_name, record.country_code, record.level) == (
        user,
        "districts.geojson",
        "MY",
        RegionLevel.DISTRICT,
    )
    assert len(record.file_sha256) == 64
    assert (record.created_count, record.updated_count, record.moved_count) == (1, 1, 0)
    assert record.created_ids == [my_place("01-D").pk]
    call_command("undo_boundary_import", str(record.pk))
    assert snapshot("MY") == before
    record.refresh_from_db()
    assert record.undone_at is not None


def test_undo_moves_back_what_went_under_a_place_the_import_created(my):
    before = snapshot("MY")
    features = [place("01-B", "Kluang", "03", factories.square(101, 1, 1), state="Pahang")]
    options = {"country": "MY", "dissolve_parents": True, "parent_name_property": "state"}
    with pytest.raises(BoundaryImportError, match="would move to another parent"):
        load(features, RegionLevel.DISTRICT, **options)
    assert snapshot("MY") == before  # the dissolved region was rolled back with the refusal
    result = load(features, RegionLevel.DISTRICT, allow_moves=True, **options)
    assert my_place("01-B").parent.name == "Pahang"
    assert my_place("01-B-1").region.name == "Pahang"
    boundary_import_undo(record=BoundaryImport.objects.get(pk=result.record_id))
    assert snapshot("MY") == before


def test_undo_is_refused_once_a_report_is_logged_on_a_created_place(my):
    result = load([place("02-A-9", "Kampung Baru", "02-A", factories.square(102.5, 1, 0.5))], RegionLevel.COMMUNITY)
    created = my_place("02-A-9")
    organisation = factories.make_organisation(coverage=[created])
    report_user = factories.make_user("analyst-9", organisation)
    factories.make_report(report_user, created, factories.make_indicator(), value=1)
    record = BoundaryImport.objects.get(pk=result.record_id)
    with pytest.raises(ValidationError, match=r"now have cases .*field report.*: it can no longer be undone"):
        boundary_import_undo(record=record)
    with pytest.raises(CommandError, match="can no longer be undone"):
        call_command("undo_boundary_import", str(record.pk))
    assert Region.objects.filter(pk=created.pk).exists()


def test_an_earlier_import_is_undone_only_after_the_later_ones(my):
    first = load([place("01-E", "Segamat", "01", factories.square(100, 2, 0.5))], RegionLevel.DISTRICT, country="MY")
    load([place("01-F", "Muar", "01", factories.square(100.5, 2, 0.5))], RegionLevel.DISTRICT, country="MY")
    with pytest.raises(ValidationError, match="A later import of MY must be undone first"):
        boundary_import_undo(record=BoundaryImport.objects.get(pk=first.record_id))


def test_a_place_without_cases_is_deleted_one_with_cases_is_not(my):
    region_delete(region=my_place("02-A-1"))
    assert not Region.objects.filter(code="02-A-1").exists()
    with pytest.raises(ValidationError, match="has places below it"):
        region_delete(region=my_place("01-B"))
    a_case_on(my_place("01-B-1"))
    with pytest.raises(ValidationError, match=r"has cases \(1 alert, .*1 field report.*\); a place with cases"):
        region_delete(region=my_place("01-B-1"))
    assert Region.objects.filter(code="01-B-1").exists()


# --- The admin ------------------------------------------------------------------------------

IMPORT_URL = "admin:ewers_region_import_boundaries"


def upload(features, **fields):
    values = {
        "file": SimpleUploadedFile("communities.geojson", json.dumps(collection(*features)).encode()),
        "level": "community",
        "code_property": "code",
        "name_property": "name",
        "parent_property": "parent",
    }
    values.update(fields)
    return values


def test_the_admin_asks_consent_for_the_moves_a_dry_run_found(admin_client, cast):
    region_upsert(code="T-1-2", name="East district", level=RegionLevel.DISTRICT, parent=cast.places["region"])
    moving = [place("T-1-1-1", "T village one", "T-1-2", factories.square(100, 1))]
    page = admin_client.post(reverse(IMPORT_URL), upload(moving, dry_run="on"))
    html = page.content.decode()
    assert "T village one (T-1-1-1): from T district to East district, moves nothing below it" in html
    assert 'type="checkbox" name="allow_moves"' in html
    assert 'name="moves_listed"' in html
    refused = admin_client.post(reverse(IMPORT_URL), upload(moving, moves_listed="1"))
    assert refused.status_code == 200
    assert "would move to another parent" in refused.content.decode()
    assert Region.objects.get(code="T-1-1-1").parent.code == "T-1-1"
    done = admin_client.post(reverse(IMPORT_URL), upload(moving, moves_listed="1", allow_moves="on"))
    assert done.status_code == 302
    assert Region.objects.get(code="T-1-1-1").parent.code == "T-1-2"
    record = BoundaryImport.objects.get()
    assert (record.created_by, record.file_name, record.moved_count) == (cast.admin, "communities.geojson", 1)
    # The undo action in the list of imports puts it back.
    listing = reverse("admin:ewers_boundaryimport_changelist")
    admin_client.post(listing, {"action": "undo", "_selected_action": [record.pk]})
    assert Region.objects.get(code="T-1-1-1").parent.code == "T-1-1"


def test_the_admin_page_hides_the_consent_before_a_dry_run(admin_client, cast):
    html = admin_client.get(reverse(IMPORT_URL)).content.decode()
    assert 'type="checkbox" name="allow_moves"' not in html
    assert 'name="country"' in html and 'name="parent_match"' in html


def test_the_admin_deletes_a_place_without_cases_and_refuses_one_with_cases(admin_client, cast):
    factories.make_report(cast.analyst, cast.places["c1"], cast.indicator, value=1)
    with_case = reverse("admin:ewers_region_delete", args=[cast.places["c1"].pk])
    page = admin_client.get(with_case)
    assert page.status_code == 200
    assert "a place with cases cannot be deleted" in page.content.decode()
    admin_client.post(with_case, {"post": "yes"})
    assert Region.objects.filter(pk=cast.places["c1"].pk).exists()
    without = reverse("admin:ewers_region_delete", args=[cast.places["c2"].pk])
    admin_client.post(without, {"post": "yes"})
    assert not Region.objects.filter(pk=cast.places["c2"].pk).exists()


def test_a_bad_file_on_the_admin_page_is_listed_never_a_500(admin_client, cast):
    for content in (b"\xff\xfe not json", b'{"type": "FeatureCollection", "features": [1]}'):
        values = upload([], file=SimpleUploadedFile("bad.geojson", content), country=cast.places["country"].pk)
        page = admin_client.post(reverse(IMPORT_URL), values)
        assert page.status_code == 200
        assert 'id="boundary-problems"' in page.content.decode()
    assert not BoundaryImport.objects.exists()


def test_migrate_gives_an_existing_administrators_group_the_new_permissions(cast):
    group = Group.objects.get(name="Administrators")
    group.permissions.remove(*group.permissions.filter(codename__in=["delete_region", "view_boundaryimport"]))
    administrators_refresh()
    codenames = set(group.permissions.values_list("codename", flat=True))
    assert {"delete_region", "view_boundaryimport"} <= codenames
