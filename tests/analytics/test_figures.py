"""The heatmap page's figures (analytics/figures.py): plain JSON that plotly accepts
unchanged, the shapes passed on as text, safely and once."""

from __future__ import annotations

import json

import plotly.graph_objects as go
from django.urls import reverse
from django.utils import timezone

from alerts.models import Alert
from analytics import figures
from analytics.selectors import IndicatorShare
from ewers.choices import RiskLevel
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


def test_it_writes_the_community_figures_as_plotly_would(client, cast, tree):
    """The community page's trend and explanation are plain dicts now: plotly accepts them
    unchanged, and they are what the graph_objects built before (bands as shapes)."""
    alert = Alert.objects.create(community=tree["c1"], level=RiskLevel.HIGH, opened_at=timezone.now())
    client.force_login(cast.coordinator)
    response = client.get(reverse("analytics:community", args=[tree["c1"].code]))
    trend = json.loads(json.dumps(response.context["trend_figure"]))
    assert json.loads(go.Figure(data=trend["data"], layout=trend["layout"]).to_json()) == trend
    assert trend["data"][1]["customdata"] == [[f"#{alert.pk}", "High"]]
    built = go.Figure(go.Scatter(x=trend["data"][0]["x"], y=trend["data"][0]["y"]))
    for i, colour in enumerate(("#5fb27a", "#e8c13f", "#f08c4a", "#b42318")):
        edges = [0, 25, 50, 75, 100]
        built.add_hrect(y0=edges[i], y1=edges[i + 1], fillcolor=colour, opacity=0.12, line_width=0, layer="below")
    assert trend["layout"]["shapes"] == json.loads(built.to_json())["layout"]["shapes"]
    shares = [IndicatorShare(code="P01", name="Tension", polarity="risk", amount=1.5, reports=2)]
    explanation = json.loads(json.dumps(figures.community_explanation(shares)))
    assert json.loads(go.Figure(data=explanation["data"], layout=explanation["layout"]).to_json()) == explanation
