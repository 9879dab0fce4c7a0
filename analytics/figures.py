"""Plotly figures of the analytics pages, as plain JSON for a static script to draw.

Built with plotly's graph_objects and handed to the page through ``json_script``; the
page's static JS calls ``Plotly.newPlot``. Maps are ``Choroplethmap`` on the
"white-bg" style with no text layer: nothing is fetched from the internet.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import date
from typing import Any

import plotly.graph_objects as go
from django.conf import settings
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from analytics import heatmap
from analytics.selectors import AlertMark, HeatmapArea, IndicatorShare
from ewers.choices import RiskLevel
from indicators.models import RiskAssessment

# The fills of the level badges (static/css/ewers.css), low to critical, strong enough
# to read on a white map.
LEVEL_COLOURS = ("#5fb27a", "#e8c13f", "#f08c4a", "#b42318")
NOT_ASSESSED = "#d5dadf"
FONT = {"family": "system-ui, sans-serif", "size": 13, "color": "#1c2329"}


def _plain(figure: go.Figure) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(figure.to_json())
    return result


def level_colourscale() -> list[list[float | str]]:
    return heatmap.discrete_colourscale(tuple(settings.EWERS_LEVEL_BANDS), LEVEL_COLOURS)  # type: ignore[arg-type]


def level_label(level: str | None) -> str:
    return str(RiskLevel(level).label) if level in RiskLevel.values else _("Not assessed")


def _bounds(geometries: Sequence[dict[str, Any]]) -> tuple[float, float, float, float] | None:
    """West, south, east, north of the outer rings of Polygons and MultiPolygons."""
    west = south = math.inf
    east = north = -math.inf
    for geometry in geometries:
        coordinates = geometry.get("coordinates") or []
        polygons = coordinates if geometry.get("type") == "MultiPolygon" else [coordinates]
        for polygon in polygons:
            if not polygon:
                continue
            lons, lats = zip(*((point[0], point[1]) for point in polygon[0]), strict=True)
            west, east = min(west, *lons), max(east, *lons)
            south, north = min(south, *lats), max(north, *lats)
    if west == math.inf:
        return None
    return float(west), float(south), float(east), float(north)


def _view(geometries: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Centre and zoom that fit the areas in a plot about 900 × 560 pixels (MapLibre's
    world is 512 pixels wide at zoom 0)."""
    bounds = _bounds(geometries)
    if bounds is None:
        return {"center": {"lon": 0, "lat": 0}, "zoom": 1}
    west, south, east, north = bounds
    span_lon = max(east - west, 1e-3)
    # Latitude is stretched by Mercator; near the equator this is close enough.
    span_lat = max(north - south, 1e-3) / max(math.cos(math.radians((north + south) / 2)), 0.2)
    zoom = min(math.log2(900 / 512 * 360 / span_lon), math.log2(520 / 512 * 360 / span_lat)) - 0.15
    return {"center": {"lon": (west + east) / 2, "lat": (north + south) / 2}, "zoom": max(0.0, min(zoom, 14.0))}


def heatmap_map(areas: Sequence[HeatmapArea], links: Sequence[str]) -> dict[str, Any] | None:
    """The areas coloured by their level band; hover names score, level and open alerts;
    each point carries the link a click follows. None when no area has a shape."""
    drawn = [(area, link) for area, link in zip(areas, links, strict=True) if area.geometry]
    if not drawn:
        return None
    features = [
        {"type": "Feature", "id": area.code, "properties": {}, "geometry": area.geometry} for area, _link in drawn
    ]
    geojson = {"type": "FeatureCollection", "features": features}
    hover = (
        "<b>%{customdata[0]}</b><br>"
        + _("Score")
        + ": %{customdata[1]}<br>"
        + _("Level")
        + ": %{customdata[2]}<br>"
        + _("Open alerts")
        + ": %{customdata[3]}<extra></extra>"
    )

    labels = {level: level_label(level) for level in [*RiskLevel.values, None]}

    def customdata(area: HeatmapArea, link: str) -> list[Any]:
        score = "—" if area.score is None else f"{area.score:.0f}"
        return [area.name, score, labels.get(area.level, labels[None]), area.open_alerts, link]

    assessed = [(a, link) for a, link in drawn if a.score is not None]
    unassessed = [(a, link) for a, link in drawn if a.score is None]
    # Plotly validates the style; the per-area arrays and the shapes go in after it,
    # as plain JSON: validating and re-encoding thousands of polygons would cost more
    # than the rest of the page.
    traces: list[tuple[Any, list[tuple[HeatmapArea, str]], list[float]]] = []
    outline = {"line": {"color": "#ffffff", "width": 1}, "opacity": 0.85}
    if assessed:
        style = go.Choroplethmap(
            featureidkey="id",
            zmin=0,
            zmax=100,
            colorscale=level_colourscale(),
            marker=outline,
            colorbar={
                "title": {"text": _("Score")},
                "tickvals": [0, *settings.EWERS_LEVEL_BANDS, 100],
                "thickness": 14,
            },
            hovertemplate=hover,
            name=_("Assessed"),
        )
        traces.append((style, assessed, [a.score or 0.0 for a, _link in assessed]))
    if unassessed:
        style = go.Choroplethmap(
            featureidkey="id",
            colorscale=[[0, NOT_ASSESSED], [1, NOT_ASSESSED]],
            showscale=False,
            marker=outline,
            hovertemplate=hover,
            name=_("Not assessed"),
        )
        traces.append((style, unassessed, [0.0] * len(unassessed)))
    figure = go.Figure([style for style, _rows, _z in traces])
    figure.update_layout(
        map={"style": "white-bg", **_view([a.geometry for a, _link in drawn if a.geometry])},
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        height=560,
        font=FONT,
        showlegend=False,
    )
    plain = _plain(figure)
    for trace, (_style, rows, z) in zip(plain["data"], traces, strict=True):
        trace["geojson"] = geojson
        trace["locations"] = [a.code for a, _link in rows]
        trace["z"] = z
        trace["customdata"] = [customdata(a, link) for a, link in rows]
    return plain


