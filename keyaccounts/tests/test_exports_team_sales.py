"""Exports of account-team members and monthly sales (issue #10): what the files hold,
in which order and under which filters, only what the user may see, and the round trip
with `import_records` — a filtered export goes back in unchanged, and into an empty
database, from which the same filtered export gives the same rows again."""

import datetime
import html
import io
import re
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation

from accounts.models import Account, AccountTeamMember, AccountTeamRole
from accounts.services import account_delete
from accounts.tests.factories import AccountFactory, TeamMemberFactory
from keyaccounts.tests.imports_files import read_xlsx
from keyaccounts.tests.test_exports import csv_rows, export, records, sheet_records, xlsx_sheet
from scoring.models import MonthlySales

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):
        yield


def month(year: int, number: int) -> datetime.date:
    return datetime.date(year, number, 1)


@pytest.fixture
def book(personas):
    """Alice's accounts: Acme (active, an external ID) and Beta (active, none) with their
    teams and months, beside Alice's Customer Co (a prospect: bob on its team, a month)
    and Charlie's account (another team's: a colleague of his, a month). Alice's
    Customer Co's month is older than the others."""
    acme = AccountFactory(name="Acme Robotics", owner=personas.alice, external_id="ERP-100")
    beta = AccountFactory(name="Beta Works", owner=personas.alice)
    Account.objects.filter(pk__in=[acme.pk, beta.pk]).update(status="active")
    Account.objects.filter(pk=personas.account.pk).update(status="prospect")
    TeamMemberFactory(account=acme, user=personas.bob, role=AccountTeamRole.PRESALES)
    TeamMemberFactory(account=acme, user=personas.carol, role=AccountTeamRole.PROJECT_MANAGER)
    TeamMemberFactory(account=beta, user=personas.carol, role=AccountTeamRole.SALES_REP)
    TeamMemberFactory(
        account=personas.charlies_account,
        user=personas.other_manager,
        role=AccountTeamRole.EXECUTIVE_SPONSOR,
    )
    for account, when, sales, receivables in (
        (acme, month(2026, 1), "1234.50", "200.00"),
        (acme, month(2026, 2), "99000.00", "0.00"),
        (acme, month(2026, 3), "15.05", "15.05"),
        (beta, month(2026, 2), "5000.00", "1000.00"),
        (personas.account, month(2025, 12), "777.00", "0.00"),
        (personas.charlies_account, month(2026, 2), "31337.00", "1.00"),
    ):
        MonthlySales.objects.create(
            account=account, month=when, sales=Decimal(sales), receivables=Decimal(receivables)
        )
    personas.acme, personas.beta = acme, beta
    return personas


# --- what the files hold -------------------------------------------------------------------


def test_the_team_file_has_the_import_columns_in_the_order_of_accounts(book, login):
    rows = csv_rows(export(login(book.alice), "team-members"))
    # The account by its key (its external ID, else its name), its name beside it.
    assert rows == [
        ["Account", "Account name", "User", "Role"],
        ["ERP-100", "Acme Robotics", "bob", "Presales consultant"],
        ["ERP-100", "Acme Robotics", "carol", "Project manager"],
        ["Alice's Customer Co", "Alice's Customer Co", "bob", "Presales consultant"],
        ["Beta Works", "Beta Works", "carol", "Sales rep"],
    ]


def test_team_members_follow_the_account_list_filters_and_their_own(book, login):
    client = login(book.alice)
    active = records(csv_rows(export(client, "team-members", status="active")))
    assert [(r["Account"], r["User"]) for r in active] == [
        ("ERP-100", "bob"),
        ("ERP-100", "carol"),
        ("Beta Works", "carol"),
    ]
    carols = records(csv_rows(export(client, "team-members", user=book.carol.pk, q="Acme")))
    assert [(r["Account"], r["Role"]) for r in carols] == [("ERP-100", "Project manager")]
    presales = records(csv_rows(export(client, "team-members", role="presales")))
    assert {r["User"] for r in presales} == {"bob"} and len(presales) == 2
    # One account's team, as its page links it.
    beta = records(csv_rows(export(client, "team-members", account=book.beta.pk)))
    assert [(r["Account"], r["User"]) for r in beta] == [("Beta Works", "carol")]


