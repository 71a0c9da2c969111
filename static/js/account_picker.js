/* The account picker (accounts/picker.py): suggest account names as the user types.
 *
 * Progressive enhancement only: without JavaScript the server resolves the typed name
 * and, when it matches several accounts, answers with them as suggestions. Here each
 * text box with `data-account-search` asks that URL (`?q=`) for at most 20 of the
 * user's accounts once two characters are typed, shows them in its <datalist>, and
 * puts the id of the suggestion picked into the hidden input `data-account-pk` names.
 * Text that is no suggestion leaves the id empty, so the server reads the name.
 */
(function () {
  "use strict";

  var MIN_CHARS = 2;
  var WAIT_MS = 200;

  function setUp(box) {
    var hidden = document.getElementById(box.dataset.accountPk);
    var list = document.getElementById(box.getAttribute("list"));
    if (!hidden || !list || !window.fetch) {
      return;
    }
    var timer = null;
    var asked = null;

    function pick() {
      var chosen = "";
      Array.prototype.forEach.call(list.options, function (option) {
        if (option.value === box.value) {
          chosen = option.dataset.id;
        }
      });
      hidden.value = chosen;
    }

    function show(results) {
      var options = results.map(function (account) {
        var option = document.createElement("option");
        option.value = account.label;
        option.dataset.id = account.id;
        return option;
      });
      list.replaceChildren.apply(list, options);
    }

    function ask(query) {
      asked = query;
      var url = box.dataset.accountSearch + "?q=" + encodeURIComponent(query);
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) {
          return response.ok ? response.json() : { results: [] };
        })
        .then(function (data) {
          if (box.value.trim() === query) {
            show(data.results);
            pick();
          }
        })
        .catch(function () {
          asked = null; // offline or refused: the server still reads the typed name
        });
    }

    box.addEventListener("input", function () {
      pick();
      var query = box.value.trim();
      window.clearTimeout(timer);
      if (query.length < MIN_CHARS || query === asked || hidden.value) {
        return;
      }
      timer = window.setTimeout(function () {
        ask(query);
      }, WAIT_MS);
    });
  }

  document.querySelectorAll("input[data-account-search]").forEach(setUp);
})();
