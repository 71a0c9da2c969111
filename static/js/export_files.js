/* "Your exports" (templates/exports/files.html) shows a file when it is ready.
 *
 * Progressive enhancement only: without JavaScript the page has a Reload link. Here the
 * paragraph with `data-export-files` asks that URL every three seconds which of the
 * user's files are not ready yet. When one the page shows as unfinished
 * (`data-unfinished`) is ready or failed, its row is replaced by the row of the page as
 * it is now (read in the background): the rest of the page, and where the keyboard is,
 * stay as they are, and the status region (`data-export-status`) says which file is
 * ready, for screen readers too. If the page cannot be read, it is reloaded.
 */
(function () {
  "use strict";

  var EVERY_MS = 3000;

  function rowOf(root, id) {
    return root.querySelector('tr[data-export-file="' + id + '"]');
  }

  function describe(row) {
    var name = row.cells[0] ? row.cells[0].textContent : "";
    var status = row.querySelector("[data-file-status]");
    return (name + " – " + (status ? status.textContent : "")).replace(/\s+/g, " ").trim();
  }

  function setUp(element) {
    var url = element.dataset.exportFiles;
    var waiting = (element.dataset.unfinished || "").split(",").filter(Boolean).map(Number);
    var region = document.querySelector("[data-export-status]");
    if (!url || !waiting.length || !window.fetch || !window.DOMParser) {
      return;
    }

    function show(finished) {
      return fetch(window.location.pathname, { credentials: "same-origin" })
        .then(function (response) {
          return response.ok ? response.text() : null;
        })
        .then(function (html) {
          var page = html && new DOMParser().parseFromString(html, "text/html");
          var told = [];
          finished.forEach(function (id) {
            var fresh = page && rowOf(page, id);
            var here = rowOf(document, id);
            if (fresh && here) {
              here.replaceWith(document.importNode(fresh, true));
              told.push(describe(fresh));
            } else if (here) {
              throw new Error("row " + id + " not found");
            }
          });
          if (region && told.length) {
            region.textContent = told.join("; ");
          }
        })
        .catch(function () {
          window.location.reload();
        });
    }

    function ask() {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) {
          return response.ok ? response.json() : null;
        })
        .then(function (state) {
          if (!state) {
            window.setTimeout(ask, EVERY_MS * 2);
            return;
          }
          var finished = waiting.filter(function (id) {
            return state.unfinished.indexOf(id) === -1;
          });
          waiting = waiting.filter(function (id) {
            return finished.indexOf(id) === -1;
          });
          var next = finished.length ? show(finished) : Promise.resolve();
          next.then(function () {
            if (waiting.length) {
              window.setTimeout(ask, EVERY_MS);
            } else if (!element.contains(document.activeElement)) {
              element.hidden = true; // nothing is being prepared any more
            }
          });
        })
        .catch(function () {
          window.setTimeout(ask, EVERY_MS * 2);
        });
    }

    window.setTimeout(ask, EVERY_MS);
  }

  document.querySelectorAll("[data-export-files]").forEach(setUp);
})();