def test_the_account_pages_link_the_team_export(book, login):
    client = login(book.alice)
    listing = client.get(reverse("accounts:list"), {"status": "active"}).content.decode()
    link = re.search(r'href="(/export/team-members/\?format=csv[^"]*)"', listing)[1]
    assert html.unescape(link) == "/export/team-members/?format=csv&status=active"
    page = client.get(book.acme.get_absolute_url()).content.decode()
    link = html.unescape(re.search(r'href="(/export/team-members/\?format=csv[^"]*)"', page)[1])
    assert link == f"/export/team-members/?format=csv&account={book.acme.pk}"
    assert [row["User"] for row in records(csv_rows(client.get(link)))] == ["bob", "carol"]


def test_the_sales_file_holds_the_page_rows_in_its_order(book, login):
    client = login(book.alice)
    rows = records(csv_rows(export(client, "monthly-sales")))
    assert [(r["Month"], r["Account"], r["Sales (CNY)"]) for r in rows] == [
        ("2026-03-01", "ERP-100", "15.05"),
        ("2026-02-01", "ERP-100", "99000.00"),  # a month's accounts in the page's order
        ("2026-02-01", "Beta Works", "5000.00"),
        ("2026-01-01", "ERP-100", "1234.50"),
        ("2025-12-01", "Alice's Customer Co", "777.00"),
    ]
    assert rows[0]["Receivables at month end (CNY)"] == "15.05"
    # The page's own rows, in its order: the same months of the same accounts.
    page = client.get(reverse("scoring:sales_list")).content.decode()
    shown = re.findall(r'class="nowrap">(\d{4}-\d{2})</td>', page)
    assert shown == [r["Month"][:7] for r in rows]


def test_the_sales_file_follows_the_page_filters(book, login):
    client = login(book.alice)
    rows = records(csv_rows(export(client, "monthly-sales", q="Acme", month_from="2026-02")))
    assert [r["Month"] for r in rows] == ["2026-03-01", "2026-02-01"]
    assert {r["Account"] for r in rows} == {"ERP-100"}
    page = client.get(reverse("scoring:sales_list"), {"q": "Acme"}).content.decode()
    link = re.search(r'href="(/export/monthly-sales/\?format=xlsx[^"]*)"', page)[1]
    assert html.unescape(link) == "/export/monthly-sales/?format=xlsx&q=Acme"


def test_months_are_dates_and_amounts_numbers_in_xlsx(book, login):
    sheet = xlsx_sheet(export(login(book.alice), "monthly-sales", "xlsx", q="Acme"))
    first = sheet_records(sheet)[-1]  # January
    assert first["Month"] == datetime.datetime(2026, 1, 1)  # a date cell
    assert [row[0].number_format for row in sheet.iter_rows(min_row=2)] == ["yyyy-mm"] * 3
    assert first["Account"] == "ERP-100"
    assert first["Sales (CNY)"] == pytest.approx(1234.5)
    assert isinstance(first["Receivables at month end (CNY)"], int | float)


