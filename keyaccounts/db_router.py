"""Read-only work on a PostgreSQL streaming replica, keeping read-your-own-writes.

`DATABASE_REPLICA_URL` adds the `replica` database (settings). Nothing reads it unless a
view opts in: inside `replica_reads(user)` (or a view decorated with `@replica_view`) the
router sends reads of the project's data to the replica. Everything else reads the
primary, and every write goes to the primary, so a request that saves and then reads
sees its own write. The replica is never asked to read everything: a replica is a
moment behind, and only a page that just shows data can live with that.

Inside a scope the primary is still read:
- when the user saved something in the last READ_YOUR_WRITES_SECONDS:
  `ReadYourWritesMiddleware` marks the user after every successful request that is not
  a GET, in the cache (Redis: every web machine sees the mark, and an API token's user
  is marked like a browser's), so the page after a save shows it however far the
  replica lags. A cache that does not answer reads as "just saved": the primary;
- inside a transaction on the primary (its reads may depend on its own writes);
- for sessions and API tokens: signing in must not wait for the replica.
"""

import contextvars
import functools
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections

from keyaccounts.cache import shared_cache_answers

logger = logging.getLogger(__name__)

REPLICA = "replica"
# Read on the primary even inside a scope (see the module docstring); integrations: the
# integration tokens, and the webhooks' outbox that every write reads.
PRIMARY_ONLY_APPS = frozenset({"sessions", "authtoken", "integrations"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

# The alias reads go to in this context: REPLICA inside a scope that may use it.
_reads_from: contextvars.ContextVar[str] = contextvars.ContextVar(
    "keyaccounts_reads_from", default=DEFAULT_DB_ALIAS
)


def replica_configured() -> bool:
    """DATABASE_REPLICA_URL is set and replica reads are on (the test suite turns them
    off, see test_settings; the replica's own tests turn them on)."""
    return REPLICA in settings.DATABASES and settings.REPLICA_READS


def _mark_key(user_id) -> str:
    return f"keyaccounts:wrote:{user_id}"


def _now() -> float:
    return time.time()


def mark_write(user) -> None:
    """Remember that `user` has just saved: their reads stay on the primary for
    READ_YOUR_WRITES_SECONDS."""
    seconds = settings.READ_YOUR_WRITES_SECONDS
    try:
        cache.set(_mark_key(user.pk), _now(), timeout=seconds + 1)
    except Exception:  # noqa: BLE001 - a cache that is down also reads as "just saved"
        logger.warning("could not mark user %s's write for read-your-writes", user.pk)


def wrote_recently(user) -> bool:
    """True when `user` saved something in the last READ_YOUR_WRITES_SECONDS, or when
    the cache cannot tell (then the primary is the safe answer)."""
    if user is None or not user.is_authenticated:
        return False
    try:
        marked_at = cache.get(_mark_key(user.pk))
    except Exception:  # noqa: BLE001 - any cache failure: read the primary
        logger.warning("cache unavailable; user %s reads the primary", user.pk)
        return True
    if not shared_cache_answers():
        # Redis is down and the mark came from this process's memory: another web
        # process may hold the user's mark, so the primary is the safe answer.
        return True
    return marked_at is not None and _now() - marked_at < settings.READ_YOUR_WRITES_SECONDS


@contextmanager
def replica_reads(user=None) -> Iterator[str]:
    """Within the block, reads of the project's data go to the replica, unless there is
    none or `user` saved something a moment ago. Yields the alias reads go to.

    For read-only work only: a service called inside still writes to the primary, but
    whatever it reads first may be a moment old."""
    alias = REPLICA if replica_configured() and not wrote_recently(user) else DEFAULT_DB_ALIAS
    token = _reads_from.set(alias)
    try:
        yield alias
    finally:
        _reads_from.reset(token)


def replica_view(view):
    """A page's GET (and HEAD) reads from the replica (`replica_reads` for the signed-in
    user); its other methods read the primary. The view must run its queries before it
    returns (`render()`, not a lazy TemplateResponse): a query run later is outside the
    scope and reads the primary."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        with replica_reads(request.user):
            return view(request, *args, **kwargs)

    return wrapped


class ReplicaRouter:
    """Writes, migrations and reads outside a `replica_reads` scope: the primary."""

    def db_for_read(self, model, **hints):
        if _reads_from.get() != REPLICA:
            return DEFAULT_DB_ALIAS
        if model._meta.app_label in PRIMARY_ONLY_APPS:
            return DEFAULT_DB_ALIAS
        if connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        return REPLICA

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # Both databases hold the same rows.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS


class ReadYourWritesMiddleware:
    """After a successful request that is not a GET by a signed-in user (a page's POST,
    an API write, signing in), mark the user so their next reads use the primary.
    Without a replica it does nothing (and never touches the cache)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            request.method not in SAFE_METHODS
            and response.status_code < 400
            and replica_configured()
        ):
            # Read after the view: DRF sets the API token's user on the request.
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                mark_write(user)
        return response
