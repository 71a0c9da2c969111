/* The pipeline board: move a deal (a card's "Move…" or a card dragged onto another
 * column) ticking the outcomes the move needs on the board itself, and bring a column's
 * next cards into it in place.
 *
 * Progressive enhancement only: without JavaScript each card's "Move…" link opens a
 * page that moves the deal (its outcomes to tick listed by stage), and a column's
 * "Show more" link opens its next cards.
 * - The move page's form shows only the outcomes the chosen stage needs (those of every
 *   stage passed on the way forward; none going back or losing the deal).
 * - "Move…" fetches that page and shows its panel in a dialog on the board; the form
 *   posts as on the page, so the server's answer (moved, refused with the ticks kept,
 *   or "why was it won or lost?") is exactly the page's.
 * - A drop fetches the page with the column's stage chosen: when the move needs
 *   outcomes still unticked, the dialog asks for them; otherwise the page's one move
 *   form (`data-move-form`) posts the stage at once.
 * - "Show more" fetches the link's page and moves its cards and its own "Show more"
 *   link into this column.
 */
(function () {
  "use strict";

  // The outcomes the chosen stage needs: those of the stages from the deal's own up to
  // (not including) the chosen one, moving forward to a stage that is not lost.
  function showNeeded(form) {
    var from = Number(form.dataset.moveFrom);
    var chosen = form.querySelector("input[name=stage]:checked");
    var to = chosen ? Number(chosen.dataset.order) : from;
    var forward = chosen && !chosen.hasAttribute("data-lost") && to > from;
    var shown = 0;
    form.querySelectorAll(".outcome-group").forEach(function (group) {
      var order = Number(group.dataset.order);
      var needed = forward && order >= from && order < to;
      group.hidden = !needed;
      group.querySelectorAll("input").forEach(function (box) {
        box.disabled = !needed;
      });
      shown += needed ? group.querySelectorAll("input:not(:checked)").length : 0;
    });
    var fieldset = form.querySelector("[data-outcomes]");
    if (fieldset) {
      fieldset.hidden = !form.querySelector(".outcome-group:not([hidden])");
    }
    return shown;
  }

  function wireMoveForm(form) {
    showNeeded(form);
    form.addEventListener("change", function (event) {
      if (event.target.name === "stage") {
        showNeeded(form);
      }
    });
  }

  document.querySelectorAll("form.move-form").forEach(wireMoveForm);

  var board = document.querySelector("[data-board]");
  if (!board) {
    return;
  }

  function chooseStage(form, stage) {
    var radio = stage && form.querySelector('input[name=stage][value="' + stage + '"]');
    if (radio) {
      radio.checked = true;
    }
  }

  // The move page's panel for `link` (a card's "Move…"), `stage` chosen if given.
  // Another page of the board's (a move page, a column's next cards), parsed.
  function fetchPage(url) {
    return fetch(url, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(response.status);
        }
        return response.text();
      })
      .then(function (html) {
        return new DOMParser().parseFromString(html, "text/html");
      });
  }

  function fetchMovePanel(link, stage) {
    var url = new URL(link.href);
    if (stage) {
      url.searchParams.set("stage", stage);
    }
    return fetchPage(url.pathname + url.search).then(function (page) {
      var panel = page.querySelector("[data-move-panel]");
      if (!panel || !panel.querySelector("form.move-form")) {
        throw new Error("no move form");
      }
      return document.importNode(panel, true);
    });
  }

  // One move at a time: a second tap, or a drop, while one is asked or fetched is ignored.
  var busy = false;

  // Show the panel in a modal dialog; closing it gives the focus back to `link`.
  function openDialog(panel, link, stage) {
    var dialog = document.createElement("dialog");
    dialog.className = "move-dialog";
    var title = panel.querySelector("h1");
    var heading = document.createElement("h2");
    heading.id = "move-dialog-title";
    heading.textContent = title.textContent;
    title.replaceWith(heading);
    dialog.setAttribute("aria-labelledby", heading.id);
    while (panel.firstChild) {
      dialog.appendChild(panel.firstChild);
    }
    var form = dialog.querySelector("form.move-form");
    chooseStage(form, stage);
    document.body.appendChild(dialog);
    wireMoveForm(form);
    dialog.addEventListener("click", function (event) {
      if (event.target.closest && event.target.closest("[data-move-cancel]")) {
        event.preventDefault();
        dialog.close();
      }
    });
    dialog.addEventListener("close", function () {
      dialog.remove();
      busy = false;
      link.focus();
    });
    dialog.showModal();
    var first = form.querySelector(".outcome-group:not([hidden]) input:not(:checked)");
    (first || form.querySelector("input[name=stage]:checked") || form).focus();
  }

  var dialogs = !!(window.fetch && window.DOMParser && window.URL && window.HTMLDialogElement);
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
        var stage = column.dataset.stage;
        if (!link || busy) {
          return;
        }
        column.classList.add("moving");
        function post() {
          moveForm.action = link.pathname;
          moveForm.elements.stage.value = stage;
          if (moveForm.requestSubmit) {
            moveForm.requestSubmit();
          } else {
            moveForm.submit();
          }
        }
        if (!dialogs) {
          post();
          return;
        }
        // Ask for the outcomes the move still needs, on the board; none: move now.
        busy = true;
        fetchMovePanel(link, stage)
          .then(function (panel) {
            var form = panel.querySelector("form.move-form");
            chooseStage(form, stage);
            if (showNeeded(form) === 0) {
              post();
              return;
            }
            column.classList.remove("moving");
            openDialog(panel, link, stage);
          })
          .catch(post);
      });
    });
  }

  board.addEventListener("click", function (event) {
    var move = dialogs && event.target.closest && event.target.closest("a.deal-move");
    if (move) {
      event.preventDefault();
      if (busy) {
        return;
      }
      busy = true;
      move.setAttribute("aria-busy", "true");
      fetchMovePanel(move)
        .then(function (panel) {
          move.removeAttribute("aria-busy");
          openDialog(panel, move);
        })
        .catch(function () {
          window.location.href = move.href; // the plain page still works
        });
      return;
    }
    var more = event.target.closest && event.target.closest("a[data-more]");
    if (!more || !window.fetch || !window.DOMParser) {
      return;
    }
    event.preventDefault();
    var column = more.closest(".column");
    var list = column.querySelector("ol.cards");
    more.setAttribute("aria-busy", "true");
    fetchPage(more.href)
      .then(function (page) {
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
