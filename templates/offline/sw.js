/* keyaccounts' service worker (keyaccounts/offline): the app with no signal.
 *
 * - Its own files (CSS, scripts, icons) are kept when it is installed, and answered from
 *   the cache first.
 * - A page is fetched from the network first and kept; with no network, the kept copy
 *   answers (the same address, or the same path for a list), else the offline page.
 *   Sign-in, sign-out, exports, the API and the admin are never kept.
 * - A visit form or a follow-up posted with no network is kept in the outbox (IndexedDB, outbox.js's
 *   own code, shared here) and the browser is sent to my week, which shows it
 *   "waiting to send"; the pages send it through the API once the network is back.
 * - "keep" messages from a page (my week: the rep's accounts and their visit forms)
 *   fetch and keep those pages, so they open with no signal later.
 */
"use strict";

importScripts("{{ outbox_url|escapejs }}");

var VERSION = "{{ version|escapejs }}";
var FILES = "keyaccounts-files-" + VERSION;
var PAGES = "keyaccounts-pages";
var PRECACHED = [{% for url in precached %}"{{ url|escapejs }}", {% endfor %}"{{ offline_url|escapejs }}"];
var OFFLINE_URL = "{{ offline_url|escapejs }}";
var NEVER_KEPT = /^\/(login|logout|i18n|api|admin|export|import|healthz|sw\.js)\b/;
var NETWORK_WAIT_MS = 6000;

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches
      .open(FILES)
      .then(function (cache) {
        return cache.addAll(PRECACHED);
      })
      .then(function () {
        return self.skipWaiting();
      })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches
      .keys()
      .then(function (names) {
        return Promise.all(
          names
            .filter(function (name) {
              return name.indexOf("keyaccounts-files-") === 0 && name !== FILES;
            })
            .map(function (name) {
              return caches.delete(name);
            })
        );
      })
      .then(function () {
        return self.clients.claim();
      })
  );
});

function keepable(url) {
  return url.origin === self.location.origin && !NEVER_KEPT.test(url.pathname);
}

// The network, given up on after NETWORK_WAIT_MS (a weak signal is as bad as none).
function network(request) {
  return new Promise(function (resolve, reject) {
    var timer = setTimeout(function () {
      reject(new Error("timeout"));
    }, NETWORK_WAIT_MS);
    fetch(request).then(
      function (response) {
        clearTimeout(timer);
        resolve(response);
      },
      function (error) {
        clearTimeout(timer);
        reject(error);
      }
    );
  });
}

function keepPage(request, response) {
  // Only a whole page answered as itself: not a redirect (to sign in), not an error.
  if (response.ok && !response.redirected && response.type === "basic") {
    var copy = response.clone();
    caches.open(PAGES).then(function (cache) {
      cache.put(request, copy);
    });
  }
  return response;
}

function keptPage(request) {
  return caches.open(PAGES).then(function (cache) {
    // Kept pages vary by language and sign-in (`Vary`); this device has one user.
    return cache.match(request, { ignoreVary: true }).then(function (found) {
      return (
        found ||
        cache.match(request, { ignoreSearch: true, ignoreVary: true }).then(function (same) {
          return same || caches.match(OFFLINE_URL, { ignoreVary: true });
        })
      );
    });
  });
}

function page(request) {
  return network(request)
    .then(function (response) {
      return keepPage(request, response);
    })
    .catch(function () {
      return keptPage(request);
    });
}

function postedForm(request) {
  // The form's copy is read only if the network fails: then it goes to the outbox.
  var copy = request.clone();
  return network(request).catch(function () {
    return copy.formData().then(function (form) {
      return KeyaccountsOutbox.keepForm(form, copy.url).then(function () {
        return Response.redirect(KeyaccountsOutbox.MY_WEEK + "?outbox=kept", 303);
      });
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) {
    return;
  }
  if (request.method === "POST" && KeyaccountsOutbox.isKeptForm(url.pathname)) {
    event.respondWith(postedForm(request));
    return;
  }
  if (request.method !== "GET" || !keepable(url)) {
    return;
  }
  if (PRECACHED.indexOf(url.pathname) !== -1) {
    event.respondWith(
      caches.match(request, { ignoreVary: true }).then(function (found) {
        return found || fetch(request);
      })
    );
    return;
  }
  if (request.mode === "navigate" || (request.headers.get("Accept") || "").indexOf("text/html") !== -1) {
    event.respondWith(page(request));
  }
});

self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type === "forget") {
    // Signed out: the pages kept for that user go (the outbox stays, shown to them only).
    event.waitUntil(caches.delete(PAGES));
    return;
  }
  if (data.type !== "keep" || !Array.isArray(data.urls)) {
    return;
  }
  // One page at a time: a phone on a weak signal, and a server serving others.
  event.waitUntil(
    caches.open(PAGES).then(function (cache) {
      return data.urls.reduce(function (done, path) {
        return done.then(function () {
          var url = new URL(path, self.location.origin);
          if (!keepable(url)) {
            return null;
          }
          return fetch(url.href, { credentials: "same-origin" })
            .then(function (response) {
              if (response.ok && !response.redirected) {
                return cache.put(url.href, response);
              }
              return null;
            })
            .catch(function () {
              return null;
            });
        });
      }, Promise.resolve());
    })
  );
});
