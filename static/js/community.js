/*
 * The community page: draw the score trend (with alert markers) and the explanation
 * from the figures the server put in the page (json_script). The table beside the bar
 * chart carries the same figures without JavaScript.
 */
(function () {
  "use strict";

  var CONFIG = { responsive: true, displaylogo: false, modeBarButtonsToRemove: ["toImage"] };

  function draw(targetId, figureId) {
    var target = document.getElementById(targetId);
    var node = document.getElementById(figureId);
    if (!target || !node || !window.Plotly) {
      return;
    }
    var fig = JSON.parse(node.textContent);
    window.Plotly.newPlot(target, fig.data, fig.layout, CONFIG).then(function () {
      target.classList.add("is-drawn");
    });
  }

  function init() {
    draw("community-trend", "community-trend-figure");
    draw("community-explanation", "community-explanation-figure");
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
