/*
 * The report form with no connection, and its outbox.
 *
 * Offline, "Save report" keeps the report on this device (outbox.js) with a new
 * Idempotency-Key instead of posting the form; the outbox under the heading lists every
 * report saved here and its state, and sends the waiting ones when the connection returns
 * (the "online" event, each page load, a minute's timer, the service worker's sync).
 * Online, the form is posted as before and the server checks it at once.
 *
 * The texts and addresses come from the outbox's data-* attributes, translated in the
 * template (indicators/report_form.html).
 */
(function () {
  "use strict";

  var RETRY_MS = 60 * 1000;
  var LABEL_CODE = /\(([^()\s]+)\)(?:\s+—.*)?$/;
  var LOCAL_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;

  var app, form, list, section, status, notice;

  function text(name, values) {
    var message = section.getAttribute("data-text-" + name) || name;
    Object.keys(values || {}).forEach(function (key) {
      message = message.replace("{" + key + "}", String(values[key]));
    });
    return message;
  }

  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }

  // The zone's offset from UTC, in minutes, at the instant ms.
  function zoneOffset(zone, ms) {
    var parts = {};
    new Intl.DateTimeFormat("en-GB", {
      timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit"
    }).formatToParts(new Date(ms)).forEach(function (part) { parts[part.type] = part.value; });
    var asUtc = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour % 24, +parts.minute, +parts.second);
    return Math.round((asUtc - ms) / 60000);
  }

  // Now, as the form's time box shows it in the site's zone ("2026-12-05T18:30").
  function nowLocal() {
    var parts = {};
    try {
      new Intl.DateTimeFormat("en-GB", {
        timeZone: app.timeZone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
        hour: "2-digit", minute: "2-digit"
      }).formatToParts(new Date()).forEach(function (part) { parts[part.type] = part.value; });
    } catch (error) {
      return "";
    }
    return parts.year + "-" + parts.month + "-" + parts.day + "T" + (+parts.hour % 24 < 10 ? "0" : "") +
      (+parts.hour % 24) + ":" + parts.minute;
  }

  // A copy of the page kept for hours still says the time it was drawn: start from now.
  function timeFromNow() {
    var input = form.elements.namedItem("observed_at");
    var now = nowLocal();
    if (input && now) {
      input.value = now;
    }
  }

  // "2026-12-05T18:30" as the server's zone reads it (what the form means), with its offset.
  function withZone(local) {
    var m = LOCAL_TIME.exec(local);
    if (!m) {
      return local;  // the server says what is wrong with it
    }
    var naive = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +(m[6] || 0));
    var offset;
    try {
      offset = zoneOffset(app.timeZone, naive);
      offset = zoneOffset(app.timeZone, naive - offset * 60000);
    } catch (error) {
      offset = -new Date(naive).getTimezoneOffset();
    }
    var sign = offset < 0 ? "-" : "+";
    var size = Math.abs(offset);
    return m[1] + "-" + m[2] + "-" + m[3] + "T" + m[4] + ":" + m[5] + ":" + (m[6] || "00") +
      sign + pad(Math.floor(size / 60)) + ":" + pad(size % 60);
  }

  // What was typed in the community box, as a code: a picked code, "Name (CODE) — District", or a name.
  function communityCode(typed) {
    var value = typed.trim();
    var match = LABEL_CODE.exec(value);
    if (match) {
      return match[1];
    }
    var options = Array.prototype.slice.call(document.querySelectorAll("#community-options option"));
    var lower = value.toLowerCase();
    for (var i = 0; i < options.length; i += 1) {
      var label = options[i].textContent || "";
      if (options[i].value.toLowerCase() === lower || label.toLowerCase().indexOf(lower + " (") === 0) {
        return options[i].value;
      }
    }
    return value;
  }

  function checked(name) {
    var input = form.querySelector("input[name='" + name + "']:checked");
    return input ? input.value : "";
  }

  function field(name) {
    var input = form.elements.namedItem(name);
    return input && "value" in input ? input.value : "";
  }

  // The form as the API's body (POST /api/v1/reports/), or null when something is missing.
  function body() {
    var readings = [];
    Array.prototype.forEach.call(form.elements, function (input) {
      if (input.name && input.name.indexOf("reading_") === 0 && input.value !== "") {
        readings.push({ indicator: input.name.slice("reading_".length), value: Number(input.value) });
      }
    });
    var report = {
      community: communityCode(field("community")),
      observed_at: withZone(field("observed_at")),
      readings: readings,
      source_reliability: checked("source_reliability"),
      information_credibility: Number(checked("information_credibility")),
      narrative: field("narrative")
    };
    if (field("source_reference").trim()) {
      report.source_reference = field("source_reference");
    }
    if (field("handling_level")) {
      report.handling_level = field("handling_level");
    }
    if (!report.community || !field("observed_at") || !readings.length || !report.source_reliability ||
        !report.information_credibility) {
      return null;
    }
    return report;
  }

  function say(message) {
    status.textContent = message;
  }

  function save(event) {
    if (navigator.onLine) {
      return;  // posted as before
    }
    event.preventDefault();
    var report = body();
    if (!report) {
      say(text("incomplete"));
      section.hidden = false;
      status.focus();
      return;
    }
    var record = {
      key: window.EwersOutbox.newKey(),
      user: app.user,
      created: new Date().toISOString(),
      state: "waiting",
      body: report,
      summary: { community: field("community").trim(), observed: field("observed_at").replace("T", " ") }
    };
    window.EwersOutbox.add(record).then(function () {
      form.reset();
      freshKey();
      timeFromNow();
      say(text("saved"));
      render().then(function () { section.scrollIntoView(); status.focus(); });
      askForSync();
    }, function () {
      say(text("not-saved"));
    });
  }

  // Flatten the server's answer ({field: [messages]}, nested for readings, or {detail}) into lines.
  function errorLines(errors, record) {
    var lines = [];
    function walk(value, label) {
      if (value === null || value === undefined) {
        return;
      }
      if (typeof value === "string") {
        lines.push(label ? label + ": " + value : value);
      } else if (Array.isArray(value)) {
        value.forEach(function (item) { walk(item, label); });
      } else if (typeof value === "object") {
        Object.keys(value).forEach(function (key) {
          var inner = label;
          var known = section.getAttribute("data-label-" + key.replace(/_/g, "-"));
          if (!label && known) {
            inner = known;
          } else if (label && /^\d+$/.test(key) && record.body && record.body.readings &&
                     record.body.readings[+key]) {
            inner = label + " (" + record.body.readings[+key].indicator + ")";
          }
          walk(value[key], key === "detail" || key === "non_field_errors" ? label : inner);
        });
      }
    }
    walk(errors, "");
    return lines.length ? lines : [text("refused-no-reason")];
  }

  function setField(name, value) {
    var input = form.elements.namedItem(name);
    if (input && "value" in input) {
      input.value = value === undefined || value === null ? "" : String(value);
    }
  }

  function setChoice(name, value) {
    var input = form.querySelector("input[name='" + name + "'][value='" + String(value) + "']");
    if (input) {
      input.checked = true;
    }
  }

  // A refused report back in the form, to be corrected and saved again (with a new key;
  // the source reference was not kept and must be typed again).
  function putBack(record) {
    var report = record.body;
    form.reset();
    freshKey();
    setField("community", report.community);
    setField("observed_at", record.summary.observed.replace(" ", "T"));
    (report.readings || []).forEach(function (reading) {
      setField("reading_" + reading.indicator, reading.value);
    });
    setChoice("source_reliability", report.source_reliability);
    setChoice("information_credibility", report.information_credibility);
    setField("narrative", report.narrative);
    setField("handling_level", report.handling_level);
    window.EwersOutbox.remove(record.key).then(render).then(function () {
      say(text("put-back"));
      form.scrollIntoView();
    });
  }

  function item(record) {
    var li = document.createElement("li");
    li.className = "outbox-item outbox-" + record.state;
    li.setAttribute("data-state", record.state);
    li.setAttribute("data-key", record.key);
    var what = document.createElement("p");
    what.className = "outbox-what";
    what.textContent = text("summary", record.summary);
    li.appendChild(what);
    var state = document.createElement("p");
    state.className = "outbox-state";
    if (record.state === "sent") {
      var link = document.createElement("a");
      link.href = record.reportUrl;
      link.textContent = text("sent", { id: record.report });
      state.appendChild(link);
    } else {
      state.textContent = text(record.state);
    }
    li.appendChild(state);
    if (record.state === "refused") {
      var errors = document.createElement("ul");
      errors.className = "errorlist";
      errorLines(record.errors, record).forEach(function (line) {
        var entry = document.createElement("li");
        entry.textContent = line;
        errors.appendChild(entry);
      });
      li.appendChild(errors);
    }
    if (record.state === "refused" && record.body) {
      var edit = document.createElement("button");
      edit.type = "button";
      edit.className = "button";
      edit.textContent = text("edit");
      edit.addEventListener("click", function () { putBack(record); });
      li.appendChild(edit);
    }
    if (record.state === "sent" || record.state === "refused") {
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "button button-quiet";
      remove.textContent = text("remove");
      remove.addEventListener("click", function () {
        window.EwersOutbox.remove(record.key).then(render);
      });
      li.appendChild(remove);
    }
    return li;
  }

  function render() {
    return window.EwersOutbox.all().then(function (records) {
      var mine = records.filter(function (r) { return r.user === app.user; });
      list.textContent = "";
      mine.forEach(function (record) { list.appendChild(item(record)); });
      if (status.textContent === text("saved") && !mine.some(function (r) { return r.state === "waiting"; })) {
        status.textContent = "";  // sent since: the list says so
      }
      section.hidden = !mine.length && !status.textContent;
      return mine;
    }).catch(function () { return []; });
  }

  function send() {
    if (!navigator.onLine) {
      return Promise.resolve();
    }
    return window.EwersOutbox.sendAll(app, render).then(function (result) {
      if (result && result.signedIn === false) {
        say(text("sign-in"));
      }
      if (result && result.token) {
        // A page kept from an earlier sign-in carries an old token: post the form with the new one.
        var token = form.querySelector("input[name=csrfmiddlewaretoken]");
        if (token) {
          token.value = result.token;
        }
      }
      return render();
    });
  }

  function askForSync() {
    if (!("serviceWorker" in navigator)) {
      return;
    }
    navigator.serviceWorker.ready.then(function (registration) {
      return registration.sync ? registration.sync.register("ewers-outbox") : null;
    }).catch(function () {});
  }

  // A key of this page's own: a copy of the page kept by the service worker holds the key
  // it was drawn with, which an earlier sending of that copy may have used already.
  function freshKey() {
    var key = form.querySelector("input[name=idempotency_key]");
    if (key) {
      key.value = window.EwersOutbox.newKey();
    }
  }

  function showConnection() {
    notice.hidden = navigator.onLine;
  }

  function init() {
    section = document.getElementById("outbox");
    form = document.querySelector("form.report-form");
    if (!section || !form || !window.EwersOutbox || !window.indexedDB) {
      return;
    }
    app = {
      user: section.getAttribute("data-user"),
      data: section.getAttribute("data-data"),
      api: section.getAttribute("data-api"),
      report: section.getAttribute("data-report"),
      timeZone: section.getAttribute("data-time-zone")
    };
    list = document.getElementById("outbox-list");
    status = document.getElementById("outbox-status");
    notice = document.getElementById("offline-notice");
    freshKey();
    if (!document.getElementById("error-summary")) {
      timeFromNow();  // not over a time the person typed and the server sent back
    }
    form.addEventListener("submit", save);
    window.addEventListener("online", function () { showConnection(); send(); });
    window.addEventListener("offline", showConnection);
    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.addEventListener("message", function (event) {
        if (event.data && event.data.type === "outbox") {
          render();
        }
      });
    }
    window.setInterval(function () {
      window.EwersOutbox.all().then(function (records) {
        if (records.some(function (r) { return r.user === app.user && r.state === "waiting"; })) {
          send();
        }
      }).catch(function () {});
    }, RETRY_MS);
    showConnection();
    render().then(send);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
