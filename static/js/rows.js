/* Lists on a phone: a compact row per record, its full card one tap away.
 *
 * A table marked `compact` keeps, at phone width, only its `td.keep` cells on one line
 * (the record's name and what tells rows apart); the "Details" button this script adds
 * to the row's `td.grow` cell (labelled by `data-row-toggle`, named after the row's
 * link for screen readers) opens the row as the full card with every labelled cell.
 * Without JavaScript nothing is folded: every row is the full card, as before. On wider
 * screens the table is a table and the button is not shown (app.css).
 *
 * A list's filters (includes/filter_form.html) are unfolded when one is set; at phone
 * width they are folded again, so the results come first: the summary says how many
 * are set. Not when one of them is wrong: its message must be seen.
 */
(function () {
  "use strict";

  document.querySelectorAll("table.compact").forEach(function (table) {
    var label = table.dataset.rowToggle || "Details";
    table.querySelectorAll("tbody > tr").forEach(function (row) {
      var cell = row.querySelector("td.keep.grow") || row.querySelector("td.keep");
      if (!cell) {
        return;
      }
      var link = cell.querySelector("a");
      var button = document.createElement("button");
      button.type = "button";
      button.className = "row-toggle";
      button.setAttribute("aria-expanded", "false");
      button.appendChild(document.createTextNode(label));
      if (link) {
        var name = document.createElement("span");
        name.className = "visually-hidden";
        name.textContent = " " + link.textContent.trim();
        button.appendChild(name);
      }
      button.addEventListener("click", function () {
        var open = row.classList.toggle("open");
        button.setAttribute("aria-expanded", open ? "true" : "false");
      });
      cell.appendChild(button);
    });
    table.classList.add("rows-folded");
  });

  if (window.matchMedia("(max-width: 700px)").matches) {
    document.querySelectorAll("details.more-filters[open]").forEach(function (details) {
      if (!details.hasAttribute("data-errors")) {
        details.open = false;
      }
    });
  }
})();
