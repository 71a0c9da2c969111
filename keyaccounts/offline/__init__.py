"""Working with no signal (issue 15): the installable app's service worker, its offline
page, and the outbox that sends what was saved offline (static/js/outbox.js).

- `/sw.js` (`service_worker_view`): the service worker, served from the site's root so
  it controls every page; rendered from `templates/offline/sw.js` with the static files
  it keeps (their hashed names in production) and a version that changes with them.
- `/offline/`: the page shown for a page never opened before while there is no signal.
- `static/manifest.webmanifest` and `static/icons/`: what makes the site installable.
"""
