/* The outbox: visits logged with no signal, kept on the device and sent once the network
 * is back (issue 15). Loaded by every page and by the service worker (templates/offline/
 * sw.js), which shares `KeyaccountsOutbox.keepForm` for a form posted as the network fails.
 *
 * - Kept in IndexedDB ("keyaccounts-offline", store "outbox"), one entry per visit form:
 *   every field as typed (nothing is lost, whatever the server says later), its account,
 *   who typed it, and an Idempotency-Key made when it was kept.
 * - Sent through the API (`POST /api/v1/visits/`, the session's CSRF token, the entry's
 *   Idempotency-Key): a retry after a lost answer creates nothing twice. Sent when a page
 *   opens, when the browser says the network is back, and every 30 seconds while there are
 *   entries — also after the browser was closed and opened again.
 * - The server refusing it (the account reassigned, a field invalid) marks it refused with
 *   the reasons; the rep fixes it (its form opens filled in as typed) or discards it. No
 *   network, a server error or a lapsed sign-in leaves it waiting.
 * - The panel (`[data-outbox]` in base.html) lists the signed-in user's entries on every
 *   page, with their state in words.
 * - My week names the rep's accounts and their visit forms (`data-offline-keep`); the
 *   service worker keeps them so they open with no signal. Signing out forgets kept pages.
 */
