"""The service worker and the offline page (see the package's docstring)."""

import hashlib
from functools import lru_cache

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

# Kept by the service worker when it is installed: every page's own files. Pages are kept
# as they are opened (and the rep's accounts when my week is opened: outbox.js).
PRECACHED = [
    "css/app.css",
    "css/print.css",
    "js/rows.js",
    "js/outbox.js",
    "js/form_token.js",
    "js/picker.js",
    "js/board.js",
    "favicon.svg",
    "icons/icon.svg",
    "icons/icon-192.png",
    "icons/icon-512.png",
    "manifest.webmanifest",
]


@lru_cache(maxsize=1)
def _version() -> str:
    """Changes with the kept files' contents: a new service worker, a fresh cache."""
    digest = hashlib.sha256()
    for name in PRECACHED:
        path = finders.find(name)
        if path:
            with open(path, "rb") as file:
                digest.update(file.read())
    with open(finders.find("js/outbox.js"), "rb") as file:
        digest.update(file.read())
    return digest.hexdigest()[:12]


@login_not_required
@require_GET
@never_cache
def service_worker_view(request):
    """The service worker at the root (its scope is the whole site). Anyone may fetch it:
    it holds no data, only which files to keep; browsers check it for updates."""
    body = render_to_string(
        "offline/sw.js",
        {
            "version": _version(),
            "precached": [static(name) for name in PRECACHED],
            "outbox_url": static("js/outbox.js"),
            "static_prefix": settings.STATIC_URL
            if settings.STATIC_URL.startswith("/")
            else "/" + settings.STATIC_URL,
            "offline_url": "/offline/",
        },
    )
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    return response


@login_not_required
@require_GET
def offline_view(request):
    """What a page never opened before shows while there is no signal: what works offline
    and the visits waiting to send (outbox.js fills them in)."""
    return render(request, "offline/offline.html")
