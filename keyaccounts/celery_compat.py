"""A guard for kombu's Redis transport: a worker must survive a Redis restart.

The fault (kombu 5.7.0, the latest; Celery 5.7.0): a worker that loses its Redis
connection while it holds an unacknowledged message *and* waits in BRPOP for more (a free
pool slot, or a held ETA/countdown/retry message) handles the loss by closing the
connection. The first close of the consumer's channel reads the pending BRPOP reply from
the dead socket, which raises a connection error before the channel is marked closed; the
connection then drops its transport (`transport.client = None`). The second close (in
`Consumer.on_connection_error_after_connected`) puts the held messages back through that
channel, which builds a Redis connection pool from `self.connection.client.hostname`:
`AttributeError: 'NoneType' object has no attribute 'hostname'`. An AttributeError is no
connection error, so Celery logs "Unrecoverable error" and the worker exits (status 1).
A task that finishes after the loss and acknowledges through the old channel takes the
same path.

The guard: when the channel's connection has been closed, building a connection pool
raises `redis.exceptions.ConnectionError` ("the broker connection is closed") instead. Every
caller on these paths already treats a connection error as "the connection is gone":
closing ignores it and Celery reconnects; a late acknowledgement is logged ("Couldn't
ack"). If Redis kept its data, the held message is still in its unacked hash and comes
back after the visibility timeout; if it restarted empty, the periodic run redoes the work.
Every task is safe to run twice (docs/architecture.md).

Applied from `keyaccounts/celery.py`, so the worker, beat and the web processes all have
it. Proved by `keyaccounts/tests/test_worker_redis_restart.py`. Remove it when kombu no
longer reads the hostname of a closed connection (that test, run without the guard,
shows it).
"""

from __future__ import annotations

import functools

GUARD_MARK = "_keyaccounts_closed_connection_guard"


def apply() -> bool:
    """Install the guard on kombu's Redis channel (once). Returns whether it is in place
    (False only when kombu's Redis transport cannot be imported: no redis-py)."""
    try:
        from kombu.transport import redis as kombu_redis
        from redis.exceptions import ConnectionError as RedisConnectionError
    except ImportError:  # pragma: no cover - redis-py is in requirements.txt
        return False

    channel_cls = kombu_redis.Channel
    original = channel_cls._connparams
    if getattr(original, GUARD_MARK, False):
        return True

    @functools.wraps(original)
    def _connparams(self, asynchronous=False):
        connection = self.connection
        if connection is None or connection.client is None:
            # The kombu Connection this channel belonged to is closed: there is nothing to
            # build a pool from. A connection error, which kombu and Celery recover from.
            raise RedisConnectionError("the broker connection is closed")
        return original(self, asynchronous=asynchronous)

    setattr(_connparams, GUARD_MARK, True)
    channel_cls._connparams = _connparams
    return True
