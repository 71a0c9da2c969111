/* The pipeline board: drag a card onto another column to move the deal, and bring a
 * column's next cards into it in place.
 *
 * Progressive enhancement only: without JavaScript each card's "Move…" link opens a
 * page that moves the deal, and a column's "Show more" link opens its next cards.
 * - A drop fills the page's one move form (`data-move-form`) with the column's stage
 *   and posts it to the card's move URL, so the server's answer (moved, refused for
 *   unticked outcomes, or "why was it won or lost?") is exactly what that page gives.
 * - "Show more" fetches the link's page and moves its cards and its own "Show more"
 *   link into this column.
 */
(function () {
  "use strict";

  var board = document.querySelector("[data-board]");
  if (!board) {
    return;
  }
  var moveForm = document.querySelector("form[data-move-form]");
  var dragged = null;

  function clearTargets() {
    board.querySelectorAll(".drop-target").forEach(function (column) {
      column.classList.remove("drop-target");
    });
  }

  function makeDraggable(root) {
    root.querySelectorAll(".deal[data-stage]").forEach(function (card) {
      card.setAttribute("draggable", "true");
    });
  }

  if (moveForm && "draggable" in document.createElement("div")) {
    makeDraggable(board);

    board.addEventListener("dragstart", function (event) {
      var card = event.target.closest && event.target.closest(".deal[data-stage]");
      if (!card) {
        return;
      }
      dragged = card;
      card.classList.add("dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", card.dataset.deal);
    });
    board.addEventListener("dragend", function () {
      if (dragged) {
        dragged.classList.remove("dragging");
      }
      dragged = null;
      clearTargets();
    });

    board.querySelectorAll(".column[data-stage]").forEach(function (column) {
      column.addEventListener("dragover", function (event) {
        if (dragged && dragged.dataset.stage !== column.dataset.stage) {
          event.preventDefault();
          event.dataTransfer.dropEffect = "move";
          column.classList.add("drop-target");
        }
      });
      column.addEventListener("dragleave", function (event) {
        if (!column.contains(event.relatedTarget)) {
          column.classList.remove("drop-target");
        }
      });
      column.addEventListener("drop", function (event) {
        event.preventDefault();
        clearTargets();
        if (!dragged || dragged.dataset.stage === column.dataset.stage) {
          return;
        }
        var link = dragged.querySelector("a.deal-move");
        moveForm.action = link.pathname;
        moveForm.elements.stage.value = column.dataset.stage;
        column.classList.add("moving");
        if (moveForm.requestSubmit) {
          moveForm.requestSubmit();
        } else {
          moveForm.submit();
        }
      });
    });
  }

  board.addEventListener("click", function (event) {
    var more = event.target.closest && event.target.closest("a[data-more]");
    if (!more || !window.fetch || !window.DOMParser) {
      return;
    }
    event.preventDefault();
    var column = more.closest(".column");
    var list = column.querySelector("ol.cards");
    more.setAttribute("aria-busy", "true");
    fetch(more.href, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(response.status);
        }
        return response.text();
      })
      .then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        var source = page.getElementById(column.id);
        var cards = source ? source.querySelectorAll("ol.cards > li.deal") : [];
        var first = null;
        cards.forEach(function (card) {
          var added = document.importNode(card, true);
          // Its "Move…" page comes back here, not to the page the card was fetched from.
          var move = added.querySelector("a.deal-move");
          if (move && window.URL) {
            var url = new URL(move.href);
            url.searchParams.set("next", window.location.pathname + window.location.search);
            move.href = url.pathname + url.search;
          }
          list.appendChild(added);
          first = first || added;
        });
        makeDraggable(list);
        var next = source && source.querySelector("a[data-more]");
        if (next) {
          more.href = next.href;
          more.textContent = next.textContent;
          more.removeAttribute("aria-busy");
        } else {
          more.remove();
        }
        // Keep the keyboard's place: on the first card that came in.
        if (first) {
          first.querySelector("a").focus();
        }
      })
      .catch(function () {
        window.location.href = more.href; // the plain page still works
      });
  });
})();