def heatmap_matrix(
    labels: Sequence[str], weeks: Sequence[date], values: Sequence[Sequence[float | None]]
) -> dict[str, Any]:
    """The area × week matrix in the level colours; empty cells stay blank."""
    columns = [date_format(week, "j M") for week in weeks]
    figure = go.Figure(
        go.Heatmap(
            x=columns,
            y=list(labels),
            z=[list(row) for row in values],
            zmin=0,
            zmax=100,
            colorscale=level_colourscale(),
            hoverongaps=False,
            xgap=1,
            ygap=1,
            colorbar={
                "title": {"text": _("Score")},
                "tickvals": [0, *settings.EWERS_LEVEL_BANDS, 100],
                "thickness": 14,
            },
            hovertemplate="%{y}<br>" + _("Week of") + " %{x}<br>" + _("Score") + ": %{z:.0f}<extra></extra>",
        )
    )
    figure.update_layout(
        height=max(260, 80 + 22 * len(labels)),
        margin={"l": 10, "r": 10, "t": 10, "b": 40},
        font=FONT,
        xaxis={"type": "category", "side": "bottom"},
        yaxis={"type": "category", "autorange": "reversed", "automargin": True},
        plot_bgcolor="#ffffff",
    )
    return _plain(figure)


def community_trend(assessments: Sequence[RiskAssessment], marks: Sequence[AlertMark]) -> dict[str, Any]:
    """The score over time with the level bands behind it and alert events as markers."""
    traces: list[Any] = [
        go.Scatter(
            x=[a.assessed_at.isoformat() for a in assessments],
            y=[a.score for a in assessments],
            mode="lines+markers",
            line={"color": "#1f4e70", "width": 2, "shape": "hv"},
            marker={"size": 5},
            name=_("Score"),
            hovertemplate="%{x|%d %b %Y %H:%M}<br>" + _("Score") + ": %{y:.0f}<extra></extra>",
        )
    ]
    symbols = {"opened": "triangle-up", "escalated": "diamond", "closed": "circle-open"}
    names = {"opened": _("Alert opened"), "escalated": _("Alert escalated"), "closed": _("Alert closed")}
    for kind, symbol in symbols.items():
        chosen = [m for m in marks if m.kind == kind]
        if chosen:
            traces.append(
                go.Scatter(
                    x=[m.at.isoformat() for m in chosen],
                    y=[100] * len(chosen),
                    mode="markers",
                    marker={"symbol": symbol, "size": 12, "color": "#b42318"},
                    name=str(names[kind]),
                    customdata=[[f"#{m.alert_id}", level_label(m.level)] for m in chosen],
                    hovertemplate=str(names[kind]) + " %{customdata[0]} (%{customdata[1]})<br>%{x|%d %b %Y %H:%M}"
                    "<extra></extra>",
                )
            )
    figure = go.Figure(traces)
    edges = [0, *settings.EWERS_LEVEL_BANDS, 100]
    for i, colour in enumerate(LEVEL_COLOURS):
        figure.add_hrect(y0=edges[i], y1=edges[i + 1], fillcolor=colour, opacity=0.12, line_width=0, layer="below")
    figure.update_layout(
        height=340,
        margin={"l": 40, "r": 10, "t": 10, "b": 40},
        font=FONT,
        yaxis={"range": [0, 104], "title": {"text": _("Score")}},
        legend={"orientation": "h", "y": -0.2},
        plot_bgcolor="#ffffff",
    )
    return _plain(figure)


def community_explanation(shares: Sequence[IndicatorShare]) -> dict[str, Any]:
    """Each indicator's part of the raw score: risk to the right, resilience to the left."""
    ordered = list(reversed(shares))
    figure = go.Figure(
        go.Bar(
            x=[s.amount for s in ordered],
            y=[f"{s.name} ({s.code})" for s in ordered],
            orientation="h",
            marker={"color": ["#b42318" if s.amount > 0 else "#2f7d4f" for s in ordered]},
            hovertemplate="%{y}: %{x:+.2f}<extra></extra>",
        )
    )
    figure.update_layout(
        height=max(180, 60 + 28 * len(ordered)),
        margin={"l": 10, "r": 10, "t": 10, "b": 30},
        font=FONT,
        yaxis={"automargin": True},
        xaxis={"zeroline": True, "title": {"text": _("Contribution to the raw score")}},
        plot_bgcolor="#ffffff",
    )
    return _plain(figure)


def bar_chart(labels: Sequence[str], values: Sequence[float], colours: Sequence[str] | str) -> dict[str, Any]:
    figure = go.Figure(go.Bar(x=list(labels), y=list(values), marker={"color": colours}))
    figure.update_layout(height=260, margin={"l": 40, "r": 10, "t": 10, "b": 60}, font=FONT, plot_bgcolor="#ffffff")
    return _plain(figure)
