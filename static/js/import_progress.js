/* The progress of an import (templates/imports/job.html), kept up to date.
 *
 * Progressive enhancement only: without JavaScript the page shows the progress it was
 * rendered with and a Reload link. Here the section with `data-import-progress` asks
 * that URL every two seconds how far the run is, moves the <progress> bar, and reloads
 * the page when the run has finished, to show the preview or the result. The text
 * under the bar is a status region: screen readers hear it only when it changes by a
 * tenth or more, not at every poll.
 */
(function () {
  "use strict";

  var EVERY_MS = 2000;

  function setUp(section) {
    var url = section.dataset.importProgress;
    var bar = section.querySelector("progress");
    var text = section.querySelector("[data-progress-text]");
    var told = Math.floor((bar ? Number(bar.value) : 0) / 10);
    if (!url || !bar || !text || !window.fetch) {
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
          if (state.finished) {
            window.location.reload();
            return;
          }
          bar.value = state.percent;
          bar.textContent = state.percent + "%";
          if (Math.floor(state.percent / 10) !== told) {
            told = Math.floor(state.percent / 10);
            text.textContent = state.text;
          }
          window.setTimeout(ask, EVERY_MS);
        })
        .catch(function () {
          window.setTimeout(ask, EVERY_MS * 2);
        });
    }

    window.setTimeout(ask, EVERY_MS);
  }

  document.querySelectorAll("[data-import-progress]").forEach(setUp);
})();
