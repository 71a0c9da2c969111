/* "Your exports" (templates/exports/files.html) shows a file when it is ready.
 *
 * Progressive enhancement only: without JavaScript the page has a Reload link. Here the
 * paragraph with `data-export-files` asks that URL every three seconds which of the
 * user's files are not ready yet, and reloads the page once one of those the page shows
 * as unfinished (`data-unfinished`) is ready or failed, to show its download link.
 */
(function () {
  "use strict";

  var EVERY_MS = 3000;

  function setUp(element) {
    var url = element.dataset.exportFiles;
    var shown = (element.dataset.unfinished || "").split(",").filter(Boolean).map(Number);
    if (!url || !shown.length || !window.fetch) {
      return;
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
          var finished = shown.some(function (id) {
            return state.unfinished.indexOf(id) === -1;
          });
          if (finished) {
            window.location.reload();
            return;
          }
          window.setTimeout(ask, EVERY_MS);
        })
        .catch(function () {
          window.setTimeout(ask, EVERY_MS * 2);
        });
    }

    window.setTimeout(ask, EVERY_MS);
  }

  document.querySelectorAll("[data-export-files]").forEach(setUp);
})();
