/* The source page while a pull runs: follow its run until it finishes, without reloading.
   While any run in the history is queued or running, fetch the page's progress fragment (the freshness
   line and the run rows, rendered by the server) and swap it in, checking often at first and less often
   while nothing changes. Without this script the page still works: reload it to see the run's state. */
(function () {
  "use strict";
  var table = document.querySelector("#runs[data-progress-url]");
  if (!table) { return; }
  var url = table.dataset.progressUrl;
  var state = document.getElementById("runs-state");
  var FIRST_DELAY = 1000, MAX_DELAY = 10000, GIVE_UP_AFTER = 30 * 60 * 1000;
  var started = Date.now();
  var delay = FIRST_DELAY;

  function activeIds(tbody) {
    return Array.prototype.map.call(
      tbody.querySelectorAll("tr[data-status=queued], tr[data-status=running]"),
      function (row) { return row.dataset.runId; }
    );
  }

  function say(text, failed) {
    if (!state) { return; }
    state.textContent = text;
    state.classList.toggle("error", !!failed);
  }

  function clock() {
    return new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  }

  function finishedText(tbody, ids) {
    return ids.map(function (id) {
      var row = tbody.querySelector("tr[data-run-id='" + id + "']");
      if (!row) { return ""; }
      var status = row.querySelector(".run-status").textContent.trim();
      var rows = row.querySelector(".run-rows").textContent.trim();
      return "Run " + id + ": " + status.toLowerCase() + ", " + rows + " row" + (rows === "1" ? "" : "s") + " written.";
    }).filter(Boolean).join(" ");
  }

  function poll() {
    var current = document.getElementById("run-rows");
    var before = activeIds(current);
    fetch(url, { credentials: "same-origin", cache: "no-store", headers: { "Accept": "text/html" } })
      .then(function (response) {
        if (!response.ok || response.redirected) {
          throw new Error(response.redirected ? "signed out" : "HTTP " + response.status);
        }
        return response.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        var rows = fresh.getElementById("run-rows");
        if (!rows) { throw new Error("unexpected answer"); }
        var changed = rows.innerHTML !== current.innerHTML;
        current.replaceWith(document.importNode(rows, true));
        var freshness = fresh.getElementById("freshness");
        var shown = document.getElementById("freshness");
        if (freshness && shown) { shown.replaceWith(document.importNode(freshness, true)); }
        var now = document.getElementById("run-rows");
        var still = activeIds(now);
        var done = before.filter(function (id) { return still.indexOf(id) === -1; });
        if (still.length === 0) {
          say(done.length ? finishedText(now, done) : "No pull is running.", false);
          if (done.length) { refreshSummary(); }
          return;
        }
        say("Following " + still.length + " pull" + (still.length === 1 ? "" : "s") + "… checked at " + clock() + ".", false);
        delay = changed ? FIRST_DELAY : Math.min(Math.round(delay * 1.5), MAX_DELAY);
        schedule();
      })
      .catch(function (error) {
        say("Stopped following the pull (" + error.message + "): reload the page to see its state.", true);
      });
  }

  // Once a run finishes, the month's figures, requests and any failure notice change too: take them
  // from a fresh copy of this page.
  function refreshSummary() {
    fetch(window.location.pathname, { credentials: "same-origin", cache: "no-store", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok && !response.redirected ? response.text() : null; })
      .then(function (html) {
        if (!html) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("source-summary");
        var shown = document.getElementById("source-summary");
        if (fresh && shown) { shown.replaceWith(document.importNode(fresh, true)); }
      })
      .catch(function () { /* the run table is already current; the cards refresh on the next visit */ });
  }

  function schedule() {
    if (Date.now() - started > GIVE_UP_AFTER) {
      say("Still running after 30 minutes: reload the page to check again.", false);
      return;
    }
    window.setTimeout(poll, delay);
  }

  var initial = activeIds(document.getElementById("run-rows"));
  if (initial.length) {
    say("Following " + initial.length + " pull" + (initial.length === 1 ? "" : "s") + "…", false);
    schedule();
  }
})();
