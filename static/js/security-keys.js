/*
 * Security keys (WebAuthn) on the two-factor pages, under the strict CSP: no inline script.
 *
 * The pages load django-allauth's WebAuthn helpers from our static files
 * (mfa/js/webauthn-json.js, mfa/js/webauthn.js) and then this file, which wires each
 * button marked data-security-key="add" or "authenticate" to them. The options the server
 * made for this request are in a json_script block named by data-options; the key's
 * answer goes into the hidden input named by data-credential, and its form is sent.
 *
 * A key that is refused, missing or cancelled does not leave the page silently: the
 * message in the button's data-error-message is shown in the element named by
 * data-error (role="alert"), and the person can try again or give a code.
 */
(function () {
  "use strict";

  var active = null;

  function showError(button) {
    var target = document.getElementById(button.getAttribute("data-error") || "");
    if (!target) {
      return;
    }
    target.textContent = button.getAttribute("data-error-message") || "";
    target.hidden = false;
  }

  function init() {
    var allauth = window.allauth;
    var buttons = document.querySelectorAll("button[data-security-key]");
    if (!buttons.length || !allauth || !allauth.webauthn) {
      return;
    }
    // allauth's helpers report a failure as a cancellable "allauth.error" event (else they
    // write it to the console): show it to the person instead.
    document.addEventListener("allauth.error", function (event) {
      event.preventDefault();
      if (active) {
        showError(active);
      }
    });
    Array.prototype.forEach.call(buttons, function (button) {
      var ids = {
        credential: button.getAttribute("data-credential"),
        data: button.getAttribute("data-options"),
      };
      var mode = button.getAttribute("data-security-key");
      // Registered before allauth's own click handler, so it runs first.
      button.addEventListener("click", function () {
        active = button;
        var target = document.getElementById(button.getAttribute("data-error") || "");
        if (target) {
          target.hidden = true;
        }
      });
      if (mode === "add") {
        ids.add = button.id;
        allauth.webauthn.forms.addForm({ ids: ids });
      } else if (mode === "authenticate") {
        ids.authenticate = button.id;
        allauth.webauthn.forms.authenticateForm({ ids: ids });
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
