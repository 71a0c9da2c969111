/* The pickers (accounts/picker.py): suggest account or people's names as the user types.
 *
 * Progressive enhancement only: without JavaScript the server resolves the typed name
 * and, when it matches several, answers with them as suggestions. Here each text box
 * with `data-picker-search` asks that URL (`q=`) for at most 20 of what the user may
 * pick once two characters are typed, and shows them in its <datalist>. Picking one
 *  - puts its id into the hidden input `data-picker-pk` names (one record); text that is
 *    no suggestion leaves the id empty, so the server reads the name;
 *  - or, for several (`data-picker-many`: the list of ticked boxes), adds a ticked
 *    checkbox named `data-picker-field` to that list, says so in its status line and
 *    empties the text box for the next one.
 */
(function () {
  "use strict";

  var MIN_CHARS = 2;
  var WAIT_MS = 200;

  function setUp(box) {
    var list = document.getElementById(box.getAttribute("list"));
    var hidden = box.dataset.pickerPk ? document.getElementById(box.dataset.pickerPk) : null;
    var many = box.dataset.pickerMany ? document.getElementById(box.dataset.pickerMany) : null;
    if (!list || !(hidden || many) || !window.fetch) {
      return;
    }
    var status = many ? document.getElementById(box.dataset.pickerMany + "_status") : null;
    var timer = null;
    var asked = null;

    function chosen() {
      var found = null;
      Array.prototype.forEach.call(list.options, function (option) {
        if (option.value === box.value) {
          found = option;
        }
      });
      return found;
    }

    function add(option) {
      var id = option.dataset.id;
      var already = Array.prototype.some.call(
        many.querySelectorAll("input[type=checkbox]"),
        function (input) {
          if (input.value === id) {
            input.checked = true;
            return true;
          }
          return false;
        }
      );
      if (!already) {
        var item = document.createElement("li");
        var label = document.createElement("label");
        var input = document.createElement("input");
        input.type = "checkbox";
        input.name = box.dataset.pickerField;
        input.value = id;
        input.checked = true;
        label.append(input, " " + option.value);
        item.append(label);
        many.append(item);
      }
      if (status) {
        status.textContent = box.dataset.pickerAdded + " " + option.value;
      }
      box.value = "";
      asked = null;
    }

    // `fromList`: the value came from the list (a typed name that happens to equal a
    // suggestion is not added to several until it is picked).
    function pick(fromList) {
      var option = chosen();
      if (many) {
        if (option && fromList) {
          add(option);
          return true;
        }
        return false;
      }
      hidden.value = option ? option.dataset.id : "";
      return Boolean(option);
    }

    function show(results) {
      var options = results.map(function (row) {
        var option = document.createElement("option");
        option.value = row.label;
        option.dataset.id = row.id;
        return option;
      });
      list.replaceChildren.apply(list, options);
    }

    function ask(query) {
      asked = query;
      var url = box.dataset.pickerSearch;
      url += (url.indexOf("?") === -1 ? "?" : "&") + "q=" + encodeURIComponent(query);
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) {
          return response.ok ? response.json() : { results: [] };
        })
        .then(function (data) {
          if (box.value.trim() === query) {
            show(data.results);
            pick(false);
          }
        })
        .catch(function () {
          asked = null; // offline or refused: the server still reads the typed name
        });
    }

    box.addEventListener("input", function (event) {
      // Browsers report a suggestion chosen from a <datalist> as a replacement.
      var picked = pick(!event.inputType || event.inputType === "insertReplacementText");
      var query = box.value.trim();
      window.clearTimeout(timer);
      if (picked || query.length < MIN_CHARS || query === asked) {
        return;
      }
      timer = window.setTimeout(function () {
        ask(query);
      }, WAIT_MS);
    });
  }

  document.querySelectorAll("input[data-picker-search]").forEach(setUp);
})();
