"""The one place a change to a synced record is announced: created, updated, deleted
(moved to the recycle bin) or restored.

Every path that gives a synced record a new change number calls `records_changed`
once it has written the rows, inside the write's transaction:

- `VersionedModel.save` (created / updated), after Django's own `post_save`
  receivers ran, so the access table already says who sees a new or reassigned record;
- the recycle bin's moves (`recyclebin.services._move`: deleted / restored);
- set-based relinks (`accounts.services._relink`: a merge moving children: updated).

A listener connects to `record_changed` and gets the records as saved (each with its
`change_seq`); what it writes commits or rolls back with the change. The webhooks'
outbox (keyaccounts.integrations.outbox) listens here; anything else that must follow
every change (a feed, an audit) can too. A set-based write that adds a new path (a
bulk insert with `stamp_change_seqs`) calls `records_changed` itself.

A record removed for good (the recycle bin's purge, `.delete()`) is not announced: it
was announced as deleted when it went to the bin.
"""

from collections.abc import Iterable

from django.db import models
from django.dispatch import Signal
from django.utils.translation import pgettext_lazy


class RecordEvent(models.TextChoices):
    # What happened to a record (an "updated" column elsewhere is a time: 更新时间).
    CREATED = "created", pgettext_lazy("record event", "created")
    UPDATED = "updated", pgettext_lazy("record event", "updated")
    DELETED = "deleted", pgettext_lazy("record event", "deleted")
    RESTORED = "restored", pgettext_lazy("record event", "restored")


# Sent with `records` (a list of one model's instances, as saved) and `event` (a
# RecordEvent value), `using` (the database alias written to); sender: the model.
record_changed = Signal()


# Sent with `account_ids` (sender: the model), inside the write's transaction, when
# records moved from those accounts to another (a deal or a visit given another account):
# what an account adds up of its records (its score) is stale for the account they left
# too, not only for the one they joined, whose save says so.
records_left_accounts = Signal()


def records_changed(
    *, model: type[models.Model], records: Iterable[models.Model], event: str, using: str
) -> None:
    """Announce that `records` (all of `model`) were just created, updated, deleted or
    restored. Call inside the write's transaction, after the rows are written."""
    records = list(records)
    if records:
        record_changed.send(sender=model, records=records, event=event, using=using)
