/* The pipeline board: drag a card onto another column to move the deal.
 *
 * Progressive enhancement only: each card already has a "Move to" form that works
 * without JavaScript. A drop picks the column's stage in that form and submits it, so
 * the server's answer (moved, refused for unticked outcomes, or "why was it won or
 * lost?") is exactly what the button gives.
 */
(function () {
  "use strict";

  var board = document.querySelector("[data-board]");
  if (!board || !("draggable" in document.createElement("div"))) {
    return;
  }
  var dragged = null;

  function clearTargets() {
    board.querySelectorAll(".drop-target").forEach(function (column) {
      column.classList.remove("drop-target");
    });
  }

  board.querySelectorAll(".deal[data-stage]").forEach(function (card) {
    card.setAttribute("draggable", "true");
    card.addEventListener("dragstart", function (event) {
      if (event.target.closest && event.target.closest("select, button, input")) {
        event.preventDefault();
        return;
      }
      dragged = card;
      card.classList.add("dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", card.dataset.deal);
    });
    card.addEventListener("dragend", function () {
      card.classList.remove("dragging");
      dragged = null;
      clearTargets();
    });
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
      var form = dragged.querySelector("form.move");
      form.elements.stage.value = column.dataset.stage;
      column.classList.add("moving");
      if (form.requestSubmit) {
        form.requestSubmit();
      } else {
        form.submit();
      }
    });
  });
})();
