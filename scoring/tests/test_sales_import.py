"""Monthly sales and receivables: the import (page and command) and the list."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from accounts.tests.factories import AccountFactory
from scoring import sales
from scoring.models import MonthlySales
from scoring.sales import parse_sales_csv, sales_import

pytestmark = pytest.mark.django_db

OLD_IMPORT_URL = "/scoring/sales/import/"
LIST_URL = reverse("scoring:sales_list")
MARCH = datetime.date(2025, 3, 1)


def rows_of(text: str) -> list[dict]:
    return parse_sales_csv(text)


def stored():
    return {
        (row.account_id, row.month): (row.sales, row.receivables)
        for row in MonthlySales.objects.all()
    }


@pytest.fixture
def erp_account(personas):
    """Alice's account with an external ID from the ERP."""
    account = personas.account
    account.external_id = "ERP-0001"
    account.save()
    return account


# --- the function -------------------------------------------------------------------------


def test_valid_rows_are_applied_and_bad_ones_reported_with_their_row_number(personas, erp_account):
    text = (
        "account,month,sales,receivables\n"
        'ERP-0001,2025-03,"1,234.50",200\n'  # row 2: by external ID
        "Alice's Customer Co,2025-04,99.9,\n"  # row 3: by exact name, receivables empty
        "ERP-0001,2025-13,5,0\n"  # row 4: no such month
        "ERP-0001,2025-05,-5,0\n"  # row 5: negative
        "ERP-0001,2025-06,1.234,1,2\n"  # row 6: three decimals (and a stray column)
        ",2025-07,5,0\n"  # row 7: no account
    )

    result = sales_import(rows=rows_of(text), by=personas.alice, dry_run=False)

    assert [(row.row, row.status) for row in result.rows] == [
        (2, "created"),
        (3, "created"),
        (4, "error"),
        (5, "error"),
        (6, "error"),
        (7, "error"),
    ]
    errors = {row.row: row.errors for row in result.error_rows}
    assert errors[4] == [("month", "“2025-13” is not a month. Expected YYYY-MM, e.g. 2025-03.")]
    assert errors[5] == [("sales", "-5 is negative. Expected 0 or more.")]
    assert errors[6][0][0] == "sales" and "more than 2 decimal places" in errors[6][0][1]
    assert errors[7] == [("account", "“account” is empty. Expected a value, e.g. ERP-0042.")]
    assert stored() == {
        (erp_account.pk, MARCH): (Decimal("1234.50"), Decimal("200.00")),
        (erp_account.pk, datetime.date(2025, 4, 1)): (Decimal("99.90"), Decimal("0.00")),
    }
    assert (result.created, result.updated, result.errors) == (2, 0, 4)


def test_an_account_the_user_cannot_see_is_a_row_error_and_nothing_of_it_is_written(personas):
    text = (
        "account,month,sales\n"
        "Charlie's Customer Co,2025-03,100\n"  # another team's account
        "No Such Co,2025-03,100\n"
    )

    result = sales_import(rows=rows_of(text), by=personas.alice, dry_run=False)

    assert [row.errors for row in result.rows] == [
        [("account", "No account you can see with external ID or name “Charlie's Customer Co”.")],
        [("account", "No account you can see with external ID or name “No Such Co”.")],
    ]
    assert MonthlySales.objects.count() == 0
    # Charlie's manager can import it.
    assert sales_import(rows=rows_of(text), by=personas.other_manager, dry_run=False).created == 1


def test_importing_the_same_month_again_replaces_it(personas, erp_account):
    first = "account,month,sales,receivables\nERP-0001,2025-03,100,10\n"
    again = "account,month,sales,receivables\nERP-0001,2025/3/1,250,0\n"  # as Excel writes it

    sales_import(rows=rows_of(first), by=personas.alice, dry_run=False)
    result = sales_import(rows=rows_of(again), by=personas.alice, dry_run=False)

    assert [row.status for row in result.rows] == ["updated"]
    assert MonthlySales.objects.count() == 1
    assert stored() == {(erp_account.pk, MARCH): (Decimal("250.00"), Decimal("0.00"))}


