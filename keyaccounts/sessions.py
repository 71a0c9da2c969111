"""Sessions that expire after SESSION_COOKIE_AGE of inactivity, without a write per request.

`SESSION_SAVE_EVERY_REQUEST` gives the idle timeout by writing the session row (and
sending the cookie) on every request: an UPDATE and a transaction on every GET, the
largest part of a small page's fixed cost in the benchmark (docs/benchmarks.md). This
middleware, in SessionMiddleware's place, refreshes a signed-in session's expiry only when
its last refresh is older than SESSION_REFRESH_AFTER seconds (a small fraction of the
cookie's age): a user active within SESSION_COOKIE_AGE stays signed in, an idle one is
signed out between SESSION_COOKIE_AGE - SESSION_REFRESH_AFTER and SESSION_COOKIE_AGE after
their last request. A session written for another reason (sign-in, a message) is saved
as always, and its stamp comes along.
"""

import time

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.signals import user_logged_in
from django.contrib.sessions.middleware import SessionMiddleware

REFRESHED = "_refreshed_at"  # when the session's expiry was last pushed back (epoch seconds)


def refresh_after() -> int:
    return getattr(settings, "SESSION_REFRESH_AFTER", settings.SESSION_COOKIE_AGE // 20)


def stamp_at_sign_in(sender, request, user, **kwargs):
    """A sign-in saves its new session anyway: it goes with its stamp, so the requests
    right after it write nothing."""
    session = getattr(request, "session", None)
    if session is not None:
        session[REFRESHED] = int(time.time())


def connect() -> None:
    user_logged_in.connect(stamp_at_sign_in, dispatch_uid="keyaccounts.sessions.stamp")


class SlidingSessionMiddleware(SessionMiddleware):
    def process_response(self, request, response):
        session = getattr(request, "session", None)
        # Only a signed-in session is kept alive: reading an anonymous visitor's (or a
        # stale cookie's) empty session must not create a row.
        if session is not None and session.session_key and session.get(SESSION_KEY):
            now = int(time.time())
            stamp = session.get(REFRESHED)
            if session.modified or not isinstance(stamp, int) or now - stamp >= refresh_after():
                session[REFRESHED] = now  # marks it modified: saved, cookie sent again
        return super().process_response(request, response)
