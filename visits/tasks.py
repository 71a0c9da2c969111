"""Thin Celery tasks: load, call a service, retry with backoff. The database is the truth.

Each task is safe to run twice or concurrently: the scan only inserts reminders the
database does not have yet, and the email sender claims each unsent email (a row lock
and, on PostgreSQL, an advisory lock held until it is marked sent).
"""

from celery import shared_task


@shared_task(
    name="visits.tasks.reminders_scan",
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=5,
)
def reminders_scan() -> dict:
    """The periodic scan (Celery beat, `run_reminders`): create what is due, send emails."""
    from .reminders import notification_emails_send
    from .reminders import reminders_scan as scan

    created = scan()
    sent = notification_emails_send()
    return {"created": created, "emailed": sent}


@shared_task(
    name="visits.tasks.reminders_for_visits",
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=5,
)
def reminders_for_visits(visit_ids: list[int]) -> dict:
    """The nudge after an import wrote visits: scan just those visits and their accounts."""
    from .reminders import notification_emails_send
    from .reminders import reminders_scan as scan

    created = scan(visit_ids=visit_ids)
    sent = notification_emails_send()
    return {"created": created, "emailed": sent}


@shared_task(
    name="visits.tasks.reminders_for_account",
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=5,
)
def reminders_for_account(account_id: int) -> dict:
    """The nudge after a visit is saved: rescan just that account."""
    from .reminders import notification_emails_send
    from .reminders import reminders_scan as scan

    created = scan(account_ids=[account_id])
    sent = notification_emails_send()
    return {"created": created, "emailed": sent}
