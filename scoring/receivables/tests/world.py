"""An open invoice, partly paid and overdue, for the route walk's world (every page of
the invoice shows for it: the payment form too)."""

import datetime
from decimal import Decimal

from django.utils import timezone


def add_receivable(records, *, rep, team: str) -> None:
    from scoring.receivables.services import receivable_create

    today = timezone.localdate()
    records.receivable = receivable_create(
        by=rep,
        account=records.account,
        invoice_number=f"FP-{team}-0001",
        issued_on=today - datetime.timedelta(days=60),
        due_on=today - datetime.timedelta(days=15),
        amount=Decimal("120000.00"),
        paid_amount=Decimal("20000.00"),
        external_id=f"{team}-inv",
    )
