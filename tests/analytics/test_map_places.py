"""The heatmap's places (issue 14): places without a boundary named under the map (the
user's share only), the parent's outline drawn around its children when it is simple, and
the Region filter's choices as a tree (country, then each region followed by its
districts) whatever the database sorts NULLs as."""

from __future__ import annotations

import json

from django.urls import reverse

from analytics import figures
from analytics.forms import HeatmapForm
from analytics.selectors import HeatmapArea, HeatmapQuery, parent_outline, region_filter_choices
from analytics.selectors.places import PARENT_OUTLINE_MAX_POINTS
from ewers.choices import RegionLevel
from ewers.models import Region
from ewers.services import region_upsert
from tests import factories


def page(client, user, **params):
    client.force_login(user)
    response = client.get(reverse("analytics:heatmap"), params)
    assert response.status_code == 200
    return response.content.decode()


def test_it_names_the_places_without_a_boundary_within_the_share(client, cast):
    district = cast.places["district"]
    for i in range(3):
        region_upsert(code=f"T-1-1-N{i}", name=f"Shapeless {i}", level=RegionLevel.COMMUNITY, parent=district)
    # Outside the analyst's share (another country): never named to them.
    region_upsert(
        code="U-1-1-N", name="Elsewhere shapeless", level=RegionLevel.COMMUNITY, parent=cast.other_places["district"]
    )
    html = page(client, cast.analyst, level="community")
    assert "3 communities have no boundary:" in html
    for i in range(3):
        assert f"Shapeless {i}</a>" in html
    assert "Elsewhere shapeless" not in html
    # The map still draws the two communities that have a shape.
    assert 'id="heatmap-map-shapes"' in html
    # One at district level: the district of the tree has no boundary.
    assert "1 district has no boundary:" in page(client, cast.analyst, level="district")


def test_it_says_nothing_when_every_place_has_a_boundary(client, cast):
    assert "no boundary:" not in page(client, cast.analyst, level="community")


def test_it_draws_the_parents_outline_around_its_children(client, cast):
    district = cast.places["district"]
    region_upsert(
        code=district.code,
        name=district.name,
        level=RegionLevel.DISTRICT,
        parent=cast.places["region"],
        boundary=factories.square(100, 1, size=2),
    )
    district.refresh_from_db()
    assert district.outline is not None
    html = page(client, cast.coordinator, level="community", region=district.code)
    assert 'id="heatmap-map-parent"' in html
    start = html.index('id="heatmap-map-parent" type="application/json">') + len(
        'id="heatmap-map-parent" type="application/json">'
    )
    feature = json.loads(html[start : html.index("</script>", start)])
    assert feature["type"] == "Feature"
    assert feature["geometry"] == district.outline
    # Not when the map is of the chosen area's own level, nor with no area chosen.
    assert 'id="heatmap-map-parent"' not in page(client, cast.coordinator, level="district", region=district.code)
    assert 'id="heatmap-map-parent"' not in page(client, cast.coordinator, level="community")


def test_it_draws_no_outline_that_is_not_simple(cast):
    district = cast.places["district"]
    query = HeatmapQuery(level="community", region=district)
    assert parent_outline(cast.coordinator, query) is None  # no boundary at all
    ring = [[100 + i / 10_000, 1.0] for i in range(PARENT_OUTLINE_MAX_POINTS)] + [[100.0, 2.0], [100.0, 1.0]]
    heavy = {"type": "Polygon", "coordinates": [ring]}
    Region.objects.filter(pk=district.pk).update(boundary=heavy, outline=None)
    assert parent_outline(cast.coordinator, query) is None
    light = factories.square(100, 1)
    Region.objects.filter(pk=district.pk).update(boundary=light, outline=None)
    assert json.loads(parent_outline(cast.coordinator, query)) == light
    # Outside the user's share: nothing, whatever the query names.
    other = cast.other_places["district"]
    Region.objects.filter(pk=other.pk).update(boundary=light)
    assert parent_outline(cast.analyst, HeatmapQuery(level="community", region=other)) is None


def test_the_map_figure_carries_the_parent_as_a_feature():
    area = HeatmapArea(pk=1, code="A", name="A", score=None, level=None, communities=1, assessed=0, open_alerts=0)
    area.geometry_json = json.dumps(factories.square(1, 1))
    drawn = figures.heatmap_map([area], ["/a"], parent=json.dumps(factories.square(0, 0, size=4)))
    assert drawn is not None
    assert 'id="heatmap-map-parent"' in drawn.parent
    assert '"type": "Feature"' in drawn.parent
    assert figures.heatmap_map([area], ["/a"]).parent == ""


def test_the_region_filter_is_a_tree(cast):
    country, region = cast.places["country"], cast.places["region"]
    # A second region whose district's code sorts before the region's own code, and a
    # second district of the first region.
    second, _ = region_upsert(code="T-B", name="B region", level=RegionLevel.REGION, parent=country)
    region_upsert(code="T-A-D", name="A district of B", level=RegionLevel.DISTRICT, parent=second)
    region_upsert(code="T-1-2", name="T district two", level=RegionLevel.DISTRICT, parent=region)
    region_upsert(code="T-1-1-9", name="A community", level=RegionLevel.COMMUNITY, parent=cast.places["district"])
    codes = [code for code, _name, _level in region_filter_choices(cast.coordinator)]
    assert codes == ["T", "T-1", "T-1-1", "T-1-2", "T-B", "T-A-D"]
    # The administrator sees both countries, each a tree of its own.
    everything = [code for code, _name, _level in region_filter_choices(cast.admin)]
    assert everything == ["T", "T-1", "T-1-1", "T-1-2", "T-B", "T-A-D", "U", "U-1", "U-1-1"]
    # The page's list: indented by level, in that order.
    choices = HeatmapForm({}, user=cast.coordinator).fields["region"].widget.choices
    assert [label for _code, label in choices][1:] == [
        "T land",
        "· T region",
        "· · T district",
        "· · T district two",
        "· B region",
        "· · A district of B",
    ]