(function (root) {
  "use strict";

  var DB_NAME = "keyaccounts-offline";
  var STORE = "outbox";
  var API = "/api/v1/visits/";
  var MY_WEEK = "/my-week/";
  // What is kept: a new visit (posted to its account's form) and a visit's follow-up.
  var VISIT_FORM = /^\/accounts\/(\d+)\/visits\/new\/$/;
  var FOLLOW_UP_FORM = /^\/visits\/(\d+)\/follow-up\/$/;
  var NOT_SENT = { csrfmiddlewaretoken: 1, form_token: 1, version: 1, next: 1 };
  var LISTS = { contacts: 1, attendees: 1 };
  var CHECKBOXES = { pre_visit_call_held: 1 };
  var NUMBERS = { duration_minutes: 1 };

  function openDb() {
    return new Promise(function (resolve, reject) {
      var request = root.indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () {
        request.result.createObjectStore(STORE, { keyPath: "key" });
      };
      request.onsuccess = function () {
        resolve(request.result);
      };
      request.onerror = function () {
        reject(request.error);
      };
    });
  }

  // One transaction; resolves with the request's result once it is committed.
  function inStore(mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var transaction = db.transaction(STORE, mode);
        var request = work(transaction.objectStore(STORE));
        transaction.oncomplete = function () {
          db.close();
          resolve(request ? request.result : undefined);
        };
        transaction.onerror = transaction.onabort = function () {
          db.close();
          reject(transaction.error);
        };
      });
    });
  }

  function entries() {
    return inStore("readonly", function (store) {
      return store.getAll();
    });
  }

  function save(entry) {
    return inStore("readwrite", function (store) {
      return store.put(entry);
    });
  }

  function discard(key) {
    return inStore("readwrite", function (store) {
      return store.delete(key);
    });
  }

  // 32 hexadecimal digits: a form's token (keyaccounts.formtokens), or a key.
  function randomHex() {
    var bytes = new Uint8Array(16);
    root.crypto.getRandomValues(bytes);
    return Array.prototype.map
      .call(bytes, function (b) {
        return ("0" + b.toString(16)).slice(-2);
      })
      .join("");
  }

  function newKey() {
    return root.crypto.randomUUID ? root.crypto.randomUUID() : randomHex();
  }

  function first(values) {
    return values && values.length ? values[0] : "";
  }

  function isKeptForm(path) {
    return VISIT_FORM.test(path) || FOLLOW_UP_FORM.test(path);
  }

  // Keep a form as typed (`form`: its FormData; `url`: where it posts, with the page's
  // query: a new visit's form, or a visit's follow-up form).
  function keepForm(form, url) {
    var address = new URL(url, root.location.href);
    var visit = VISIT_FORM.exec(address.pathname);
    var followUp = FOLLOW_UP_FORM.exec(address.pathname);
    var fields = {};
    form.forEach(function (value, name) {
      if (!NOT_SENT[name] && typeof value === "string") {
        (fields[name] = fields[name] || []).push(value);
      }
    });
    // The form's own token as the key: if the form reached the server after all, the
    // server knows it as saved ("already_saved") and nothing is created twice.
    var token = first(form.getAll("form_token"));
    var entry = {
      key: /^[0-9a-f]{32}$/.test(token) ? "form:" + token : newKey(),
      kind: followUp ? "follow_up" : "visit",
      kept: new Date().toISOString(),
      // Where it is fixed: the visit form, or the visit's page (its follow-up form).
      url: followUp ? "/visits/" + followUp[1] + "/" : address.pathname + address.search,
      api: followUp ? API + followUp[1] + "/follow-up/" : API,
      account: visit ? Number(visit[1]) : null,
      accountName: first(fields._account_name),
      user: first(fields._user),
      status: address.searchParams.get("status") === "planned" ? "planned" : "done",
      fields: fields,
      csrf: first(form.getAll("csrfmiddlewaretoken")),
      state: "waiting",
      reasons: [],
    };
    return save(entry).then(function () {
      return entry;
    });
  }

  // A colleague typed by name and not picked from the suggestions (no signal to look
  // them up): sent as typed, the server finds them as the form's picker would.
  function unpicked(entry) {
    return (entry.fields.attendees_name || []).filter(function (name) {
      return name.trim() !== "";
    });
  }

  // The form's field that a refusal of an API field stands beside.
  var FORM_FIELD = { attendee_names: "attendees_name" };

  // The API's body for the entry: the form's fields under the API's names (the same).
  function payload(entry) {
    var body = entry.kind === "follow_up" ? {} : { account: entry.account, status: entry.status };
    var typed = unpicked(entry);
    if (typed.length) {
      body.attendee_names = typed;
    }
    Object.keys(entry.fields).forEach(function (name) {
      if (name.charAt(0) === "_" || /_name$/.test(name)) {
        return; // the picker's text box, the outbox's own notes
      }
      var values = entry.fields[name];
      if (LISTS[name]) {
        body[name] = values.filter(Boolean).map(Number);
      } else if (CHECKBOXES[name]) {
        body[name] = true;
      } else if (values[values.length - 1] !== "") {
        var value = values[values.length - 1];
        body[name] = NUMBERS[name] ? Number(value) : value;
      }
    });
    return body;
  }

  // The field as the form names it (`data-labels` of the panel), else as the API does.
  function labelOf(field) {
    var labels = {};
    try {
      var panel = root.document && root.document.querySelector("[data-outbox]");
      labels = panel ? JSON.parse(panel.dataset.labels || "{}") : {};
    } catch (error) {
      labels = {};
    }
    return labels[field.split(".")[0]] || field;
  }

  function colon() {
    var panel = root.document && root.document.querySelector("[data-outbox]");
    return (panel && panel.dataset.colon) || ": ";
  }

  function reasonsOf(body, fallback) {
    var reasons = [];
    var errors = (body && body.errors) || {};
    Object.keys(errors).forEach(function (field) {
      [].concat(errors[field]).forEach(function (message) {
        reasons.push(field === "non_field_errors" ? message : labelOf(field) + colon() + message);
      });
    });
    if (!reasons.length) {
      reasons.push((body && body.detail) || fallback);
    }
    return reasons;
  }

  function csrfToken() {
    var found = /(?:^|;\s*)csrftoken=([^;]+)/.exec(root.document ? root.document.cookie : "");
    return found ? decodeURIComponent(found[1]) : "";
  }

  // Mark the entry refused, unless it was discarded meanwhile. `errors`: the server's
  // messages by field ({name: [message]}), shown beside the fields when it is fixed.
  function refuse(entry, reasons, errors) {
    return inStore("readwrite", function (store) {
      var request = store.get(entry.key);
      request.onsuccess = function () {
        if (request.result) {
          entry.state = "refused";
          entry.reasons = reasons;
          entry.errors = errors || {};
          store.put(entry);
        }
      };
      return request;
    }).then(function () {
      return "refused";
    });
  }

  // Send one entry: "sent", "refused" (kept, with the reasons) or "waiting".
  function send(entry) {
    return fetch(entry.api || API, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "Idempotency-Key": entry.key,
        "X-CSRFToken": csrfToken() || entry.csrf,
        "X-Outbox-User": String(entry.user || ""),
      },
      body: JSON.stringify(payload(entry)),
    }).then(
      function (response) {
        if (response.ok) {
          return discard(entry.key).then(function () {
            return "sent";
          });
        }
        if (response.status >= 500 || response.status === 401 || response.status === 403 || response.status === 429) {
          return "waiting"; // the server or the sign-in, not the visit: try again later
        }
        return response
          .json()
          .catch(function () {
            return {};
          })
          .then(function (body) {
            if (body && body.code === "already_saved") {
              // The form itself reached the server after all: it is saved.
              return discard(entry.key).then(function () {
                return "sent";
              });
            }
            return refuse(entry, reasonsOf(body, "HTTP " + response.status), (body && body.errors) || {});
          });
      },
      function () {
        return "waiting";
      }
    );
  }

  var api = {
    MY_WEEK: MY_WEEK,
    isKeptForm: isKeptForm,
    keepForm: keepForm,
    entries: entries,
    discard: discard,
    payload: payload,
    send: send,
  };
  root.KeyaccountsOutbox = api;

  if (!root.document) {
    return; // the service worker: the shared part only
  }

  // --- the pages ---------------------------------------------------------------------

  var panel = document.querySelector("[data-outbox]");
  var user = panel ? panel.dataset.user : "";
  var texts = panel ? panel.dataset : {};
  var sending = false;
  var arrivalNote = "";

  function mine(list) {
    return list.filter(function (entry) {
      return String(entry.user) === String(user);
    });
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text) {
      node.textContent = text;
    }
    return node;
  }

  function summary(entry) {
    var fields = entry.fields;
    var when =
      first(fields.occurred_at) ||
      first(fields.planned_at) ||
      first(fields.followed_up_on) ||
      entry.kept.slice(0, 16);
    var said =
      first(fields.talking_points) || first(fields.purpose) || first(fields.follow_up_feedback) || "";
    return [when.replace("T", " "), said.length > 60 ? said.slice(0, 60) + "…" : said]
      .filter(Boolean)
      .join(" · ");
  }

  function render(list, note) {
    if (!panel) {
      return;
    }
    var own = mine(list);
    panel.textContent = "";
    if (note) {
      panel.appendChild(element("p", "outbox-note", note));
    }
    if (!own.length) {
      panel.hidden = !note;
      return;
    }
    panel.hidden = false;
    panel.appendChild(element("h2", "outbox-title", texts.title + " (" + own.length + ")"));
    var items = element("ul", "outbox-list plain");
    own.forEach(function (entry) {
      var item = element("li", "outbox-item" + (entry.state === "refused" ? " refused" : ""));
      item.dataset.outboxEntry = entry.key;
      item.appendChild(
        element(
          "strong",
          "",
          (entry.kind === "follow_up" ? texts.followUp + " · " : "") + (entry.accountName || texts.visit)
        )
      );
      item.appendChild(element("span", "muted", " " + summary(entry)));
      var state = element(
        "p",
        "outbox-state badge " + (entry.state === "refused" ? "danger" : "warn"),
        entry.state === "refused" ? texts.refused : texts.waiting
      );
      item.appendChild(state);
      if (entry.state === "refused") {
        var reasons = element("ul", "outbox-reasons");
        entry.reasons.forEach(function (reason) {
          reasons.appendChild(element("li", "", reason));
        });
        item.appendChild(reasons);
      }
      var actions = element("p", "outbox-actions");
      if (entry.state === "refused") {
        // Waiting ones are sent as they are; a refused one opens its form, filled in.
        var fix = element("a", "", texts.fix);
        fix.href = entry.url + "#outbox=" + encodeURIComponent(entry.key);
        actions.appendChild(fix);
        actions.appendChild(document.createTextNode(" "));
      }
      var drop = element("button", "link danger", texts.discard);
      drop.type = "button";
      drop.addEventListener("click", function () {
        if (root.confirm(texts.confirm)) {
          discard(entry.key).then(refresh);
        }
      });
      actions.appendChild(drop);
      item.appendChild(actions);
      items.appendChild(item);
    });
    panel.appendChild(items);
  }

  function refresh(note) {
    return entries()
      .then(function (list) {
        render(list, typeof note === "string" ? note : "");
        return list;
      })
      .catch(function () {
        return [];
      });
  }

  // Send the user's waiting entries, one at a time, then show what is left; one tab at
  // a time (a lock where the browser has them; the key makes a second send harmless).
  function flush() {
    if (sending || !user || navigator.onLine === false) {
      return Promise.resolve();
    }
    sending = true;
    if (navigator.locks && navigator.locks.request) {
      return navigator.locks.request("keyaccounts-outbox", sendAll);
    }
    return sendAll();
  }

  function sendAll() {
    return entries()
      .then(function (list) {
        var waiting = mine(list).filter(function (entry) {
          return entry.state === "waiting";
        });
        var sent = 0;
        var refused = 0;
        return waiting
          .reduce(function (done, entry) {
            return done.then(function () {
              return send(entry).then(function (result) {
                sent += result === "sent" ? 1 : 0;
                refused += result === "refused" ? 1 : 0;
              });
            });
          }, Promise.resolve())
          .then(function () {
            if (refused || (!waiting.length && arrivalNote === texts.kept)) {
              // "Kept, sent when there is a signal" is over: it was sent (by this page,
              // refused; or by another tab or page before this one, taken).
              arrivalNote = "";
            }
            // Sent now; else what the page came to say (kept, or sent by the last page).
            return sent ? texts.sent.replace("%(count)s", sent) : arrivalNote;
          });
      })
      .then(refresh, refresh)
      .then(function () {
        sending = false;
      });
  }

  // The visit form: kept in the outbox instead of posted while the browser is offline;
  // opened from the outbox ("#outbox=<key>"), filled in as typed.
  function fillFrom(form, entry) {
    var shown = {};
    Array.prototype.forEach.call(form.elements, function (field) {
      var values = entry.fields[field.name];
      if (!field.name || NOT_SENT[field.name] || field.name.charAt(0) === "_") {
        return;
      }
      if (field.type === "checkbox" || field.type === "radio") {
        field.checked = !!values && values.indexOf(field.value) !== -1;
        (shown[field.name] = shown[field.name] || []).push(field.value);
      } else if (values) {
        field.value = values[values.length - 1];
      }
    });
    // A colleague picked from the suggestions has no box on a fresh form: kept as sent.
    Object.keys(LISTS).forEach(function (name) {
      (entry.fields[name] || []).forEach(function (value) {
        if ((shown[name] || []).indexOf(value) === -1) {
          var hidden = document.createElement("input");
          hidden.type = "hidden";
          hidden.name = name;
          hidden.value = value;
          form.appendChild(hidden);
        }
      });
    });
  }


  // The server's refusal beside each field it names, as the page shows its own errors
  // ({% form_field %}): the message under the field, the field marked invalid.
  function showErrors(form, errors) {
    var first = null;
    Object.keys(errors).forEach(function (name) {
      var field =
        form.elements[name] ||
        form.elements[name + "_name"] ||
        form.elements[FORM_FIELD[name.split(".")[0]]];
      if (field && field.length !== undefined && !field.tagName) {
        field = field[0]; // a list of checkboxes: the first one
      }
      if (!field || !field.closest) {
        return;
      }
      var box = field.closest(".field") || field.parentNode;
      var id = (field.id || name) + "_outbox_error";
      if (document.getElementById(id)) {
        return;
      }
      var said = element("p", "error", [].concat(errors[name]).join(" "));
      said.id = id;
      box.appendChild(said);
      if (box.classList) {
        box.classList.add("has-error");
      }
      field.setAttribute("aria-invalid", "true");
      var described = field.getAttribute("aria-describedby");
      field.setAttribute("aria-describedby", (described ? described + " " : "") + id);
      first = first || field;
    });
    if (first && first.focus) {
      first.focus();
    }
  }

  // The server's earlier refusal taken off the form (before its new one is shown): a
  // field mended since must not keep its old message, nor another lack its new one.
  function clearErrors(form) {
    Array.prototype.forEach.call(form.querySelectorAll("p.error[id$='_outbox_error']"), function (said) {
      var box = said.parentNode;
      Array.prototype.forEach.call(box.querySelectorAll("[aria-describedby]"), function (field) {
        var rest = field
          .getAttribute("aria-describedby")
          .split(" ")
          .filter(function (id) {
            return id && id !== said.id;
          });
        if (rest.length) {
          field.setAttribute("aria-describedby", rest.join(" "));
        } else {
          field.removeAttribute("aria-describedby");
        }
        if (!box.querySelector(".error:not([id$='_outbox_error'])")) {
          field.removeAttribute("aria-invalid");
        }
      });
      box.removeChild(said);
      if (box.classList && !box.querySelector(".error")) {
        box.classList.remove("has-error");
      }
    });
  }

  function localNow() {
    var now = new Date();
    now.setMinutes(now.getMinutes() - now.getTimezoneOffset());
    return now.toISOString().slice(0, 16); // 2026-12-01T14:30, as datetime-local takes it
  }

  // A form kept days ago still offers its day: today's date and time as the default (when
  // untouched and older) and as the latest allowed. A form the server sent back with its
  // errors holds what the user typed, not a default: its days are theirs and stay.
  function freshDates(form) {
    var now = localNow();
    var today = now.slice(0, 10);
    var sentBack = form.querySelector(".alert-danger, .has-error, [aria-invalid='true']");
    [
      [form.elements.occurred_at, now],
      [form.elements.followed_up_on, today],
    ].forEach(function (pair) {
      var field = pair[0];
      if (!field || !field.value) {
        return;
      }
      if (field.max && field.max < pair[1]) {
        field.max = pair[1];
      }
      if (
        !sentBack &&
        field.value === field.defaultValue &&
        field.value.slice(0, 10) < today
      ) {
        field.value = pair[1];
      }
    });
  }

  // A colleague typed by name: the id of the suggestion of that name, as picker.js would.
  function pickTyped(form, data) {
    var typed = form.elements.attendees_name;
    var list = typed && typed.list;
    if (!list || !typed.value.trim()) {
      return;
    }
    var option = Array.prototype.filter.call(list.options, function (o) {
      return o.value === typed.value.trim() && o.dataset.id;
    })[0];
    if (option) {
      data.append("attendees", option.dataset.id);
      data.set("attendees_name", "");
    }
  }

  function wireKeptForm(form) {
    if (navigator.onLine === false && form.elements.form_token) {
      // Opened from the phone's copy: a token of its own, or a second visit typed on
      // the same copy would be taken for the first.
      form.elements.form_token.value = randomHex();
    }
    var fixing = /^#outbox=(.+)$/.exec(location.hash);
    var fixingKey = fixing ? decodeURIComponent(fixing[1]) : null;
    if (fixingKey) {
      entries().then(function (list) {
        var entry = list.filter(function (e) {
          return e.key === fixingKey;
        })[0];
        if (entry) {
          fillFrom(form, entry);
          showErrors(form, entry.errors || {});
        }
      });
    }
    if (!fixingKey) {
      freshDates(form);
    }
    form.addEventListener("submit", function (event) {
      var offline = navigator.onLine === false;
      if (!offline && !fixingKey) {
        return; // posted as usual (the service worker keeps it if the network fails)
      }
      event.preventDefault();
      var data = new FormData(form);
      pickTyped(form, data);
      var action = new URL(form.action, location.href);
      if (!fixingKey) {
        keepForm(data, action.pathname + location.search).then(function () {
          location.href = MY_WEEK + "?outbox=kept";
        });
        return;
      }
      // A fixed entry goes through the outbox as it is now: kept until the server takes
      // it, its reasons shown again if it still refuses.
      keepForm(data, action.pathname + location.search)
        .then(function (fixed) {
          return discard(fixed.key).then(function () {
            return entries().then(function (list) {
              var entry = list.filter(function (e) {
                return e.key === fixingKey;
              })[0];
              if (!entry) {
                entry = fixed;
                entry.key = fixingKey;
              }
              entry.fields = fixed.fields;
              entry.state = "waiting";
              entry.reasons = [];
              return save(entry);
            });
          });
        })
        .then(function () {
          if (offline) {
            location.href = MY_WEEK + "?outbox=kept";
            return null;
          }
          return flush().then(entries);
        })
        .then(function (list) {
          if (!list) {
            return;
          }
          var left = list.filter(function (e) {
            return e.key === fixingKey;
          })[0];
          if (!left) {
            location.href = MY_WEEK + "?outbox=sent";
            return;
          }
          // Refused again: the new reasons beside the fields they name.
          clearErrors(form);
          showErrors(form, left.errors || {});
          if (panel) {
            panel.scrollIntoView();
          }
        });
    });
  }

  function keepPages() {
    var holder = document.querySelector("[data-offline-keep]");
    var worker = navigator.serviceWorker;
    if (!holder || !worker) {
      return;
    }
    var urls = JSON.parse(holder.dataset.offlineKeep || "[]");
    worker.ready.then(function (registration) {
      // Again in another language: the kept pages are in the one they were opened in.
      var stamp = "keyaccounts-kept:" + user + ":" + document.documentElement.lang;
      var previous = root.localStorage.getItem(stamp);
      var now = Date.now();
      if (previous && now - Number(previous) < 3600 * 1000) {
        return; // kept within the hour
      }
      root.localStorage.setItem(stamp, String(now));
      registration.active.postMessage({ type: "keep", urls: urls });
    });
  }

  if ("serviceWorker" in navigator) {
    var forget = function () {
      // The pages kept for the user who signs out go (the worker in charge of this page
      // is told at once, before any page of the next user is kept).
      if (navigator.serviceWorker.controller) {
        navigator.serviceWorker.controller.postMessage({ type: "forget" });
      }
      Object.keys(root.localStorage).forEach(function (name) {
        if (name.indexOf("keyaccounts-kept:") === 0) {
          root.localStorage.removeItem(name);
        }
      });
    };
    if (!user) {
      forget(); // signed out already (the sign-in page)
    }
    document.querySelectorAll('form[action="/logout/"]').forEach(function (form) {
      form.addEventListener("submit", forget);
    });
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {});
  }
  if (!root.indexedDB) {
    return;
  }
  document.querySelectorAll("form[data-offline]").forEach(wireKeptForm);
  keepPages();
  var arrived = /[?&]outbox=(kept|sent)/.exec(location.search);
  arrivalNote = arrived
    ? arrived[1] === "kept"
      ? texts.kept
      : texts.sent.replace("%(count)s", 1)
    : "";
  refresh(arrivalNote).then(flush);
  root.addEventListener("online", flush);
  root.setInterval(flush, 30000);
})(self);
