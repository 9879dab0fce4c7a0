/*
 * The heatmap page: draw the map and the matrix from the figures the server put in the
 * page (json_script), and follow a click on an area to its link. Without JavaScript
 * the table below the charts carries the same figures.
 */
(function () {
  "use strict";

  var CONFIG = { responsive: true, displaylogo: false, modeBarButtonsToRemove: ["toImage"] };

  function figure(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function draw(targetId, figureId, onClick) {
    var target = document.getElementById(targetId);
    var fig = figure(figureId);
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
    draw("heatmap-map", "heatmap-map-figure", followArea);
    draw("heatmap-matrix", "heatmap-matrix-figure", null);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
