"""Django's Redis cache, except that it keeps answering when Redis does not.

Everything the app keeps in the cache may be lost (docs/architecture.md, "More than one
machine"): the API's throttle counts, the rescoring nudge's flag, an import's progress,
read-your-writes marks. So when Redis does not answer, `ResilientRedisCache` serves
each call from this process's memory instead of raising, logs one warning, and leaves
Redis alone for `RETRY_AFTER_SECONDS` so that a dead server costs one failed connection
per process every few seconds, not one per call. The first call after that tries Redis
again; when it answers, the shared cache is back (and what the process kept meanwhile
is forgotten).

Callers that must know whether a value came from the shared cache ask
`shared_cache_answers()`: read-your-writes treats "Redis is down" as "the user may
just have saved" (keyaccounts/db_router.py).
"""

import logging
import threading
import time

from django.core.cache import cache as default_cache
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5.0

# Per server location, shared by the threads of a process (each thread has a cache
# object of its own): until when Redis is left alone.
_down_until: dict[str, float] = {}
_lock = threading.Lock()


class KeptClient(RedisCacheClient):
    """Django's Redis cache client, keeping one `redis.Redis` per connection pool. Django
    makes a new one for every call (each copies redis-py's 200 response callbacks: 0.15
    ms, two or more times a request), though it only hands out the pool's connections
    and is safe to share. Django keeps a cache object, so this client and its pools, per
    thread."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._kept: dict = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._kept.get(id(pool))
        if client is None:
            client = self._kept[id(pool)] = self._client(connection_pool=pool)
        return client


class ResilientRedisCache(RedisCache):
    """RedisCache whose calls fall back to process memory while Redis does not answer."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = KeptClient
        self._location = server if isinstance(server, str) else ",".join(server)
        # One fallback store per process and location: LocMemCache shares its data
        # between instances of the same name.
        self._fallback = LocMemCache(
            f"keyaccounts-fallback:{self._location}",
            {"TIMEOUT": params.get("TIMEOUT", 300), "OPTIONS": {"MAX_ENTRIES": 10000}},
        )

    # --- state ------------------------------------------------------------------------

    def is_down(self) -> bool:
        """True while Redis is being left alone after a failure (a call after that tries
        it again)."""
        return time.monotonic() < _down_until.get(self._location, 0.0)

    def _failed(self, operation: str, exc: Exception) -> None:
        with _lock:
            known = self._location in _down_until  # one warning per outage, not per retry
            _down_until[self._location] = time.monotonic() + RETRY_AFTER_SECONDS
        if not known:
            logger.warning(
                "the shared cache (Redis) did not answer %s (%s: %s); this process uses its "
                "own memory and tries Redis again in %.0f s",
                operation,
                type(exc).__name__,
                exc,
                RETRY_AFTER_SECONDS,
            )

    def _answered(self) -> None:
        if _down_until.pop(self._location, None) is not None:
            logger.warning("the shared cache (Redis) answers again")

    def ping(self) -> bool:
        """Ask Redis directly (the health check): True when it answers."""
        try:
            self._cache.get_client(None, write=False).ping()
        except RedisError as exc:
            self._failed("a ping", exc)
            return False
        self._answered()
        return True

    # --- every operation: Redis, else this process's memory ------------------------------

    def _call(self, name: str, *args, **kwargs):
        if not self.is_down():
            try:
                result = getattr(super(), name)(*args, **kwargs)
            except RedisError as exc:
                self._failed(name, exc)
            else:
                if self._location in _down_until:
                    self._answered()
                return result
        return getattr(self._fallback, name)(*args, **kwargs)

    def add(self, *args, **kwargs):
        return self._call("add", *args, **kwargs)

    def get(self, *args, **kwargs):
        return self._call("get", *args, **kwargs)

    def set(self, *args, **kwargs):
        return self._call("set", *args, **kwargs)

    def touch(self, *args, **kwargs):
        return self._call("touch", *args, **kwargs)

    def delete(self, *args, **kwargs):
        return self._call("delete", *args, **kwargs)

    def get_many(self, *args, **kwargs):
        return self._call("get_many", *args, **kwargs)

    def has_key(self, *args, **kwargs):
        return self._call("has_key", *args, **kwargs)

    def incr(self, *args, **kwargs):
        return self._call("incr", *args, **kwargs)

    def set_many(self, *args, **kwargs):
        return self._call("set_many", *args, **kwargs)

    def delete_many(self, *args, **kwargs):
        return self._call("delete_many", *args, **kwargs)

    def clear(self):
        return self._call("clear")


def shared_cache_answers(cache=None) -> bool:
    """False when the default cache is a shared one that is not answering now (its calls
    are being served from this process's memory). A cache that is local by design
    (LocMemCache without REDIS_URL) always answers."""
    cache = cache or default_cache
    is_down = getattr(cache, "is_down", None)
    return not (is_down and is_down())
