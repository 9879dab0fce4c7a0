"""The heatmap page's figures (analytics/figures.py): plain JSON that plotly accepts
unchanged, the shapes passed on as text, safely and once."""

from __future__ import annotations

import json

import plotly.graph_objects as go
from django.urls import reverse

from ewers.models import Region


def script_json(body: str, element_id: str):
    start = body.index(f'<script id="{element_id}" type="application/json">')
    text = body[body.index(">", start) + 1 : body.index("</script>", start)]
    return json.loads(text)


def test_it_passes_the_shapes_on_safely_and_once(client, cast, tree):
    tree["c3"].name = "</script><script>alert(1)</script> & co"
    tree["c3"].save()
    client.force_login(cast.coordinator)
    response = client.get(reverse("analytics:heatmap"), {"level": "community"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "<script>alert(1)" not in body
    figure = script_json(body, "heatmap-map-figure")
    shapes = script_json(body, "heatmap-map-shapes")
    locations = [code for trace in figure["data"] for code in trace["locations"]]
    assert "geojson" not in str(figure["data"])
    assert sorted(feature["id"] for feature in shapes["features"]) == sorted(locations)
    stored = {r.code: r.outline or r.boundary for r in Region.objects.filter(code__in=locations)}
    assert {feature["id"]: feature["geometry"] for feature in shapes["features"]} == stored
    names = [row[0] for trace in figure["data"] for row in trace["customdata"]]
    assert "</script><script>alert(1)</script> & co" in names


def test_it_writes_figures_plotly_accepts_unchanged(client, cast, tree):
    client.force_login(cast.coordinator)
    # Communities: an assessed and a not assessed trace, both with shapes.
    response = client.get(reverse("analytics:heatmap"), {"level": "community"})
    assert len(response.context["map_figure"].figure["data"]) == 2
    for name in ("map_figure", "matrix_figure"):
        figure = response.context[name]
        figure = figure.figure if name == "map_figure" else figure
        plain = json.loads(json.dumps(figure))
        # Validation raises on an unknown key or a bad value; the round trip must change nothing.
        checked = json.loads(go.Figure(data=plain["data"], layout=plain["layout"]).to_json())
        assert checked == plain
