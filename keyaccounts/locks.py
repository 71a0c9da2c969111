"""Session advisory locks on PostgreSQL: held by a database session until it lets go or
ends, so a lock of a process that dies goes with it. Named by a string (hashed to the
signed 64-bit key PostgreSQL takes), so the project's locks never collide:
"celery-task:<id>" (keyaccounts.tasks.Task), "bulk-job:<id>" (a bulk job's run),
"reminder-email:<id>" (a reminder email's claim, visits/reminders.py); and one that lasts
a transaction, "external-id:<type>:<key>" (a PUT by external ID, keyaccounts/api/sync.py).

Session locks need a session of one's own: behind PgBouncer, session pooling
(docs/scaling.md)."""

import hashlib
import logging

from django.db import connections

logger = logging.getLogger(__name__)


def advisory_key(name: str) -> int:
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def try_advisory_lock(name: str, *, using: str = "default") -> bool:
    """Take the lock `name` for this session if nobody else holds it. Raises what the
    database raises (the caller decides what a database that does not answer means)."""
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [advisory_key(name)])
        (locked,) = cursor.fetchone()
    return locked


def advisory_xact_lock(name: str, *, using: str = "default") -> None:
    """Wait for the lock `name` and hold it to the end of the current transaction, on
    PostgreSQL (elsewhere nothing: SQLite runs one write at a time)."""
    database = connections[using]
    if database.vendor != "postgresql":
        return
    with database.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [advisory_key(name)])


def release_advisory_lock(name: str, *, using: str = "default") -> None:
    """Let go of the lock `name`; nothing to do when the session (and the lock with it)
    is gone already."""
    database = connections[using]
    if database.connection is None:
        return
    try:
        with database.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [advisory_key(name)])
    except Exception:  # noqa: BLE001 - a lost connection has let go of it already; and
        # this runs in `finally` blocks, where it must never hide what they are leaving
        logger.debug("releasing the advisory lock %s failed", name, exc_info=True)
