/*
 * The field report form: one submission per click, and the error summary gets focus.
 *
 * The server already turns a double submission into one report (the form's idempotency
 * key); this only tells the person that the first click was taken. Without JavaScript
 * the form works the same.
 */
(function () {
  "use strict";

  function init() {
    var summary = document.getElementById("error-summary");
    if (summary) {
      summary.focus();
    }
    var form = document.querySelector("form.report-form");
    if (!form) {
      return;
    }
    var button = form.querySelector("button[type=submit]");
    var label = button ? button.textContent : "";
    form.addEventListener("submit", function (event) {
      if (!button) {
        return;
      }
      // Disable after the browser has taken the click, or the form would not be sent; not
      // when the form was kept on the device instead (report-offline.js, with no connection).
      window.setTimeout(function () {
        if (event.defaultPrevented) {
          return;
        }
        button.disabled = true;
        button.setAttribute("aria-busy", "true");
        button.textContent = form.getAttribute("data-saving-label") || label;
      }, 0);
    });
    // Coming back with the Back button restores the page as it was left: enable again.
    window.addEventListener("pageshow", function () {
      if (button) {
        button.disabled = false;
        button.removeAttribute("aria-busy");
        button.textContent = label;
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