def test_a_month_imported_again_with_the_same_figures_is_unchanged(personas, erp_account):
    text = "account,month,sales,receivables\nERP-0001,2025-03,250,0\nERP-0001,2025-04,9,1\n"
    MonthlySales.objects.create(account=erp_account, month=MARCH, sales=250, receivables=0)

    result = sales_import(rows=rows_of(text), by=personas.alice, dry_run=False)

    assert [row.status for row in result.rows] == ["unchanged", "created"]
    assert (result.created, result.updated, result.unchanged) == (1, 0, 1)
    assert MonthlySales.objects.count() == 2


def test_a_dry_run_reports_the_same_but_writes_nothing(personas, erp_account):
    MonthlySales.objects.create(account=erp_account, month=MARCH, sales=1)
    text = "account,month,sales\nERP-0001,2025-03,5\nERP-0001,2025-04,5\n"

    result = sales_import(rows=rows_of(text), by=personas.alice, dry_run=True)

    assert [row.status for row in result.rows] == ["updated", "created"]
    assert stored() == {(erp_account.pk, MARCH): (Decimal("1.00"), Decimal("0.00"))}


def test_the_same_account_and_month_twice_in_a_file_is_an_error_on_the_second(
    personas, erp_account
):
    text = "account,month,sales\nERP-0001,2025-03,5\nAlice's Customer Co,2025-03,6\n"

    result = sales_import(rows=rows_of(text), by=personas.alice, dry_run=False)

    assert result.rows[1].errors == [
        (
            "month",
            "Row 2 already has 2025-03 for this account. Expected each account and month once "
            "in a file.",
        )
    ]
    assert stored() == {(erp_account.pk, MARCH): (Decimal("5.00"), Decimal("0.00"))}


def test_a_name_two_visible_accounts_share_asks_for_the_external_id(personas):
    AccountFactory(name="Twin Co", owner=personas.alice)
    AccountFactory(name="Twin Co", owner=personas.alice)

    result = sales_import(
        rows=rows_of("account,month,sales\nTwin Co,2025-03,5\n"), by=personas.alice, dry_run=True
    )

    assert result.rows[0].errors == [
        (
            "account",
            "2 accounts you can see are named “Twin Co”. Use the account's external ID instead.",
        )
    ]


@pytest.mark.parametrize(
    ("month", "expected"),
    [
        ("2025-03", MARCH),
        ("2025-3", MARCH),
        ("2025/03", MARCH),
        ("2025-03-01", MARCH),
        ("2025/3/1", MARCH),
        ("2025年3月", MARCH),
    ],
)
def test_months_are_read_as_people_and_spreadsheets_write_them(month, expected):
    assert sales.parse_month(month) == expected


@pytest.mark.parametrize("text", ["1,234.50", "1234.5", "¥1,234.50", " 1234.50 "])
def test_amounts_accept_thousands_separators(text):
    assert sales.parse_amount(text.strip()) == Decimal("1234.50")


@pytest.mark.parametrize("text", ["12,34", "1.2.3", "abc", "1e5", "1,234,56"])
def test_malformed_amounts_are_refused_with_the_expected_form(text):
    with pytest.raises(ValueError, match="is not an amount. Expected a number in yuan"):
        sales.parse_amount(text)


def test_files_are_read_as_utf8_with_bom_or_gb18030_with_chinese_headers():
    text = "客户,月份,销售额,应收账款\n华东机械,2025-03,100,0\n"
    for content in (("\ufeff" + text).encode("utf-8"), text.encode("gb18030")):
        assert sales.read_sales_file(content) == [
            {
                "row": 2,
                "account": "华东机械",
                "month": "2025-03",
                "sales": "100",
                "receivables": "0",
            }
        ]


def test_a_file_without_the_needed_columns_is_refused_whole():
    with pytest.raises(sales.SalesFileError, match="The header has no “month”, “sales” column"):
        sales.read_sales_file(b"account,amount\nX,5\n")
    with pytest.raises(sales.SalesFileError, match="not a CSV file"):
        sales.read_sales_file(b"PK\x03\x04 an xlsx workbook")


# --- the page -----------------------------------------------------------------------------


