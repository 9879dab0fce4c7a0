/*
 * The outbox of reports saved on this device (IndexedDB), and the sending of them.
 *
 * Loaded by the pages (window) and by the service worker (importScripts), so it uses
 * nothing of the DOM. Each record keeps its own Idempotency-Key from the moment it is
 * saved: however often it is sent (a lost answer, two tabs, the service worker's sync),
 * the server makes one report of it (indicators.services.idempotency).
 *
 * A record: {key, user, created, state, body, summary, report, reportUrl, errors}.
 * States: "waiting" -> "sending" -> "sent" | "refused" (or back to "waiting" when the
 * network or the server is not there). Once sent or refused, the source reference is
 * taken out of the record: nothing kept on the device names a source after it left.
 */
(function (scope) {
  "use strict";

  var DB_NAME = "ewers-offline";
  var STORE = "outbox";
  var CACHE_PREFIX = "ewers-offline-";
  var LOCK = "ewers-outbox";
  // The server's answers that say "this report will never be taken as it is".
  var REFUSED = [400, 403, 404, 413, 415, 422];
  // Sent records are shown for a week, then forgotten.
  var KEEP_SENT_MS = 7 * 24 * 60 * 60 * 1000;

  function request(req) {
    return new Promise(function (resolve, reject) {
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }

  function open() {
    var req = scope.indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = function () {
      req.result.createObjectStore(STORE, { keyPath: "key" });
    };
    return request(req).then(function (db) {
      // Another context deleting the database (signing out) must not wait for this one.
      db.onversionchange = function () { db.close(); };
      return db;
    });
  }

  // Run fn(store) in one transaction; resolves with fn's result once it is committed.
  function transact(mode, fn) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode);
        var result;
        Promise.resolve(fn(tx.objectStore(STORE))).then(function (value) { result = value; }, reject);
        tx.oncomplete = function () { db.close(); resolve(result); };
        tx.onerror = function () { db.close(); reject(tx.error); };
        tx.onabort = function () { db.close(); reject(tx.error); };
      });
    });
  }

  function all() {
    return transact("readonly", function (store) { return request(store.getAll()); }).then(function (records) {
      return records.sort(function (a, b) { return a.created < b.created ? -1 : 1; });
    });
  }

  function add(record) {
    return transact("readwrite", function (store) { return request(store.add(record)); });
  }

  function remove(key) {
    return transact("readwrite", function (store) { return request(store.delete(key)); });
  }

  // Read, change and write one record in one transaction (fn returns false to leave it).
  function update(key, fn) {
    return transact("readwrite", function (store) {
      return request(store.get(key)).then(function (record) {
        if (record && fn(record) !== false) {
          return request(store.put(record)).then(function () { return record; });
        }
        return record;
      });
    });
  }

  function unsent(records) {
    return records.filter(function (r) { return r.state !== "sent"; });
  }

  function newKey() {
    if (scope.crypto && scope.crypto.randomUUID) {
      return scope.crypto.randomUUID();
    }
    var bytes = new Uint8Array(16);
    scope.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  function forget(record) {
    if (record.body) {
      delete record.body.source_reference;
    }
  }

  // Who is signed in, and a CSRF token for them, fresh from the server (never the cache).
  function whoami(dataUrl) {
    return scope.fetch(dataUrl, {
      credentials: "same-origin",
      cache: "no-store",
      headers: { Accept: "application/json", "X-Ewers-Outbox": "send" }
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      // Signed out: the sign-in page answers instead. The reports wait for the next sign-in.
      if (!response.ok || response.redirected || type.indexOf("application/json") !== 0) {
        return null;
      }
      return response.json();
    });
  }

  function post(config, token, record) {
    return scope.fetch(config.api, {
      method: "POST",
      credentials: "same-origin",
      cache: "no-store",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": token,
        "Idempotency-Key": record.key
      },
      body: JSON.stringify(record.body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (json) {
        return { status: response.status, json: json };
      });
    });
  }

  function sendOne(config, token, record) {
    return update(record.key, function (r) {
      if (r.state === "sent" || r.state === "refused") { return false; }
      r.state = "sending";
    }).then(function (current) {
      if (!current || current.state !== "sending") { return "skipped"; }
      return post(config, token, current).then(function (answer) {
        return update(record.key, function (r) {
          if (r.state === "sent") { return false; }  // another sender got there first
          if (answer.status === 200 || answer.status === 201) {
            r.state = "sent";
            r.report = answer.json.id;
            r.reportUrl = config.report.replace("/0/", "/" + answer.json.id + "/");
            r.errors = null;
            r.sent = new Date().toISOString();
            delete r.body;  // the server has it; the summary stays for the list
          } else if (REFUSED.indexOf(answer.status) !== -1) {
            r.state = "refused";
            r.errors = answer.json && typeof answer.json === "object" ? answer.json : {};
            forget(r);
          } else {
            r.state = "waiting";  // 409 (in flight elsewhere), 429, 503: later
          }
        }).then(function () { return answer.status; });
      }, function () {
        // No network after all: back to waiting, and stop trying the others now.
        return update(record.key, function (r) {
          if (r.state !== "sending") { return false; }
          r.state = "waiting";
        }).then(function () { throw new Error("offline"); });
      });
    });
  }

  function sendAllNow(config, onChange) {
    var changed = onChange || function () {};
    return whoami(config.data).then(function (me) {
      if (!me) { return { signedIn: false }; }
      return all().then(function (records) {
        var mine = records.filter(function (r) {
          return r.user === me.user && (r.state === "waiting" || r.state === "sending");
        });
        return mine.reduce(function (chain, record) {
          return chain.then(function () {
            return sendOne(config, me.csrf_token, record).then(function () { changed(); });
          });
        }, Promise.resolve()).then(function () { return prune(); }).then(function () {
          return { signedIn: true, user: me.user, token: me.csrf_token };
        });
      });
    }).catch(function () { changed(); return { offline: true }; });
  }

  // One sender at a time across tabs and the service worker (same key or not, no report is
  // made twice; this only saves requests).
  function sendAll(config, onChange) {
    var locks = scope.navigator && scope.navigator.locks;
    if (locks && locks.request) {
      return locks.request(LOCK, function () { return sendAllNow(config, onChange); });
    }
    return sendAllNow(config, onChange);
  }

  function prune() {
    var now = Date.now();
    return transact("readwrite", function (store) {
      return request(store.getAll()).then(function (records) {
        records.forEach(function (r) {
          if (r.state === "sent" && r.sent && now - Date.parse(r.sent) > KEEP_SENT_MS) {
            store.delete(r.key);
          }
        });
      });
    });
  }

  // Signing out: the outbox, the cached pages and the service worker go.
  function clearDevice() {
    var steps = [];
    steps.push(transact("readwrite", function (store) { return request(store.clear()); }).catch(function () {}));
    steps.push(new Promise(function (resolve) {
      var req = scope.indexedDB.deleteDatabase(DB_NAME);
      req.onsuccess = req.onerror = req.onblocked = function () { resolve(); };
    }));
    if (scope.caches) {
      steps.push(scope.caches.keys().then(function (names) {
        return Promise.all(names.filter(function (n) { return n.indexOf(CACHE_PREFIX) === 0; }).map(function (n) {
          return scope.caches.delete(n);
        }));
      }).catch(function () {}));
    }
    if (scope.navigator && scope.navigator.serviceWorker && scope.navigator.serviceWorker.getRegistrations) {
      steps.push(scope.navigator.serviceWorker.getRegistrations().then(function (registrations) {
        return Promise.all(registrations.map(function (r) { return r.unregister(); }));
      }).catch(function () {}));
    }
    return Promise.all(steps);
  }

  scope.EwersOutbox = {
    CACHE_PREFIX: CACHE_PREFIX,
    all: all,
    add: add,
    remove: remove,
    unsent: unsent,
    newKey: newKey,
    sendAll: sendAll,
    clearDevice: clearDevice
  };
})(self);
