"""What a merge of two accounts carries over of the receivables (accounts/merge_hooks.py):
the merged account's invoices become the survivor's; one invoice number twice (the same
ERP invoice imported under both accounts) is for the user to settle first."""

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from accounts import merge_hooks
from keyaccounts.exceptions import ApplicationError

from .models import Receivable


def move_invoices(*, survivor, merged, relink, **merge) -> None:
    invoices = Receivable.all_objects
    twin = invoices.filter(
        account=survivor, deleted_at__isnull=True, invoice_number=OuterRef("invoice_number")
    )
    clash = invoices.filter(account=merged, deleted_at__isnull=True).filter(Exists(twin)).first()
    if clash is not None:
        raise ApplicationError(
            _(
                "Both accounts have invoice %(number)s: move one of them to the recycle bin "
                "before merging."
            )
            % {"number": clash.invoice_number},
            code="invalid",
        )
    relink(list(invoices.select_for_update().filter(account=merged)), account=survivor)


def register() -> None:
    merge_hooks.on_account_merge(move_invoices)
