/*
 * The heatmap page: draw the map and the matrix from the figures the server put in the
 * page (json_script), and follow a click on an area to its link. Without JavaScript
 * the table below the charts carries the same figures.
 *
 * The map's shapes come in an element of their own (heatmap-map-shapes, passed on by
 * the server as the database holds them): they go into every trace of the map, and the
 * view is fitted to them here.
 */
(function () {
  "use strict";

  var CONFIG = { responsive: true, displaylogo: false, modeBarButtonsToRemove: ["toImage"] };
  // The page's language: Malay month names on the axes (plotly-locale-ms.js).
  CONFIG.locale = document.documentElement.lang || "en";
  // The map's plot is about 900 × 560 pixels; MapLibre's world is 512 pixels wide at zoom 0.
  var MAP_WIDTH = 900;
  var MAP_HEIGHT = 520;

  function parsed(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  // West, south, east, north of the outer rings of Polygons and MultiPolygons, or null.
  function bounds(shapes) {
    var west = Infinity, south = Infinity, east = -Infinity, north = -Infinity;
    (shapes.features || []).forEach(function (feature) {
      var geometry = feature.geometry || {};
      var coordinates = geometry.coordinates || [];
      var polygons = geometry.type === "MultiPolygon" ? coordinates : [coordinates];
      polygons.forEach(function (polygon) {
        (polygon && polygon[0] ? polygon[0] : []).forEach(function (point) {
          west = Math.min(west, point[0]);
          east = Math.max(east, point[0]);
          south = Math.min(south, point[1]);
          north = Math.max(north, point[1]);
        });
      });
    });
    return west === Infinity ? null : [west, south, east, north];
  }

  // Centre and zoom that fit the shapes in the plot.
  function view(shapes) {
    var box = bounds(shapes);
    if (!box) {
      return { center: { lon: 0, lat: 0 }, zoom: 1 };
    }
    var spanLon = Math.max(box[2] - box[0], 1e-3);
    // Latitude is stretched by Mercator; near the equator this is close enough.
    var middle = ((box[1] + box[3]) / 2) * (Math.PI / 180);
    var spanLat = Math.max(box[3] - box[1], 1e-3) / Math.max(Math.cos(middle), 0.2);
    var zoom = Math.min(
      Math.log2(((MAP_WIDTH / 512) * 360) / spanLon),
      Math.log2(((MAP_HEIGHT / 512) * 360) / spanLat)
    ) - 0.15;
    return {
      center: { lon: (box[0] + box[2]) / 2, lat: (box[1] + box[3]) / 2 },
      zoom: Math.max(0, Math.min(zoom, 14)),
    };
  }

  function withShapes(fig, shapesId, parentId) {
    var shapes = parsed(shapesId);
    if (!shapes) {
      return fig;
    }
    fig.data.forEach(function (trace) {
      trace.geojson = shapes;
    });
    fig.layout.map = fig.layout.map || {};
    // The area the map is drilled into: its outline as a line over the children, and
    // in the fitted view.
    var parent = parentId ? parsed(parentId) : null;
    var fitTo = shapes;
    if (parent) {
      fig.layout.map.layers = [
        { sourcetype: "geojson", source: parent, type: "line", color: "#1c2329", line: { width: 2 } },
      ];
      fitTo = { type: "FeatureCollection", features: (shapes.features || []).concat([parent]) };
    }
    var fitted = view(fitTo);
    fig.layout.map.center = fitted.center;
    fig.layout.map.zoom = fitted.zoom;
    return fig;
  }

  function draw(targetId, fig, onClick) {
    var target = document.getElementById(targetId);
    if (!target || !fig || !window.Plotly) {
      return;
    }
    window.Plotly.newPlot(target, fig.data, fig.layout, CONFIG).then(function () {
      target.classList.add("is-drawn");
      if (onClick) {
        target.on("plotly_click", onClick);
      }
    });
  }

  function followArea(event) {
    var point = event && event.points && event.points[0];
    var link = point && point.customdata && point.customdata[4];
    // Only links of this site: the figure comes from the server, but be strict anyway.
    if (typeof link === "string" && link.charAt(0) === "/" && link.charAt(1) !== "/") {
      window.location.assign(link);
    }
  }

  function init() {
    var map = parsed("heatmap-map-figure");
    draw("heatmap-map", map && withShapes(map, "heatmap-map-shapes", "heatmap-map-parent"), followArea);
    draw("heatmap-matrix", parsed("heatmap-matrix-figure"), null);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
