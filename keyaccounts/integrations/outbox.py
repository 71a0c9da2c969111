"""Writing the outbox: each change, for each webhook whose owner can see it.

`write_outbox` listens to `keyaccounts.events.record_changed`, so it runs inside the
transaction of the change: the outbox rows commit with the change or not at all, and a
change is never lost because Redis or a worker is down — the task that sends them is
only nudged after the commit, and beat's `webhook_deliver_due` picks up whatever a lost
nudge left behind.

Who gets a change is decided here, by the owner's visibility at the time of the change
(the access table is up to date: the event is sent after the save's own receivers);
it is checked again when the row is sent (keyaccounts.integrations.delivery).
"""

import uuid

from django.db import connections, transaction
from django.utils import timezone

from keyaccounts.tasks import enqueue_on_commit

from .models import Webhook, WebhookDelivery
from .registry import record_type_of_model, visible_to

CHUNK = 1000


def active_webhooks_for(record_type: str, *, using: str) -> list[Webhook]:
    """The active webhooks of active owners that take this record type."""
    hooks = Webhook.objects.using(using).filter(is_active=True, owner__is_active=True)
    return [
        hook for hook in hooks.select_related("owner") if record_type in (hook.record_types or ())
    ]


def _visible_ids(kind, owner, ids: list[int], using: str) -> set[int]:
    visible = set()
    records = visible_to(kind, owner).using(using)
    for start in range(0, len(ids), CHUNK):
        visible.update(
            records.filter(pk__in=ids[start : start + CHUNK]).values_list("pk", flat=True)
        )
    return visible


def write_outbox(sender, *, records, event: str, using: str, **kwargs) -> None:
    """Receiver of `record_changed`: one outbox row per (webhook, record) the webhook's
    owner can see, then a nudge (after the commit) to each webhook's sender."""
    kind = record_type_of_model(sender)
    if kind is None:
        return
    hooks = active_webhooks_for(kind.name, using=using)
    if not hooks:
        return
    now = timezone.now()
    ids = [record.pk for record in records]
    event_ids = {record.pk: uuid.uuid4() for record in records}
    rows = []
    for hook in hooks:
        visible = _visible_ids(kind, hook.owner, ids, using)
        rows += [
            WebhookDelivery(
                webhook=hook,
                event_id=event_ids[record.pk],
                record_type=kind.name,
                object_id=record.pk,
                event=event,
                change_seq=record.change_seq,
                occurred_at=getattr(record, "updated_at", None) or now,
                next_attempt_at=now,
            )
            for record in records
            if record.pk in visible
        ]
    if not rows:
        return
    WebhookDelivery.objects.using(using).bulk_create(rows, batch_size=CHUNK)
    _nudge_after_commit({row.webhook_id for row in rows}, using=using)


class _Nudges:
    """The webhooks to nudge when the current transaction commits: one message per
    webhook and transaction, however many changes it made (an import's thousand rows)."""

    def __init__(self):
        self.webhook_ids: set[int] = set()

    def __call__(self):
        from .tasks import webhook_deliver

        for webhook_id in sorted(self.webhook_ids):
            enqueue_on_commit(webhook_deliver, webhook_id)


def _nudge_after_commit(webhook_ids: set[int], *, using: str) -> None:
    connection = connections[using]
    nudges = getattr(connection, "_webhook_nudges", None)
    # A rollback drops the callback with the savepoint it was registered in: start anew.
    registered = nudges is not None and any(
        func is nudges for _sids, func, _robust in connection.run_on_commit
    )
    if registered:
        nudges.webhook_ids |= webhook_ids
        return
    nudges = connection._webhook_nudges = _Nudges()
    nudges.webhook_ids |= webhook_ids
    transaction.on_commit(nudges, using=using)