# --- visibility ----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("kind", ["team-members", "monthly-sales"])
def test_a_rep_exports_only_what_they_see(book, login, fmt, kind):
    def cells(user, **params) -> set[str]:
        response = export(login(user), kind, fmt, **params)
        if fmt == "csv":
            return {cell for row in csv_rows(response)[1:] for cell in row}
        sheet = xlsx_sheet(response)
        return {str(cell.value) for row in list(sheet.iter_rows())[1:] for cell in row}

    alices = {"ERP-100", "Beta Works", "Alice's Customer Co"}
    theirs = "Charlie's Customer Co"
    assert cells(book.charlie) & alices == set()
    assert theirs in cells(book.charlie)
    assert theirs not in cells(book.alice) and alices <= cells(book.alice)
    # Naming another team's account does not reach it.
    assert cells(book.alice, account=book.charlies_account.pk, q=theirs) == set()
    # The manager of Alice's team sees hers, not the other team's.
    managers = cells(book.manager)
    assert alices <= managers and theirs not in managers


def test_team_members_of_an_account_in_the_recycle_bin_are_not_exported(book, login):
    account_delete(account=Account.objects.get(pk=book.beta.pk), by=book.alice)
    rows = records(csv_rows(export(login(book.alice), "team-members")))
    assert "Beta Works" not in {r["Account"] for r in rows}


# --- the round trip with import_records ----------------------------------------------------


def export_records(kind: str, fmt: str, path, *filters: str, user="manager", language="en"):
    args = ["--as", user, "--format", fmt, "--output", str(path), "--language", language]
    for pair in filters:
        args += ["--filter", pair]
    call_command("export_records", kind, *args)
    content = path.read_bytes()
    if fmt == "xlsx":
        return next(iter(read_xlsx(content).values()))
    return content.decode("utf-8-sig").splitlines()


def import_records(kind: str, path, user="manager") -> str:
    out = io.StringIO()
    try:
        call_command("import_records", kind, str(path), "--as", user, stdout=out)
    except CommandError as exc:
        pytest.fail(f"import_records {kind} failed ({exc.returncode}): {out.getvalue()}{exc}")
    return out.getvalue()


# Acme and Beta only: the active accounts, and the months from January 2026 (Alice's
# Customer Co's is older); the other team's account is not Alice's manager's to see.
FILTERS = {
    "accounts": ["status=active"],
    "team-members": ["status=active"],
    "monthly-sales": ["month_from=2026-01"],
}


@pytest.mark.parametrize(("fmt", "language"), [("xlsx", "zh-hans"), ("csv", "en")])
def test_a_filtered_export_goes_back_in_unchanged(book, tmp_path, fmt, language):
    for kind in ("team-members", "monthly-sales"):
        path = tmp_path / f"{kind}.{fmt}"
        rows = export_records(kind, fmt, path, *FILTERS[kind], language=language)
        assert len(rows) > 2
        out = import_records(kind, path)
        assert re.search(r"^(\d+) rows: \1 unchanged \(imported\)$", out, re.MULTILINE), out


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_a_filtered_export_into_an_empty_database_exports_the_same_rows(book, tmp_path, fmt):
    first = {
        kind: export_records(kind, fmt, tmp_path / f"1-{kind}.{fmt}", *filters)
        for kind, filters in FILTERS.items()
    }
    text = repr(first)
    assert "Alice's Customer Co" not in text
    assert "Charlie" not in text and "other_manager" not in text
    assert len(first["accounts"]) == 3  # the header, Acme, Beta
    assert len(first["team-members"]) == 4  # the header, Acme's two, Beta's one
    assert len(first["monthly-sales"]) == 5  # the header, Acme's three months, Beta's one
    Account.all_objects.filter(owner=book.alice).delete()  # for good: teams and months too
    assert not AccountTeamMember.objects.filter(account__owner=book.alice).exists()
    assert not MonthlySales.objects.filter(account__owner=book.alice).exists()
    for kind in FILTERS:  # the accounts first: the others name them
        out = import_records(kind, tmp_path / f"1-{kind}.{fmt}")
        assert re.search(r"^(\d+) rows: \1 create \(imported\)$", out, re.MULTILINE), out
    second = {
        kind: export_records(kind, fmt, tmp_path / f"2-{kind}.{fmt}", *filters)
        for kind, filters in FILTERS.items()
    }
    assert second == first
