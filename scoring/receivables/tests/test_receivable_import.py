"""The invoice import: an ERP's file with Chinese headers creates invoices (due date
from the terms, nothing paid when the cell is empty), a second file updates them by
external ID or by account and number, a bad row names its column and what it expects,
and only the importer's accounts and invoices are reached."""

import datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import translation

from accounts.tests.factories import AccountFactory
from keyaccounts.imports.engine import run_import
from keyaccounts.imports.kinds import KINDS
from keyaccounts.imports.reading import read_table
from keyaccounts.tests.imports_files import csv_file
from scoring.receivables import services
from scoring.receivables.models import Receivable

pytestmark = pytest.mark.django_db

ERP_HEADERS = ["客户名称", "发票号", "开票日期", "到期日", "发票金额", "已回款", "回款日期", "备注"]


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):
        yield


def run(content: bytes, by, *, dry_run=False):
    kind = KINDS["receivables"]
    table = read_table(content, header_score=kind.header_index().score)
    mapping = kind.header_index().recognise(table.headers)
    return run_import(kind=kind, table=table, mapping=mapping, by=by, dry_run=dry_run)


def statuses(result) -> list[str]:
    return [row.status for row in result.rows]


def problems(result) -> list[tuple]:
    """(row, column, message, expected) of every problem."""
    return [
        (row.row, problem.column, problem.message, problem.expected)
        for row in result.rows
        for problem in row.problems
    ]


def make(account, number="INV-1", **fields):
    fields.setdefault("issued_on", datetime.date(2026, 1, 10))
    fields.setdefault("amount", Decimal("1000"))
    return services.receivable_create(
        by=account.owner, account=account, invoice_number=number, **fields
    )


def test_an_erp_file_with_chinese_headers_creates_invoices(personas):
    account = personas.account
    account.payment_terms_days = 45
    account.save()
    other = AccountFactory(owner=personas.alice, name="Second Co", external_id="ERP-2")
    content = csv_file(
        [
            ERP_HEADERS,
            [account.name, "F-001", "2026-01-10", "2026-03-31", "1,200.50", "200", "2026-02-01",
             "第一批"],
            [account.name, "F-002", "2026-01-20", "", "800", "", "", ""],
            ["ERP-2", "F-001", "2026-02-01", "", "300", "", "", ""],
        ]
    )  # fmt: skip
    result = run(content, personas.alice)
    assert statuses(result) == ["create", "create", "create"], problems(result)
    first, second = Receivable.objects.filter(account=account).order_by("invoice_number")
    assert (first.amount, first.paid_amount, first.paid_on, first.note) == (
        Decimal("1200.50"),
        Decimal("200"),
        datetime.date(2026, 2, 1),
        "第一批",
    )
    assert first.due_on == datetime.date(2026, 3, 31)
    # An empty due date: issued plus the account's terms; an empty paid amount: 0.
    assert second.due_on == datetime.date(2026, 1, 20) + datetime.timedelta(days=45)
    assert second.paid_amount == 0 and second.paid_on is None
    assert second.recorded_by == personas.alice
    third = Receivable.objects.get(account=other)
    assert third.due_on == datetime.date(2026, 2, 1) + datetime.timedelta(
        days=settings.DEFAULT_PAYMENT_TERMS_DAYS
    )
    # The history says who imported it, and how.
    entry = first.history.get()
    assert (entry.history_type, entry.history_user, entry.origin) == ("+", personas.alice, "import")
    # Again: nothing changes.
    again = run(content, personas.alice)
    assert statuses(again) == ["unchanged"] * 3, problems(again)


def test_a_row_updates_the_invoice_of_its_number_or_external_id(personas):
    account = personas.account
    by_number = make(account, "INV-1", paid_amount=Decimal("100"))
    by_id = make(account, "INV-2", external_id="SAP-2", due_on=datetime.date(2026, 2, 28))
    content = csv_file(
        [
            ["Account", "Invoice number", "Issued on", "Amount", "Paid so far", "External ID"],
            [account.name, "INV-1", "2026-01-10", "1000", "1000", ""],
            [account.name, "INV-2-corrected", "2026-01-10", "1000", "", "SAP-2"],
        ]
    )
    result = run(content, personas.alice)
    assert statuses(result) == ["update", "update"], problems(result)
    by_number.refresh_from_db()
    by_id.refresh_from_db()
    assert by_number.paid_amount == 1000 and by_number.version == 2
    assert by_id.invoice_number == "INV-2-corrected"
    assert Receivable.objects.count() == 2
    # A file without the due-date column keeps the stored due dates.
    assert by_id.due_on == datetime.date(2026, 2, 28)


