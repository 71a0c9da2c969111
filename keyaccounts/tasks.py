"""Enqueueing that never breaks the write it follows, and the project's own tasks."""

import datetime
import logging

from celery import shared_task
from django.db import transaction
from django.utils import timezone

logger = logging.getLogger(__name__)


def enqueue_on_commit(task, *args, **kwargs) -> None:
    """Send `task` after the current transaction commits, as a nudge only.

    If the broker is down the write has already been saved and the periodic scan will
    do the work; so a failure to publish is logged, never raised to the user.
    """

    def send():
        try:
            task.apply_async(args=args, kwargs=kwargs)
        except Exception:  # noqa: BLE001 - any broker failure; the scan catches up
            logger.warning(
                "could not enqueue %s; the periodic scan will catch up", task.name, exc_info=True
            )

    transaction.on_commit(send)


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
def recycle_bin_purge() -> int:
    """Remove for good what has been in the recycle bin longer than RECYCLE_BIN_DAYS;
    beat runs it nightly. Returns how many deletions were purged."""
    from .recyclebin.services import purge_expired

    return purge_expired()


@shared_task
def import_run(job_id: int) -> str | None:
    """Run a queued import job (keyaccounts.imports.services.import_job_run): the
    `imports` queue. Not retried: a run that fails saved nothing, and says so on the job."""
    from .imports.services import import_job_run

    job = import_job_run(job_id=job_id)
    return job.status if job else None
