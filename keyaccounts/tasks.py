"""Enqueueing that never breaks the write it follows, and the project's own tasks."""

import datetime
import logging
import time

import celery
from celery import shared_task
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from .locks import release_advisory_lock, try_advisory_lock

logger = logging.getLogger(__name__)


# A task whose message comes back while it still runs elsewhere asks again this long after.
RUNNING_ELSEWHERE_RETRY_SECONDS = 15


class Task(celery.Task):
    """The base of every task of the project (keyaccounts/celery.py, `task_cls`).

    A worker killed outright (SIGKILL, the OOM killer, a lost machine) never acknowledges
    the message it was running; Redis gives it to another worker once
    `CELERY_VISIBILITY_TIMEOUT` (90 s) has passed — also when the first worker is alive
    and simply slower than that. So the message's run holds a PostgreSQL advisory lock
    named after its task id for as long as it runs (the session's: PostgreSQL lets go of
    it the moment the process dies and its connection drops): a second delivery that
    finds it held does not run the same work at once beside the first: it asks again in
    `RUNNING_ELSEWHERE_RETRY_SECONDS` (same task id) until it can take the lock; if the
    first died meanwhile it does the work (every task is safe to run twice). Inline
    (eager) runs and SQLite skip this; so does a task that cannot reach the database.
    docs/reliability.md, "A Celery worker killed".
    """

    def __call__(self, *args, **kwargs):
        request = self.request
        if request.called_directly or request.is_eager or not request.id:
            return super().__call__(*args, **kwargs)
        if connection.vendor != "postgresql":
            return super().__call__(*args, **kwargs)
        lock = f"celery-task:{request.id}"
        try:
            locked = try_advisory_lock(lock)
        except DatabaseError:
            # The database does not answer: the task itself meets that and retries
            # (`autoretry_for`), as it would without this guard.
            return super().__call__(*args, **kwargs)
        if not locked:
            # A message waiting for its countdown is unacknowledged too: it must come due
            # before the visibility timeout, or Redis would hand it out once more.
            visibility = (self.app.conf.broker_transport_options or {}).get(
                "visibility_timeout", 3600
            )
            countdown = max(1, min(RUNNING_ELSEWHERE_RETRY_SECONDS, int(visibility) // 3))
            logger.warning(
                "%s[%s] is still running in another worker; asking again in %s s",
                self.name,
                request.id,
                countdown,
            )
            # Always one more: `max_retries=None` would mean the task's own limit. (The
            # wait counts as a retry: a later real failure has fewer retries left.)
            raise self.retry(countdown=countdown, max_retries=request.retries + 1)
        try:
            return super().__call__(*args, **kwargs)
        finally:
            release_advisory_lock(lock)


# After a broker failure, publishing is skipped for this long (per broker, per process):
# a broker that is down costs one failed connection every few seconds, not one (up to
# CELERY_BROKER_CONNECTION_TIMEOUT, twice) per save.
BROKER_RETRY_AFTER_SECONDS = 10.0
_broker_down_until: dict[str, float] = {}


def publish(task, args=(), kwargs=None, **options) -> bool:
    """Send `task` (a task, or the name it is registered under) now, as a nudge: True
    when it was published (or, without a broker, run inline without an error); False,
    after logging a warning, when the broker did not take it. Never raises: the caller
    decides what a lost nudge means (reminders and rescoring: the periodic run catches
    up; an import: the job says to try again).

    The result is not kept (`ignore_result`): nobody waits for a nudge, and asking the
    result store (the same Redis) to expect one would make a publish to a Redis that is
    down retry for 20 s and then break the process's result consumer."""
    from .celery import app

    if isinstance(task, str):
        # By name: a module's services publish its own tasks without importing the
        # module that runs them (which imports the services); each app's ready()
        # imports its tasks, so the name is registered in every process
        # (test_the_tasks_services_publish_by_name_are_known_to_a_web_process).
        name, task = task, app.tasks.get(task)
        if task is None:
            logger.error("no task is registered as %s: not enqueued", name)
            return False
    broker = str(app.conf.broker_url)
    if not app.conf.task_always_eager:
        if time.monotonic() < _broker_down_until.get(broker, 0.0):
            logger.warning("the broker did not answer a moment ago; %s not enqueued", task.name)
            return False
    try:
        task.apply_async(args=args, kwargs=kwargs, ignore_result=True, **options)
    except Exception:  # noqa: BLE001 - any broker failure (or, inline, the task's own)
        if app.conf.task_always_eager:
            logger.warning("the inline run of %s failed", task.name, exc_info=True)
        else:
            _broker_down_until[broker] = time.monotonic() + BROKER_RETRY_AFTER_SECONDS
            logger.warning(
                "could not enqueue %s: the broker did not take it", task.name, exc_info=True
            )
        return False
    _broker_down_until.pop(broker, None)
    return True


def after_commit(func) -> None:
    """Run `func` once the current transaction commits (now, outside one), so that
    nothing it does — or fails to do — can turn a committed write into an error answer:
    an exception it raises is logged (`robust`), never raised to the request."""
    transaction.on_commit(func, robust=True)


def enqueue_on_commit(task, *args, **kwargs) -> None:
    """Send `task` (or the task registered under that name) after the current
    transaction commits, as a nudge only.

    If the broker is down the write has already been saved and the periodic scan will
    do the work; so a failure to publish is logged, never raised to the user.
    """
    after_commit(lambda: publish(task, args, kwargs))


IDEMPOTENCY_KEY_RETENTION = datetime.timedelta(hours=48)


@shared_task
def idempotency_keys_purge() -> int:
    """Forget the API's Idempotency-Keys older than 48 hours (the API promises 24); beat
    runs it hourly. Returns how many were deleted."""
    from .models import IdempotencyKey

    cutoff = timezone.now() - IDEMPOTENCY_KEY_RETENTION
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted


@shared_task
def snapshots_refresh() -> int:
    """Compute again the page snapshots viewed lately that would go stale before their
    next view; beat runs it every minute. Returns how many were computed."""
    from .snapshots.services import refresh_due

    return refresh_due()


@shared_task
def snapshots_purge() -> int:
    """Delete the page snapshots no view can show any more; beat runs it hourly. Returns
    how many."""
    from .snapshots.services import purge

    return purge()


@shared_task
def recycle_bin_purge() -> int:
    """Remove for good what has been in the recycle bin longer than RECYCLE_BIN_DAYS;
    beat runs it nightly. Returns how many deletions were purged."""
    from .recyclebin.services import purge_expired

    return purge_expired()


@shared_task
def feed_purge() -> int:
    """Forget the changes feed's deletions, removals and access log older than
    FEED_RETENTION_DAYS (older cursors then answer 410); beat runs it nightly, after the
    recycle bin's purge. Returns the new horizon (a change number)."""
    from .feed.retention import feed_purge as purge

    return purge()