def test_a_bad_row_names_its_column_what_is_wrong_and_what_is_expected(personas):
    account = personas.account
    make(account, "TAKEN")
    renamed = make(account, "MINE", external_id="SAP-MINE")
    name = account.name
    content = csv_file(
        [
            ["Account", "Invoice number", "Issued on", "Due on", "Amount", "Paid so far",
             "External ID"],
            [name, "P1", "2026-01-10", "", "100", "150", ""],
            [name, "P2", "2026-01-10", "2026-01-01", "100", "", ""],
            [name, "P3", "2026-01-10", "", "-5", "", ""],
            [name, "P4", "2026-13-45", "", "100", "", ""],
            [name, "", "2026-01-10", "", "100", "", ""],
            [name, "P6", "2026-01-10", "", "", "", ""],
            [name, "TAKEN", "2026-01-10", "", "100", "", "SAP-MINE"],
            [name, "P8", "2026-01-10", "", "100", "", ""],
            [name, "P8", "2026-01-10", "", "200", "", ""],
        ]
    )  # fmt: skip
    result = run(content, personas.alice)
    assert statuses(result) == ["error"] * 7 + ["create", "error"]
    found = {
        row: (column, message, expected) for row, column, message, expected in problems(result)
    }
    assert found[2] == (
        "Paid so far",
        "¥150 paid is more than the invoice's amount, ¥100.",
        "at most the invoice's amount",
    )
    column, message, expected = found[3]
    assert column == "Due on" and "2026-01-01 is before the issue date 2026-01-10" in message
    assert expected.startswith("a date on or after the issue date")
    assert found[4] == (
        "Amount",
        "An invoice's amount must be more than 0.",
        "a number above 0, in CNY",
    )
    assert found[5] == ("Issued on", "“2026-13-45” is not a date.", "a date such as 2025-03-31")
    assert found[6][:2] == ("Invoice number", "An invoice needs its number.")
    assert found[7][:2] == ("Amount", "An invoice needs its amount.")
    # Renamed by its external ID to a number the account has already.
    assert found[8][:2] == (
        "Invoice number",
        f"{account.name} already has an invoice numbered TAKEN.",
    )
    assert found[10][:2] == ("Invoice number", "Row 9 already imports this record.")
    # All or nothing: the file wrote none of it.
    assert not Receivable.objects.filter(invoice_number__startswith="P").exists()
    renamed.refresh_from_db()
    assert renamed.invoice_number == "MINE"


def test_a_dry_run_writes_nothing(personas):
    content = csv_file(
        [
            ["Account", "Invoice number", "Issued on", "Amount"],
            [personas.account.name, "D", "2026-01-01", "5"],
        ]
    )
    assert statuses(run(content, personas.alice, dry_run=True)) == ["create"]
    assert not Receivable.objects.exists()


def test_only_the_importers_accounts_and_invoices_are_reached(personas):
    """Another team's account by name, and its invoice by external ID, are not found:
    the same message as for what does not exist."""
    theirs = make(personas.charlies_account, "C-1", external_id="SAP-C1")
    content = csv_file(
        [
            ["Account", "Invoice number", "Issued on", "Amount", "External ID"],
            [personas.charlies_account.name, "C-2", "2026-01-10", "100", ""],
            [personas.account.name, "C-1", "2026-01-10", "100", "SAP-C1"],
        ]
    )
    result = run(content, personas.alice)
    assert statuses(result) == ["error", "error"]
    (_r1, column1, message1, _e1), (_r2, column2, message2, _e2) = problems(result)
    assert column1 == "Account" and message1.startswith("No account you can see has")
    assert (column2, message2) == ("External ID", "No invoice you can see has this external ID.")
    theirs.refresh_from_db()
    assert theirs.account == personas.charlies_account and theirs.version == 1
    assert Receivable.objects.count() == 1
    # Charlie's own file reaches it.
    content = csv_file(
        [
            ["Account", "Invoice number", "Issued on", "Amount", "External ID"],
            [personas.charlies_account.name, "C-1", "2026-01-10", "120", "SAP-C1"],
        ]
    )
    assert statuses(run(content, personas.charlie)) == ["update"]


def test_the_number_of_a_found_invoice_with_another_external_id_is_refused(personas):
    make(personas.account, "INV-9", external_id="SAP-9")
    content = csv_file(
        [
            ["Account", "Invoice number", "Issued on", "Amount", "External ID"],
            [personas.account.name, "INV-9", "2026-01-10", "100", "OTHER-9"],
        ]
    )
    result = run(content, personas.alice)
    assert problems(result) == [
        (
            2,
            "External ID",
            "Invoice INV-9 of this account has the external ID SAP-9.",
            "that external ID, or none",
        )
    ]


def test_the_template_names_the_columns_and_its_example_goes_in(personas, login):
    from django.urls import reverse

    AccountFactory(owner=personas.alice, name="Example", external_id="ERP-0001")
    content = login(personas.alice).get(reverse("imports:template", args=["receivables"])).content
    result = run(content, personas.alice, dry_run=True)
    assert statuses(result) == ["create"], problems(result)
