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