def test_the_old_import_page_leads_to_the_import_pages(personas, login):
    """Managers import monthly sales from /import/monthly_sales/ (XLSX or CSV, every row
    checked, all or none); the old address and its bookmarks lead there."""
    target = reverse("imports:upload", args=["monthly_sales"])
    response = login(personas.manager).get(OLD_IMPORT_URL, follow=True)
    assert response.redirect_chain == [(target, 302)]
    assert "Monthly sales are imported here now" in response.content.decode()
    # Still only managers: a rep led there finds no such import.
    assert login(personas.alice).get(OLD_IMPORT_URL, follow=True).status_code == 404


def test_the_sales_list_links_to_the_import_pages(personas, login):
    html = login(personas.manager).get(LIST_URL).content.decode()
    assert f'href="{reverse("imports:upload", args=["monthly_sales"])}"' in html
    assert OLD_IMPORT_URL not in html


# --- the command -------------------------------------------------------------------------


def test_the_command_imports_and_prints_each_row_error(personas, erp_account, tmp_path, capsys):
    path = tmp_path / "sales.csv"
    path.write_text("account,month,sales\nERP-0001,2025-03,7\nNobody,2025-03,1\n")

    with pytest.raises(CommandError, match="1 row had errors"):
        call_command("import_sales", str(path), "--user", "alice")

    out = capsys.readouterr().out
    assert "row 3: account: No account you can see with external ID or name “Nobody”." in out
    assert "2 rows: 1 were added" in out
    assert stored() == {(erp_account.pk, MARCH): (Decimal("7.00"), Decimal("0.00"))}


def test_the_command_dry_run_saves_nothing(personas, erp_account, tmp_path, capsys):
    path = tmp_path / "sales.csv"
    path.write_text("account,month,sales\nERP-0001,2025-03,7\n")

    call_command("import_sales", str(path), "--user", "alice", "--dry-run")

    assert "1 would be added" in capsys.readouterr().out
    assert MonthlySales.objects.count() == 0


def test_the_command_needs_a_known_user(personas, tmp_path):
    path = tmp_path / "sales.csv"
    path.write_text("account,month,sales\n")
    with pytest.raises(CommandError, match="No active user named 'nobody'"):
        call_command("import_sales", str(path), "--user", "nobody")


# --- the list -----------------------------------------------------------------------------


def test_the_list_shows_only_visible_accounts_and_filters_by_name_and_months(personas, login):
    for month in (1, 2, 3):
        MonthlySales.objects.create(
            account=personas.account, month=datetime.date(2025, month, 1), sales=month * 100
        )
    MonthlySales.objects.create(account=personas.charlies_account, month=MARCH, sales=999)
    client = login(personas.alice)

    everything = client.get(LIST_URL)
    assert [row.month.month for row in everything.context["page"].object_list] == [3, 2, 1]
    assert "Charlie" not in everything.content.decode()
    assert everything.context["total_sales"] == Decimal("600")

    some = client.get(LIST_URL, {"q": "alice", "month_from": "2025-02", "month_to": "2025-02"})
    assert [row.month.month for row in some.context["page"].object_list] == [2]
    # A day of the month stands for it; a last month before the first is refused on it.
    same = client.get(LIST_URL, {"month_from": "2025-02-20", "month_to": "2025-02-01"})
    assert not same.context["filter"].form.errors
    backwards = client.get(LIST_URL, {"month_from": "2025-03", "month_to": "2025-01"})
    assert backwards.context["filter"].form.errors["month_to"] == [
        "The last month (2025-01) is before the first (2025-03)."
    ]
    # A month box that cannot be read asks for a month, not a day.
    unreadable = client.get(LIST_URL, {"month_from": "2026-99"})
    assert unreadable.context["filter"].form.errors["month_from"] == [
        "Enter a month as YYYY-MM, for example 2027-03."
    ]
    assert list(client.get(LIST_URL, {"q": "charlie"}).context["page"].object_list) == []


def test_the_list_costs_the_same_queries_for_2_or_50_rows(personas, login):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count(client):
        with CaptureQueriesContext(connection) as context:
            assert client.get(LIST_URL).status_code == 200
        return len(context.captured_queries)

    client = login(personas.manager)
    for month in (1, 2):
        MonthlySales.objects.create(
            account=personas.account, month=datetime.date(2025, month, 1), sales=1
        )
    few = count(client)
    for n in range(48):
        account = AccountFactory(owner=personas.bob)
        MonthlySales.objects.create(account=account, month=MARCH, sales=n)
    assert count(client) == few
