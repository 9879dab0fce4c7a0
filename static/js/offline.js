/*
 * Every signed-in page: install the service worker for those who log reports (so the
 * form opens later with no connection), and make signing out clear this device.
 *
 * Signing out warns first when reports saved on the device have not been sent, then
 * deletes the outbox, the cached pages and the service worker before the sign-out is
 * sent. The page's settings come from base.html (json_script "offline-app").
 */
(function () {
  "use strict";

  var CLEAR_TIMEOUT_MS = 3000;

  function settings() {
    var element = document.getElementById("offline-app");
    return element ? JSON.parse(element.textContent) : null;
  }

  function withTimeout(promise, ms) {
    return Promise.race([promise, new Promise(function (resolve) { window.setTimeout(resolve, ms); })]);
  }

  function guardSignOut(app) {
    Array.prototype.forEach.call(document.querySelectorAll("form"), function (form) {
      if (new URL(form.action, window.location.href).pathname !== app.logout) {
        return;
      }
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var outbox = window.EwersOutbox;
        var records = outbox ? outbox.all().catch(function () { return []; }) : Promise.resolve([]);
        records.then(function (found) {
          var count = outbox ? outbox.unsent(found).length : 0;
          if (count && !window.confirm(app.warning.replace("{count}", String(count)))) {
            return false;
          }
          return withTimeout(outbox ? outbox.clearDevice() : Promise.resolve(), CLEAR_TIMEOUT_MS).then(function () {
            return true;
          });
        }).then(function (go) {
          if (go) {
            form.submit();  // does not fire "submit" again
          }
        });
      });
    });
  }

  var INSTALL_TRIES = 3;
  var INSTALL_RETRY_MS = 5000;

  // Register the worker. When the browser cannot fetch its script, or its install fails (a
  // file it keeps could not be fetched), it would only try again on the next page; this
  // page asks again a few times, so that opening the form once with a connection is
  // enough to keep it.
  function register(app, attempt) {
    function again() {
      if (attempt + 1 < INSTALL_TRIES) {
        window.setTimeout(function () { register(app, attempt + 1); }, INSTALL_RETRY_MS);
      }
    }
    navigator.serviceWorker.register(app.worker, { scope: "/" }).then(function (registration) {
      var worker = registration.installing;
      if (worker) {
        worker.addEventListener("statechange", function () {
          if (worker.state === "redundant" && !registration.active) {
            again();
          }
        });
      }
      return navigator.serviceWorker.ready.then(function (ready) {
        if (ready.active && !navigator.serviceWorker.controller) {
          // The worker claims the pages open when it is activated, but a page still on its
          // way then (this one, opened during the install) can be missed, and would stay
          // without the worker until the next page: ask to be claimed.
          ready.active.postMessage({ type: "claim" });
        }
        // Keep the form and its data of the user signed in now (a new sign-in, say).
        if (ready.active) {
          ready.active.postMessage({ type: "refresh", user: app.user });
        }
      });
    }, again).catch(function () {});
  }

  function install(app) {
    if (!("serviceWorker" in navigator) || !window.isSecureContext) {
      return;
    }
    if (!app.register) {
      return;
    }
    register(app, 0);
    // Ask the browser not to evict the outbox when the device runs short of space.
    if (navigator.storage && navigator.storage.persist) {
      navigator.storage.persist().catch(function () {});
    }
  }

  function init() {
    var app = settings();
    if (!app) {
      return;
    }
    guardSignOut(app);
    install(app);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
