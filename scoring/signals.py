"""What makes an account's score stale: saving or deleting anything a source reads,
moving it to or from the recycle bin or to another account, or importing it.

A save marks the account in the same transaction (`rescore_request`), so the request
commits or rolls back with the change. A delete marks it once the delete commits, and
only if the account still exists: deleting an account deletes its contacts and deals
first, and a request written in that transaction would point at a deleted row.
"""

from django.db.models.signals import post_delete, post_save

from accounts.models import Account, Contact
from keyaccounts.events import records_left_accounts
from keyaccounts.imports.writing import records_imported
from keyaccounts.recyclebin.signals import records_moved
from keyaccounts.tasks import after_commit
from opportunities.models import Opportunity
from visits.models import Visit

from .models import Assessment
from .services import rescore_request


def _saved(sender, instance, raw=False, **kwargs):
    if raw:  # loaddata
        return
    account_id = instance.pk if sender is Account else instance.account_id
    rescore_request([account_id])


def _deleted(sender, instance, **kwargs):
    account_id = instance.account_id

    def later():
        if Account.objects.filter(pk=account_id).exists():
            rescore_request([account_id])

    after_commit(later)


def _moved(sender, account_ids, **kwargs):
    """Records went to or came back from the recycle bin (a set-based write, no
    post_save): the live accounts among theirs are rescored; an account in the bin has
    no grade to keep up to date."""
    rescore_request(Account.objects.filter(pk__in=account_ids).values_list("pk", flat=True))


def _imported(sender, account_ids, **kwargs):
    """An import wrote records set-based (no post_save): their accounts are rescored."""
    rescore_request(account_ids)


def _left(sender, account_ids, **kwargs):
    """Records moved to another account: the account they left is rescored too (the one
    they joined is, by their save)."""
    rescore_request(account_ids)


def connect():
    records_moved.connect(_moved, dispatch_uid="scoring-recycle-bin")
    records_left_accounts.connect(_left, dispatch_uid="scoring-records-left")
    for model in (Account, Contact, Opportunity, Visit):
        records_imported.connect(
            _imported, sender=model, dispatch_uid=f"scoring-imported:{model._meta.label}"
        )
    for model in (Account, Contact, Opportunity, Visit, Assessment):
        post_save.connect(_saved, sender=model, dispatch_uid=f"scoring-saved:{model._meta.label}")
    for model in (Contact, Opportunity, Visit):
        post_delete.connect(
            _deleted, sender=model, dispatch_uid=f"scoring-deleted:{model._meta.label}"
        )
