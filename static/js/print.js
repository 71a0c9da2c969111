/* The Print button of a print-ready page (the account's visit brief).
 *
 * The button is `hidden` in the markup, so a browser without JavaScript shows only the
 * hint to use its own Print command; here every `[data-print]` button is shown and
 * opens the browser's print dialog. A file rather than an inline handler, for the CSP.
 */
(function () {
  "use strict";

  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      window.print();
    });
  });
})();
