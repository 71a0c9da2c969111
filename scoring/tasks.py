"""Thin Celery tasks for rescoring. The database (RescoreRequest rows) is the truth;
each task is safe to run twice or concurrently."""

from celery import shared_task

RETRY = {
    "acks_late": True,
    "autoretry_for": (Exception,),
    "retry_backoff": True,
    "retry_backoff_max": 300,
    "max_retries": 5,
}


@shared_task(name="scoring.tasks.rescore_pending", **RETRY)
def rescore_pending() -> dict:
    """Rescore the accounts whose data changed (coalesced nudge, and every few minutes)."""
    from .services import rescore_pending as run

    return run()


@shared_task(name="scoring.tasks.rescore_all", **RETRY)
def rescore_all(reason: str = "rescored") -> dict:
    """Rescore every account: nightly, and after a new version of the table."""
    from .services import rescore

    return rescore(reason=reason)
