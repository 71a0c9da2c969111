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
// Static files by their (hashed, in production) names, kept across versions: a page
// kept before a deploy still finds the files it names.
var STATIC = "keyaccounts-static";
var PAGES = "keyaccounts-pages";
var STATIC_PREFIX = "{{ static_prefix|escapejs }}";
// Parameters a kept page may be answered for without: the outbox's note, where to go back.
var HARMLESS = ["outbox", "next"];
var PRECACHED = [{% for url in precached %}"{{ url|escapejs }}", {% endfor %}"{{ offline_url|escapejs }}"];
var OFFLINE_URL = "{{ offline_url|escapejs }}";
var NEVER_KEPT = /^\/(login|logout|i18n|api|admin|export|import|healthz|sw\.js)\b/;
var NETWORK_WAIT_MS = 6000;

self.addEventListener("install", function (event) {
  event.waitUntil(
    Promise.all([caches.open(FILES), caches.open(STATIC)])
      .then(function (opened) {
        return opened[0].addAll(PRECACHED).then(function () {
          return opened[0].keys().then(function (requests) {
            return Promise.all(
              requests.map(function (request) {
                return opened[0].match(request).then(function (response) {
                  return opened[1].put(request, response);
                });
              })
            );
          });
        });
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
  var html = (response.headers.get("Content-Type") || "").indexOf("text/html") === 0;
  if (response.ok && html && !response.redirected && response.type === "basic") {
    var copy = response.clone();
    caches.open(PAGES).then(function (cache) {
      cache.put(request, copy);
    });
  }
  return response;
}

// Only a page's harmless parameters may be left out (a list's page or filter, or a
// planned visit's form, is another page).
function harmlessSearch(url) {
  var names = [];
  url.searchParams.forEach(function (value, name) {
    names.push(name);
  });
  return names.every(function (name) {
    return HARMLESS.indexOf(name) !== -1;
  });
}

function keptPage(request) {
  var url = new URL(request.url);
  return caches.open(PAGES).then(function (cache) {
    // Kept pages vary by language and sign-in (`Vary`); this device has one user.
    return cache.match(request, { ignoreVary: true }).then(function (found) {
      if (found) {
        return found;
      }
      var same = harmlessSearch(url)
        ? cache.match(url.origin + url.pathname, { ignoreVary: true })
        : Promise.resolve(null);
      return same.then(function (page) {
        return page || caches.match(OFFLINE_URL, { ignoreVary: true });
      });
    });
  });
}

// Static files: the kept copy at once, refreshed in the background (names are hashed in
// production; in development a changed file shows on the next page).
function staticFile(event) {
  var request = event.request;
  return caches.open(STATIC).then(function (cache) {
    return cache.match(request, { ignoreVary: true }).then(function (kept) {
      var fresh = fetch(request).then(function (response) {
        if (response.ok) {
          cache.put(request, response.clone());
        }
        return response;
      });
      if (kept) {
        event.waitUntil(fresh.catch(function () {}));
        return kept;
      }
      return fresh;
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
  // The form's copy is read only if the network fails: then it goes to the outbox. No
  // time limit: a form that reached the server is not kept as well (and if the network
  // failed after it did, the outbox sends it under the form's own token, which the
  // server knows as saved: "already_saved", nothing created twice).
  var copy = request.clone();
  return fetch(request).catch(function () {
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
  if (url.pathname.indexOf(STATIC_PREFIX) === 0) {
    event.respondWith(staticFile(event));
    return;
  }
  if (url.pathname === OFFLINE_URL) {
    event.respondWith(
      caches.match(OFFLINE_URL, { ignoreVary: true }).then(function (found) {
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
