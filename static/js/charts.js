/*
 * Charts drawn from figures the server put in the page: every element with
 * data-figure="<id>" gets the Plotly figure of the json_script element of that id.
 * Used by the community page and the overview; the tables beside each chart carry the
 * same figures without JavaScript.
 */
(function () {
  "use strict";

  var CONFIG = { responsive: true, displaylogo: false, modeBarButtonsToRemove: ["toImage"] };
  // The page's language: Malay month names on the axes (plotly-locale-ms.js).
  CONFIG.locale = document.documentElement.lang || "en";

  function draw(target) {
    var node = document.getElementById(target.getAttribute("data-figure"));
    if (!node || !window.Plotly) {
      return;
    }
    var fig = JSON.parse(node.textContent);
    window.Plotly.newPlot(target, fig.data, fig.layout, CONFIG).then(function () {
      target.classList.add("is-drawn");
    });
  }

  function init() {
    document.querySelectorAll("[data-figure]").forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
