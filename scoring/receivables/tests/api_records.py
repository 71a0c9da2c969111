"""Invoice receivables as a synced record type, for the sync contract tests
(keyaccounts/tests/api_records.py adds them to RECORD_TYPES and BULK_TYPES)."""

import datetime
import itertools
from decimal import Decimal

# Each invoice its own number: one live invoice per number and account.
_numbers = itertools.count(1)


def make_receivable(personas, **fields):
    from scoring.receivables.services import receivable_create

    fields.setdefault("account", personas.account)
    fields.setdefault("invoice_number", f"INV-M{next(_numbers)}")
    fields.setdefault("issued_on", datetime.date(2026, 10, 1))
    fields.setdefault("amount", Decimal("120000.00"))
    return receivable_create(by=personas.alice, **fields)


def receivable_record_types(RecordType) -> list:
    from scoring.receivables.models import Receivable
    from scoring.receivables.selectors import receivables_visible_to

    return [
        RecordType(
            name="receivables",
            model=Receivable,
            make=make_receivable,
            # A new number each time; the bulk tests number their items themselves.
            payload=lambda p: {
                "account": p.account.pk,
                "invoice_number": f"INV-P{next(_numbers)}",
                "issued_on": "2026-10-15",
                "amount": "86000.00",
            },
            change={"note": "Promised for the end of the month"},
            field="note",
            visible_to=receivables_visible_to,
        ),
    ]


def receivable_records(account, tag: str) -> dict:
    """An invoice at `account` (recorded by its owner), for the tests that fill every
    synced type under an account."""
    from scoring.receivables.services import receivable_create

    receivable = receivable_create(
        by=account.owner,
        account=account,
        invoice_number=f"INV-{tag}",
        issued_on=datetime.date(2026, 10, 1),
        amount=Decimal("1000"),
        external_id=f"{tag}-R",  # the feed tests name a type by its initial
    )
    return {"receivables": receivable.pk}


def _edit_url(record) -> str:
    from django.urls import reverse

    return reverse("receivables:edit", args=[record.pk])


# The edit page, by API name (test_no_op_writes' EDIT_PAGES).
RECEIVABLE_EDIT_PAGES = {"receivables": (_edit_url, {})}
