"""What makes an account's score stale: saving or deleting anything a source reads.

A save marks the account in the same transaction (`rescore_request`), so the request
commits or rolls back with the change. A delete marks it once the delete commits, and
only if the account still exists: deleting an account deletes its contacts and deals
first, and a request written in that transaction would point at a deleted row.
"""

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from accounts.models import Account, Contact
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

    transaction.on_commit(later)


def connect():
    for model in (Account, Contact, Opportunity, Visit, Assessment):
        post_save.connect(_saved, sender=model, dispatch_uid=f"scoring-saved:{model._meta.label}")
    for model in (Contact, Opportunity, Visit):
        post_delete.connect(
            _deleted, sender=model, dispatch_uid=f"scoring-deleted:{model._meta.label}"
        )
