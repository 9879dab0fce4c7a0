/*
 * The service worker: keeps the report form, its data and the static files it needs, so
 * that /reports/new/ opens with no connection, and sends the outbox when the browser
 * says the connection is back (Background Sync, where the browser has it).
 *
 * /sw.js (config.views.service_worker) defines self.EWERS_OFFLINE and imports this file
 * after outbox.js. Only these URLs are ever cached: the form page and its JSON data as
 * the signed-in user was given them (never a redirect to the sign-in page), and the
 * listed static files. Every other request goes to the network untouched.
 */
(function () {
  "use strict";

  var config = self.EWERS_OFFLINE;
  var outbox = self.EwersOutbox;
  var CACHE = outbox.CACHE_PREFIX + config.version;
  var REFRESH_MS = 5 * 60 * 1000;
  // When the form was last refreshed and for whom, kept beside it (the worker itself is
  // stopped whenever it is idle, and would forget).
  var REFRESHED = "/__ewers-offline-refreshed";

  function usable(response) {
    return response && response.ok && response.type === "basic" && !response.redirected;
  }

  function keep(url, response) {
    if (!usable(response)) {
      return Promise.resolve(response);
    }
    var copy = response.clone();
    return caches.open(CACHE).then(function (cache) { return cache.put(url, copy); }).then(function () {
      return response;
    });
  }

  // A request of the worker's own that has no answer in this time is given up (and, while
  // installing, asked again): one stuck request would otherwise hold the install forever.
  // Only the wait for the answer is limited, not its download: a slow link still gets
  // the whole file, however long it takes.
  var ANSWER_TIMEOUT_MS = 20 * 1000;

  function fetchWithin(url, init) {
    if (typeof AbortController === "undefined") {
      return fetch(url, init);
    }
    var controller = new AbortController();
    var timer = setTimeout(function () { controller.abort(); }, ANSWER_TIMEOUT_MS);
    return fetch(url, Object.assign({ signal: controller.signal }, init)).then(function (response) {
      clearTimeout(timer);
      return response;
    }, function (error) {
      clearTimeout(timer);
      throw error;
    });
  }

  // The form and the data of whoever is signed in now.
  function refreshUserData() {
    return Promise.all([config.form, config.data].map(function (url) {
      return fetchWithin(url, { credentials: "same-origin", cache: "no-store" }).then(function (response) {
        return keep(url, response);
      });
    }));
  }

  // A request that fails on its way (a dropped connection, a server busy restarting, no
  // answer in time) is asked again twice, a second and then two apart, before the install
  // gives up: one lost file would otherwise leave the form without a kept copy until the
  // next page.
  var FETCH_TRIES = 3;

  function fetchTrying(url, init, tried) {
    return fetchWithin(url, init).catch(function (error) {
      if (tried + 1 >= FETCH_TRIES) {
        throw error;
      }
      return new Promise(function (resolve) {
        setTimeout(resolve, (tried + 1) * 1000);
      }).then(function () { return fetchTrying(url, init, tried + 1); });
    });
  }

  self.addEventListener("install", function (event) {
    event.waitUntil(
      caches.open(CACHE).then(function (cache) {
        return Promise.all(config.precache.map(function (url) {
          return fetchTrying(url, { cache: "reload" }, 0).then(function (response) {
            return response.ok ? cache.put(url, response) : null;
          });
        }));
      }).then(function () {
        return refreshUserData().catch(function () {});
      }).then(function () {
        return self.skipWaiting();
      })
    );
  });

  self.addEventListener("activate", function (event) {
    event.waitUntil(
      caches.keys().then(function (names) {
        return Promise.all(names.filter(function (name) {
          return name.indexOf(outbox.CACHE_PREFIX) === 0 && name !== CACHE;
        }).map(function (name) { return caches.delete(name); }));
      }).then(function () { return self.clients.claim(); })
    );
  });

  // The network first (fresh data when there is a connection), the kept copy without one.
  function networkFirst(request, key) {
    return fetch(request).then(function (response) {
      return keep(key, response);
    }, function () {
      return caches.open(CACHE).then(function (cache) { return cache.match(key); }).then(function (hit) {
        return hit || Response.error();
      });
    });
  }

  function cacheFirst(request, key) {
    return caches.open(CACHE).then(function (cache) { return cache.match(key); }).then(function (hit) {
      return hit || fetch(request);
    });
  }

  self.addEventListener("fetch", function (event) {
    var request = event.request;
    if (request.method !== "GET") {
      return;
    }
    var url = new URL(request.url);
    if (url.origin !== self.location.origin) {
      return;
    }
    if (url.pathname === config.form && request.mode === "navigate") {
      event.respondWith(networkFirst(request, config.form));
    } else if (url.pathname === config.data && !request.headers.get("X-Ewers-Outbox")) {
      // The outbox's own ask (who is signed in, a CSRF token) must reach the server.
      event.respondWith(networkFirst(request, config.data));
    } else if (config.precache.indexOf(url.pathname) !== -1) {
      event.respondWith(cacheFirst(request, url.pathname));
    }
  });

  function tellPages() {
    return self.clients.matchAll({ type: "window" }).then(function (pages) {
      pages.forEach(function (page) { page.postMessage({ type: "outbox" }); });
    });
  }

  self.addEventListener("message", function (event) {
    var data = event.data || {};
    if (data.type === "claim") {
      // A page that loaded while this worker was being activated can miss its claim.
      event.waitUntil(self.clients.claim());
    }
    if (data.type === "refresh") {
      event.waitUntil(caches.open(CACHE).then(function (cache) {
        return cache.match(REFRESHED).then(function (hit) {
          return hit ? hit.json() : {};
        }).then(function (last) {
          var now = Date.now();
          if (last.user === data.user && now - last.at < REFRESH_MS) {
            return null;
          }
          var mark = new Response(JSON.stringify({ user: data.user, at: now }), {
            headers: { "Content-Type": "application/json" }
          });
          return cache.put(REFRESHED, mark).then(refreshUserData);
        });
      }).catch(function () {}));
    }
  });

  self.addEventListener("sync", function (event) {
    if (event.tag !== "ewers-outbox") {
      return;
    }
    event.waitUntil(outbox.sendAll(config, tellPages).then(function (result) {
      if (result.offline) {
        throw new Error("still offline");  // the browser tries the sync again later
      }
      return tellPages();
    }));
  });
})();
