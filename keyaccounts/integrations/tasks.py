"""The webhooks' tasks, on the `webhooks` queue (their names start with `webhook_`)."""

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task
def webhook_deliver(webhook_id: int) -> int:
    """Send what is due for one webhook, nudged after the commit of a change; runs again
    at once when it stopped with rows still due. Returns how many were delivered."""
    from .delivery import deliver_pending

    result = deliver_pending(webhook_id=webhook_id)
    if result.more:
        webhook_deliver.apply_async(args=[webhook_id])
    return result.delivered


@shared_task
def webhook_deliver_due() -> int:
    """Beat's safety net (every 30 s): a pass for every active webhook with rows due —
    retries whose time has come, and changes whose nudge was lost (Redis or a worker
    down when they committed). Returns how many webhooks were queued."""
    from .delivery import webhooks_due

    webhook_ids = webhooks_due()
    for webhook_id in webhook_ids:
        webhook_deliver.apply_async(args=[webhook_id])
    return len(webhook_ids)


@shared_task
def webhook_outbox_purge() -> int:
    """Beat, nightly: forget deliveries finished more than WEBHOOK_KEEP_DAYS ago."""
    from .delivery import purge_outbox

    return purge_outbox()


# --- bulk jobs: the `jobs` queue (names start with `job_`) --------------------------------


@shared_task
def job_run(job_id: int) -> None:
    """Write a bulk job's chunks (keyaccounts.integrations.jobs). A worker runs them for
    BULK_JOB_SLICE_SECONDS and queues the rest as a new message, so no message runs
    near the broker's visibility timeout; inline (no Redis) it runs to the end."""
    from django.conf import settings

    from keyaccounts.tasks import publish

    from .jobs.services import bulk_job_run

    inline = job_run.request.is_eager or job_run.request.called_directly
    seconds = None if inline else settings.BULK_JOB_SLICE_SECONDS
    if bulk_job_run(job_id=job_id, seconds=seconds):
        publish(job_run, [job_id])


@shared_task
def job_resume_stalled() -> int:
    """Beat's safety net (every minute): run again the unfinished jobs that have not
    moved for BULK_JOB_STALL_SECONDS — a nudge lost while Redis was down, a worker
    killed mid-job. They resume at their first chunk not done. Returns how many."""
    from django.conf import settings

    from keyaccounts.tasks import publish

    from .jobs.services import jobs_stalled

    job_ids = jobs_stalled(seconds=settings.BULK_JOB_STALL_SECONDS)
    for job_id in job_ids:
        publish(job_run, [job_id])
    return len(job_ids)


@shared_task
def job_purge() -> int:
    """Beat, nightly: forget bulk jobs finished more than BULK_JOB_KEEP_DAYS ago, with
    their input and results. Returns how many."""
    from django.conf import settings

    from .jobs.services import bulk_jobs_purge

    return bulk_jobs_purge(days=settings.BULK_JOB_KEEP_DAYS)
