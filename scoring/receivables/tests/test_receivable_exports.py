"""The invoice file: the list's rows the user can see, in due-date order, with what is
still open and how overdue each is; the list's filters; and it goes back in unchanged."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.utils import timezone, translation
from openpyxl import load_workbook

from accounts.tests.factories import AccountFactory
from keyaccounts.imports.engine import run_import
from keyaccounts.imports.kinds import KINDS
from keyaccounts.imports.reading import read_table
from scoring.receivables import services
from scoring.receivables.models import Receivable

pytestmark = pytest.mark.django_db


def today() -> datetime.date:
    """The project's today (settings.TIME_ZONE), as the export and the filters count it:
    the machine's date is a day behind it for eight hours of every UTC day."""
    return timezone.localdate()


def days_ago(days: int) -> datetime.date:
    return today() - datetime.timedelta(days=days)


def rows(response) -> list[dict]:
    assert response.status_code == 200, response.content[:300]
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    header, *data = list(csv.reader(io.StringIO(text)))
    return [dict(zip(header, row, strict=True)) for row in data]


def invoice(account, number, *, issued, due, amount, paid="0", by=None, **fields):
    return services.receivable_create(
        by=by or account.owner,
        account=account,
        invoice_number=number,
        issued_on=issued,
        due_on=due,
        amount=Decimal(amount),
        paid_amount=Decimal(paid),
        **fields,
    )


@pytest.fixture
def invoices(personas):
    """Alice's account: one 100 days overdue, one 10 days, one paid, one not yet due;
    Charlie's account: one of his own."""
    account = personas.account
    return {
        "old": invoice(account, "A-100", issued=days_ago(160), due=days_ago(100), amount="500"),
        "recent": invoice(
            account, "A-010", issued=days_ago(40), due=days_ago(10), amount="300", paid="100"
        ),
        "paid": invoice(
            account,
            "A-PAID",
            issued=days_ago(90),
            due=days_ago(60),
            amount="200",
            paid="200",
            paid_on=days_ago(50),
        ),
        "future": invoice(account, "A-NEW", issued=days_ago(1), due=today(), amount="50"),
        "charlie": invoice(
            personas.charlies_account,
            "C-1",
            issued=days_ago(30),
            due=days_ago(5),
            amount="999",
        ),
    }


def test_the_file_holds_the_visible_invoices_by_due_date_with_the_open_amount(
    personas, login, invoices
):
    with translation.override("en"):
        found = rows(login(personas.alice).get("/export/receivables/?format=csv"))
    assert [row["Invoice number"] for row in found] == ["A-100", "A-PAID", "A-010", "A-NEW"]
    by_number = {row["Invoice number"]: row for row in found}
    old = by_number["A-100"]
    assert old["Account"] == personas.account.name
    assert Decimal(old["Amount (CNY)"]) == 500
    assert Decimal(old["Open amount (CNY)"]) == 500
    assert old["Days overdue"] == "100"
    assert old["Ageing"] == "Over 90 days overdue"
    assert old["Recorded by"] == "alice"
    recent = by_number["A-010"]
    assert Decimal(recent["Open amount (CNY)"]) == 200
    assert (recent["Days overdue"], recent["Ageing"]) == ("10", "1–30 days overdue")
    paid = by_number["A-PAID"]
    assert Decimal(paid["Open amount (CNY)"]) == 0
    assert (paid["Days overdue"], paid["Ageing"]) == ("", "")  # nothing left to age
    assert paid["Last paid on"] == days_ago(50).isoformat()
    assert (by_number["A-NEW"]["Days overdue"], by_number["A-NEW"]["Ageing"]) == (
        "0",
        "Not yet due",
    )
    # Charlie sees his own only, the manager of Alice's team hers, not Charlie's.
    charlie = rows(login(personas.charlie).get("/export/receivables/?format=csv"))
    assert [row["Invoice number"] for row in charlie] == ["C-1"]
    manager = rows(login(personas.manager).get("/export/receivables/?format=csv"))
    assert {row["Invoice number"] for row in manager} == {"A-100", "A-PAID", "A-010", "A-NEW"}
    assert rows(login(personas.carol).get("/export/receivables/?format=csv")) == []


def test_the_file_follows_the_list_filters(personas, login, invoices):
    client = login(personas.alice)

    def numbers(**params):
        query = "&".join(f"{key}={value}" for key, value in params.items())
        return [
            row["Invoice number"]
            for row in rows(client.get(f"/export/receivables/?format=csv&{query}"))
        ]

    assert numbers(status="open") == ["A-100", "A-010", "A-NEW"]
    assert numbers(status="paid") == ["A-PAID"]
    assert numbers(overdue="overdue") == ["A-100", "A-010"]
    assert numbers(overdue="over_90") == ["A-100"]
    assert numbers(overdue="days_1_30") == ["A-010"]
    assert numbers(q="paid") == ["A-PAID"]
    assert numbers(account=personas.account.pk, status="open") == ["A-100", "A-010", "A-NEW"]
    # Another team's account is no filter of Alice's: left out, never its rows.
    assert "C-1" not in numbers(account=personas.charlies_account.pk)


def test_a_deleted_invoice_is_not_in_the_file(personas, login, invoices):
    services.receivable_delete(receivable=invoices["old"], by=personas.alice)
    found = rows(login(personas.alice).get("/export/receivables/?format=csv"))
    assert "A-100" not in {row["Invoice number"] for row in found}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_file_goes_back_in_unchanged(personas, login, invoices, language):
    """Exported (XLSX, either language) and imported again: every row is found and
    nothing changes — the computed columns are ignored."""
    personas.account.external_id = "ERP-A"
    personas.account.save()
    client = login(personas.alice)
    response = client.get("/export/receivables/?format=xlsx", headers={"accept-language": language})
    content = b"".join(response.streaming_content)
    assert load_workbook(io.BytesIO(content)).worksheets[0].max_row == 5
    kind = KINDS["receivables"]
    table = read_table(content, header_score=kind.header_index().score)
    mapping = kind.header_index().recognise(table.headers)
    computed = {None}
    assert set(mapping) - computed == {
        "account",
        "invoice_number",
        "issued_on",
        "due_on",
        "amount",
        "paid_amount",
        "paid_on",
        "note",
        "external_id",
    }
    before = {r.pk: r.version for r in Receivable.objects.all()}
    result = run_import(kind=kind, table=table, mapping=mapping, by=personas.alice, dry_run=False)
    assert [row.status for row in result.rows] == ["unchanged"] * 4, result.rows
    assert {r.pk: r.version for r in Receivable.objects.all()} == before


def test_an_other_teams_account_named_in_the_file_exports_nothing_of_it(personas, login):
    hidden = AccountFactory(owner=personas.charlie, name="Hidden Co")
    invoice(hidden, "H-1", issued=days_ago(5), due=today(), amount="10")
    found = rows(login(personas.alice).get("/export/receivables/?format=csv&q=Hidden"))
    assert found == []
