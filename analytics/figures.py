"""Plotly figures of the analytics pages, as plain JSON for a static script to draw.

Handed to the page through ``json_script``; the page's static JS calls
``Plotly.newPlot``. The heatmap's and the community page's figures are plain dicts in
plotly's keys (validating thousands of areas, or even one trend, in Python cost more than
reading them); the overview's bar charts are built with plotly's graph_objects. Maps are ``Choroplethmap`` on the
"white-bg" style with no text layer: nothing is fetched from the internet.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import orjson
import plotly.graph_objects as go
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
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


def _level_colorbar(title: str) -> dict[str, Any]:
    """The map's legend: the four levels in the badges' colours, titled with what it shows."""
    steps = len(RiskLevel.values)
    return {
        "thickness": 14,
        "tickvals": [i + 0.5 for i in range(steps)],
        "ticktext": [str(label) for label in RiskLevel.labels],
        "title": {"text": title},
    }


def level_label(level: str | None) -> str:
    return str(RiskLevel(level).label) if level in RiskLevel.values else _("Not assessed")


# What ``django.utils.html.json_script`` escapes: outside a JSON string none of these
# can occur, inside one the \uXXXX form reads back as the same character.
_SCRIPT_ESCAPES = (("&", "\\u0026"), ("<", "\\u003C"), (">", "\\u003E"))


def script_safe(text: str) -> str:
    """JSON text made safe to sit in a ``<script>`` element, as ``json_script`` makes it
    (``str.replace`` rather than its ``translate``: the map's shapes run to megabytes)."""
    for character, escaped in _SCRIPT_ESCAPES:
        if character in text:
            text = text.replace(character, escaped)
    return text


def json_text_script(text: str, element_id: str) -> SafeString:
    """A ``json_script``-like element around JSON that is already text (no re-encoding)."""
    return format_html('<script id="{}" type="application/json">{}</script>', element_id, mark_safe(script_safe(text)))  # noqa: S308 - escaped just above


def plain_json(value: Any) -> str:
    """``value`` as JSON text, as ``json_script`` encodes it (DjangoJSONEncoder for what
    JSON has no type for, such as lazy translations), written by orjson."""
    return orjson.dumps(value, default=DjangoJSONEncoder().default).decode()


@functools.cache
def _template() -> dict[str, Any]:
    """The layout template plotly's graph_objects put in every figure (plotly's default),
    built once: the heatmap's figures are plain dicts and skip plotly's validation."""
    return _plain(go.Figure())["layout"]["template"]  # type: ignore[no-any-return]


def _colorbar() -> dict[str, Any]:
    return {
        "thickness": 14,
        "tickvals": [0, *settings.EWERS_LEVEL_BANDS, 100],
        "title": {"text": _("Score")},
    }


def _features(drawn: Sequence[HeatmapArea]) -> str:
    """The FeatureCollection of the areas' shapes as JSON text, assembled from the JSON
    the database holds: thousands of polygons are never decoded or re-encoded."""
    dumps = json.dumps
    return (
        '{"type": "FeatureCollection", "features": ['
        + ", ".join(
            f'{{"type": "Feature", "id": {dumps(area.code)}, "properties": {{}}, "geometry": {area.geometry_json}}}'
            for area in drawn
        )
        + "]}"
    )


@dataclass(frozen=True)
class MapFigure:
    """The heatmap's map: the figure without its shapes (``figure``, for ``json_script``),
    and the shapes as a ready ``<script>`` element (``shapes``) that the page's static
    JS puts into every trace and fits the view to."""

    figure: dict[str, Any]
    shapes: SafeString
    # ``figure`` as a ready ``json_script``-like element (written by orjson: thousands of
    # rows of hover data, which ``json_script``'s encoder and ``str.translate`` were slow at).
    script: SafeString = field(default_factory=lambda: SafeString(""))
    # The outline of the area the map is drilled into, drawn as a line around its
    # children (a GeoJSON Feature in its own element), or empty.
    parent: SafeString = field(default_factory=lambda: SafeString(""))


def heatmap_map(
    areas: Sequence[HeatmapArea], links: Sequence[str], *, legend: str = "", parent: str | None = None
) -> MapFigure | None:
    """The areas coloured by their level, in the badges' four colours (a community at
    critical by a trigger is red whatever its score); hover names score, level and open
    alerts; each point carries the link a click follows. ``legend`` says what the colour
    shows; ``parent``, the GeoJSON geometry (text) of the area they lie in, is drawn as an
    outline around them. None when no area has a shape."""
    drawn = [(area, link) for area, link in zip(areas, links, strict=True) if _has_shape(area)]
    if not drawn:
        return None
    hover = _map_hover()
    labels = {level: level_label(level) for level in [*RiskLevel.values, None]}
    not_assessed = labels[None]
    # A level's rank plus a half, so each level sits in the middle of its colour (looked up
    # once: ``RiskLevel.values`` is rebuilt on each access, thousands of times a map).
    ranks: dict[str | None, float] = {level: RiskLevel.rank(level) + 0.5 for level in RiskLevel.values}

    def columns(rows: Sequence[tuple[HeatmapArea, str]]) -> dict[str, Any]:
        return {
            "locations": [a.code for a, _link in rows],
            "z": [ranks.get(a.level, 0.0) for a, _link in rows],
            "customdata": [
                [
                    a.name,
                    "\u2014" if a.score is None else f"{a.score:.0f}",
                    labels.get(a.level, not_assessed) + (f" \u2014 {a.signals}" if a.signals else ""),
                    a.open_alerts,
                    link,
                    # The score itself (the colour is the level): what the page's numbers are checked by.
                    a.score,
                ]
                for a, link in rows
            ],
        }

    # Plain JSON in the keys and values plotly's graph_objects wrote (checked by
    # tests/analytics/test_figures.py): plotly.js reads JSON, and validating thousands of rows
    # in Python cost more than the rest of the page.
    outline = {"line": {"color": "#ffffff", "width": 1}, "opacity": 0.85}
    traces: list[dict[str, Any]] = []
    assessed = [(a, link) for a, link in drawn if a.level in ranks]
    unassessed = [(a, link) for a, link in drawn if a.level not in ranks]
    if assessed:
        traces.append(
            {
                "colorbar": _level_colorbar(legend or _("Level")),
                "colorscale": heatmap.rank_colourscale(LEVEL_COLOURS),
                "featureidkey": "id",
                "hovertemplate": hover,
                "marker": outline,
                "name": _("Assessed"),
                "zmax": len(RiskLevel.values),
                "zmin": 0,
                "type": "choroplethmap",
                **columns(assessed),
            }
        )
    if unassessed:
        traces.append(
            {
                "colorscale": [[0, NOT_ASSESSED], [1, NOT_ASSESSED]],
                "featureidkey": "id",
                "hovertemplate": hover,
                "marker": outline,
                "name": _("Not assessed"),
                "showscale": False,
                "type": "choroplethmap",
                **columns(unassessed),
            }
        )
    figure = {"data": traces, "layout": _map_layout()}
    return MapFigure(
        figure=figure,
        script=json_text_script(plain_json(figure), "heatmap-map-figure"),
        shapes=json_text_script(_features([a for a, _link in drawn]), "heatmap-map-shapes"),
        parent=_parent_script(parent),
    )


def _parent_script(geometry: str | None) -> SafeString:
    """The outline of the area the map is drilled into as a GeoJSON Feature element, or nothing."""
    if not geometry:
        return SafeString("")
    return json_text_script(f'{{"type": "Feature", "properties": {{}}, "geometry": {geometry}}}', "heatmap-map-parent")


def _map_hover() -> str:
    return (
        "<b>%{customdata[0]}</b><br>"
        + _("Score")
        + ": %{customdata[1]}<br>"
        + _("Level")
        + ": %{customdata[2]}<br>"
        + _("Open alerts")
        + ": %{customdata[3]}<extra></extra>"
    )


def _map_layout() -> dict[str, Any]:
    return {
        # The centre and zoom are fitted to the shapes by static/js/heatmap.js.
        "map": {"style": "white-bg"},
        "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
        "font": FONT,
        "height": 560,
        "showlegend": False,
        "template": _template(),
    }


def _has_shape(area: HeatmapArea) -> bool:
    return area.geometry_json is not None and area.geometry_json not in ("", "null")


def heatmap_matrix(
    labels: Sequence[str], weeks: Sequence[date], values: Sequence[Sequence[float | None]]
) -> dict[str, Any]:
    """The area × week matrix in the level colours; empty cells stay blank (a plain dict
    in plotly's keys, as ``heatmap_map``)."""
    trace = {
        "colorbar": _colorbar(),
        "colorscale": level_colourscale(),
        "hoverongaps": False,
        "hovertemplate": "%{y}<br>" + _("Week of") + " %{x}<br>" + _("Score") + ": %{z:.0f}<extra></extra>",
        "x": [date_format(week, "j M") for week in weeks],
        "xgap": 1,
        "y": list(labels),
        "ygap": 1,
        "z": [list(row) for row in values],
        "zmax": 100,
        "zmin": 0,
        "type": "heatmap",
    }
    layout = {
        "margin": {"l": 10, "r": 10, "t": 10, "b": 40},
        "font": FONT,
        "xaxis": {"type": "category", "side": "bottom"},
        "yaxis": {"type": "category", "autorange": "reversed", "automargin": True},
        "height": max(260, 80 + 22 * len(labels)),
        "plot_bgcolor": "#ffffff",
        "template": _template(),
    }
    return {"data": [trace], "layout": layout}


def local_axis_time(moment: datetime) -> str:
    """A moment as plotly reads an axis value: the wall-clock time in ``TIME_ZONE``, with
    no offset (plotly.js ignores an offset and would draw UTC, hours off the page)."""
    return timezone.localtime(moment, timezone.get_default_timezone()).strftime("%Y-%m-%d %H:%M:%S")


def community_trend(assessments: Sequence[RiskAssessment], marks: Sequence[AlertMark]) -> dict[str, Any]:
    """The score over time with the level bands behind it and alert events as markers
    (a plain dict: what plotly's graph_objects give, without their validation, which cost
    more than the rest of the community page)."""
    traces: list[dict[str, Any]] = [
        {
            "hovertemplate": "%{x|%d %b %Y %H:%M}<br>" + _("Score") + ": %{y:.0f}<extra></extra>",
            "line": {"color": "#1f4e70", "shape": "hv", "width": 2},
            "marker": {"size": 5},
            "mode": "lines+markers",
            "name": _("Score"),
            "x": [local_axis_time(a.assessed_at) for a in assessments],
            "y": [a.score for a in assessments],
            "type": "scatter",
        }
    ]
    symbols = {"opened": "triangle-up", "escalated": "diamond", "closed": "circle-open"}
    names = {"opened": _("Alert opened"), "escalated": _("Alert escalated"), "closed": _("Alert closed")}
    for kind, symbol in symbols.items():
        chosen = [m for m in marks if m.kind == kind]
        if chosen:
            traces.append(
                {
                    "customdata": [[f"#{m.alert_id}", level_label(m.level)] for m in chosen],
                    "hovertemplate": str(names[kind])
                    + " %{customdata[0]} (%{customdata[1]})<br>%{x|%d %b %Y %H:%M}<extra></extra>",
                    "marker": {"color": "#b42318", "size": 12, "symbol": symbol},
                    "mode": "markers",
                    "name": str(names[kind]),
                    "x": [local_axis_time(m.at) for m in chosen],
                    "y": [100] * len(chosen),
                    "type": "scatter",
                }
            )
    edges = [0, *settings.EWERS_LEVEL_BANDS, 100]
    shapes = [
        {
            "fillcolor": colour,
            "layer": "below",
            "line": {"width": 0},
            "opacity": 0.12,
            "type": "rect",
            "x0": 0,
            "x1": 1,
            "xref": "x domain",
            "y0": edges[i],
            "y1": edges[i + 1],
            "yref": "y",
        }
        for i, colour in enumerate(LEVEL_COLOURS)
    ]
    layout = {
        "template": _template(),
        "shapes": shapes,
        "margin": {"l": 40, "r": 10, "t": 10, "b": 40},
        "font": FONT,
        "yaxis": {"title": {"text": _("Score")}, "range": [0, 104]},
        "legend": {"orientation": "h", "y": -0.2},
        "height": 340,
        "plot_bgcolor": "#ffffff",
    }
    return {"data": traces, "layout": layout}


def community_explanation(shares: Sequence[IndicatorShare]) -> dict[str, Any]:
    """Each indicator's part of the raw score: risk to the right, resilience to the left
    (a plain dict, as ``community_trend``)."""
    ordered = list(reversed(shares))
    trace = {
        "hovertemplate": "%{y}: %{x:+.2f}<extra></extra>",
        "marker": {"color": ["#b42318" if s.amount > 0 else "#2f7d4f" for s in ordered]},
        "orientation": "h",
        "x": [s.amount for s in ordered],
        "y": [f"{s.name} ({s.code})" for s in ordered],
        "type": "bar",
    }
    layout = {
        "template": _template(),
        "margin": {"l": 10, "r": 10, "t": 10, "b": 30},
        "font": FONT,
        "yaxis": {"automargin": True},
        "xaxis": {"title": {"text": _("Contribution to the raw score")}, "zeroline": True},
        "height": max(180, 60 + 28 * len(ordered)),
        "plot_bgcolor": "#ffffff",
    }
    return {"data": [trace], "layout": layout}


def bar_chart(labels: Sequence[str], values: Sequence[float], colours: Sequence[str] | str) -> dict[str, Any]:
    figure = go.Figure(go.Bar(x=list(labels), y=list(values), marker={"color": colours}))
    figure.update_layout(height=260, margin={"l": 40, "r": 10, "t": 10, "b": 60}, font=FONT, plot_bgcolor="#ffffff")
    return _plain(figure)
