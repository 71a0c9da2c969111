"""Exports: every list page to CSV and XLSX, with its filters and order, only what the
user may see, safe to open, streamed, and the dashboard's tables as one workbook.

Files are read back as a spreadsheet user would: CSV with the `csv` module, XLSX with
openpyxl. Expected rows come from the list pages themselves (parsed) or from plain
Python over the fixtures.
"""

import codecs
import csv
import datetime
import html
import io
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from accounts.models import AccountStatus, Attitude, BuyingRole, Industry
from accounts.services import contact_delete
from accounts.tests.factories import AccountFactory, ContactFactory, TeamMemberFactory
from keyaccounts.exports.registry import TYPES
from keyaccounts.imports.kinds import kind_named
from keyaccounts.recyclebin.models import Deletion
from opportunities.models import OpportunityKind
from opportunities.tests.factories import OpportunityFactory, default_stages
from scoring.models import MonthlySales
from scoring.plans.tests.api_records import plan_records
from scoring.receivables.tests.api_records import receivable_records
from scoring.tests.test_dashboard import set_grade
from visits.complaints.tests.api_records import complaint_records
from visits.models import DevelopmentResult, Notification, NotificationKind, VisitStatus
from visits.tests.factories import (
    DevelopmentRecordFactory,
    NotificationFactory,
    PlannedVisitFactory,
    VisitFactory,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def export(client, what, fmt="csv", /, *, headers=None, **params):
    response = client.get(
        reverse("exports:export", args=[what]), {"format": fmt, **params}, headers=headers or {}
    )
    assert response.status_code == 200, response.status_code
    return response


def body(response) -> bytes:
    assert response.streaming  # never rendered whole in memory
    return b"".join(response.streaming_content)


def csv_rows(response) -> list[list[str]]:
    content = body(response)
    assert content.startswith(codecs.BOM_UTF8)
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def xlsx_sheet(response):
    workbook = load_workbook(io.BytesIO(body(response)))
    assert len(workbook.worksheets) == 1
    return workbook.worksheets[0]


def records(rows) -> list[dict]:
    """The rows under the header, as {header: value}."""
    header, *data = rows
    return [dict(zip(header, row, strict=True)) for row in data]


def sheet_records(sheet) -> list[dict]:
    header, *data = [[cell.value for cell in row] for row in sheet.iter_rows()]
    return [dict(zip(header, row, strict=True)) for row in data]


def sheet_cells(sheet) -> list[dict]:
    header, *data = list(sheet.iter_rows())
    names = [cell.value for cell in header]
    return [dict(zip(names, row, strict=True)) for row in data]


def listed(response, pattern: str) -> list[str]:
    """The ids a list page shows, in its order (each once)."""
    assert response.status_code == 200
    ids = []
    for found in re.findall(pattern, response.content.decode()):
        if found not in ids:
            ids.append(found)
    return ids


# --- what a file holds --------------------------------------------------------------------


def test_the_account_file_has_the_list_columns_first_then_the_record(personas, login):
    header = csv_rows(export(login(personas.alice), "accounts"))[0]
    assert header[:10] == [
        "Grade",
        "Name",
        "Score",
        "Industry",
        "Region",
        "Status",
        "Owner",
        "Contacts",
        "Decider",
        "Coach",
    ]
    for more in ("External ID", "Unified social credit code", "Annual revenue (10k CNY)", "Notes"):
        assert more in header
    for bookkeeping in ("Version", "Change number", "Updated", "Deleted"):
        assert bookkeeping not in header


def test_headers_and_choices_are_in_the_page_language(personas, login):
    account = personas.account
    account.status = AccountStatus.ACTIVE
    account.save()
    ContactFactory(
        account=account, name="王建国", buying_role=BuyingRole.DECIDER, attitude=Attitude.CHAMPION
    )
    client = login(personas.alice)
    chinese = {"accept-language": "zh-hans"}

    rows = csv_rows(export(client, "accounts", headers=chinese))
    assert rows[0][:10] == [
        "等级", "名称", "得分", "行业", "区域", "状态", "负责人", "联系人", "决策者", "内线",
    ]  # fmt: skip
    assert rows[1][1:7] == ["Alice's Customer Co", "", "制造", "East China", "合作中", "alice"]
    assert rows[1][8:10] == ["是", "否"]  # a decider, no coach

    rows = csv_rows(export(client, "contacts", headers=chinese))
    assert rows[0][:6] == ["客户", "客户名称", "姓名", "职务", "采购角色", "对我方态度"]
    assert rows[1][:6] == [
        "Alice's Customer Co", "Alice's Customer Co", "王建国", "Manager", "决策者", "坚定支持",
    ]  # fmt: skip

    sheet = xlsx_sheet(export(client, "contacts", "xlsx", headers=chinese))
    assert [cell.value for cell in sheet[1]][:4] == ["客户", "客户名称", "姓名", "职务"]
    assert sheet.title == "联系人"

    english = csv_rows(export(client, "contacts"))
    assert english[0][:6] == [
        "Account", "Account name", "Name", "Title", "Buying role", "Attitude to us",
    ]  # fmt: skip
    assert english[1][4:6] == ["Decider", "Strong supporter"]


def test_links_are_natural_keys_an_import_can_read(personas, login):
    account = personas.account
    account.external_id = "ERP-0042"
    account.save()
    plain = AccountFactory(name="No Key Industrial", owner=personas.alice)
    boss = ContactFactory(account=account, name="Zhou Boss")
    ContactFactory(
        account=account,
        name="Li Report",
        reports_to=boss,
        relationship_owner=personas.bob,
        is_coach=True,
        is_active=False,
    )
    ContactFactory(account=plain, name="Nobody's Report", reports_to=None)
    keyed = ContactFactory(account=plain, name="Keyed Boss", external_id="HR-7")
    ContactFactory(account=plain, name="Keyed Report", reports_to=keyed)

    rows = {r["Name"]: r for r in records(csv_rows(export(login(personas.alice), "contacts")))}

    assert rows["Li Report"]["Account"] == "ERP-0042"  # the external ID when there is one
    assert rows["Nobody's Report"]["Account"] == "No Key Industrial"  # else the name
    # Its name beside it, for the reader: a code alone says little.
    assert rows["Li Report"]["Account name"] == account.name
    assert rows["Nobody's Report"]["Account name"] == "No Key Industrial"
    assert rows["Li Report"]["Reports to"] == "Zhou Boss"
    assert rows["Keyed Report"]["Reports to"] == "HR-7"  # a contact too: two share a name
    assert rows["Li Report"]["Relationship owner on our side"] == "bob"  # a username
    assert rows["Li Report"]["Coach (internal champion)"] == "Yes"
    assert rows["Li Report"]["Still at the customer"] == "No"
    assert rows["Zhou Boss"]["Reports to"] == ""


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_every_account_key_column_has_the_name_beside_it_and_imports_read_the_key(language):
    """In every export, a column naming an account by its key is followed by the
    account's name; the import of that type (where there is one) fills the account from
    the key column and leaves the name column out, saying why, in either language."""
    checked = []
    with translation.override(language):
        for name, export_type in TYPES.items():
            bound = export_type.columns.bound()
            for index, column in enumerate(bound):
                if column.kind != "account":
                    continue
                beside = bound[index + 1]
                assert beside.path == f"{column.path}.name", (name, beside.path)
                assert not beside.importable
                checked.append(name)
                kind = kind_named(name)
                if kind is None:
                    continue
                headers = export_type.columns.headers()
                mapping = kind.header_index().recognise(headers)
                assert mapping[index] == "account", (name, mapping)
                assert mapping[index + 1] is None, (name, mapping)
                # …as a second account column (the mapping page says column A fills it),
                # which alone in a file names the account by its name.
                assert kind.header_index().key_for(headers[index + 1]) == "account", name
    assert {"contacts", "team-members", "deals", "visits", "monthly-sales"} <= set(checked)


def test_every_export_with_an_import_of_its_records_names_it():
    """An export's type name leads to the import of the same records (`kind_named`:
    export_records and import_records take the same names), so a file goes back in
    under the name it came out with."""
    from keyaccounts.imports.kinds import KINDS

    unnamed = [
        name for name in TYPES if kind_named(name) is None and name.replace("-", "_") in KINDS
    ]
    assert unnamed == []


def test_dates_are_dates_and_amounts_numbers_in_xlsx_and_iso_text_in_csv(personas, login):
    account = personas.account
    account.annual_revenue = Decimal("1234.50")
    account.employees = 250
    account.save()
    planned = timezone.make_aware(datetime.datetime(2026, 12, 1, 9, 30))
    met = [
        ContactFactory(account=account, name="Wu Met"),
        ContactFactory(account=account, name="Ba Met"),
    ]
    visit = PlannedVisitFactory(account=account, planned_at=planned, place="HQ")
    visit.contacts.set(met)
    visit.attendees.set([personas.bob, personas.alice])
    close = datetime.date(2027, 3, 31)
    OpportunityFactory(
        account=account, name="Big Deal", amount=Decimal("123456.78"), expected_close_date=close
    )
    client = login(personas.alice)

    sheet = sheet_cells(xlsx_sheet(export(client, "accounts", "xlsx")))
    assert sheet[0]["Annual revenue (10k CNY)"].value == 1234.5
    assert sheet[0]["Annual revenue (10k CNY)"].data_type == "n"
    assert sheet[0]["Employees"].value == 250
    assert sheet[0]["Annual budget for our category (10k CNY)"].value is None  # empty stays empty
    row = records(csv_rows(export(client, "accounts")))[0]
    assert row["Annual revenue (10k CNY)"] == "1234.50"
    assert row["Employees"] == "250"

    deal = sheet_cells(xlsx_sheet(export(client, "deals", "xlsx")))[0]
    assert deal["Amount"].value == 123456.78 and deal["Amount"].data_type == "n"
    assert deal["Expected close date"].is_date
    assert deal["Expected close date"].value.date() == close
    assert deal["Stage"].value == "Qualify"
    row = records(csv_rows(export(client, "deals")))[0]
    assert (row["Amount"], row["Expected close date"]) == ("123456.78", "2027-03-31")

    cells = sheet_cells(xlsx_sheet(export(client, "visits", "xlsx")))[0]
    assert cells["Planned for"].is_date
    assert cells["Planned for"].value == datetime.datetime(2026, 12, 1, 9, 30)  # local time
    assert cells["Customer contacts met"].value == "Ba Met; Wu Met"
    assert cells["Our attendees"].value == "alice; bob"
    row = records(csv_rows(export(client, "visits")))[0]
    assert row["Planned for"] == "2026-12-01 09:30"
    assert row["Took place"] == ""
    assert row["Status"] == "Planned"


def test_the_file_name_says_what_and_when(personas, login):
    client = login(personas.alice)
    day = TODAY().isoformat()
    response = export(client, "accounts", "xlsx")
    assert response["Content-Disposition"] == f'attachment; filename="accounts-{day}.xlsx"'
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response = export(client, "development-records", "csv")
    assert (
        response["Content-Disposition"] == f'attachment; filename="development-records-{day}.csv"'
    )
    assert response["Content-Type"] == "text/csv; charset=utf-8"


def test_an_unknown_type_is_404_and_an_unknown_format_400(personas, login, caplog):
    client = login(personas.alice)
    assert client.get("/export/passwords/?format=csv").status_code == 404
    caplog.clear()
    response = client.get("/export/accounts/?format=pdf")
    assert response.status_code == 400
    assert "Choose the format csv or xlsx." in response.content.decode()
    # A mistyped link: said to the reader, no traceback in the server's log.
    assert not [record for record in caplog.records if record.exc_info]


def test_exports_need_a_login(client):
    response = client.get("/export/accounts/?format=csv")
    assert response.status_code == 302 and "/login/" in response["Location"]
    response = client.get("/export/dashboard/")
    assert response.status_code == 302 and "/login/" in response["Location"]


# --- formula injection --------------------------------------------------------------------

DANGEROUS = [
    '=HYPERLINK("http://evil.example","Click")',
    "+86 138 0013 8000",
    "-2+3",
    "@SUM(A1)",
    "\t=1+1",
    "\r=1+1",
    "'=already quoted",
]


def test_text_a_spreadsheet_could_run_is_quoted_in_csv(personas, login):
    for i, text in enumerate(DANGEROUS):
        AccountFactory(owner=personas.alice, name=f"Danger {i}", notes=text)
    rows = records(csv_rows(export(login(personas.alice), "accounts")))
    notes = {row["Name"]: row["Notes"] for row in rows}
    for i, text in enumerate(DANGEROUS):
        assert notes[f"Danger {i}"] == "'" + text
    assert notes["Alice's Customer Co"] == ""


def test_text_a_spreadsheet_could_run_is_a_string_cell_in_xlsx(personas, login):
    for i, text in enumerate(DANGEROUS):
        AccountFactory(owner=personas.alice, name=f"Danger {i}", notes=text)
    AccountFactory(owner=personas.alice, name="=cmd|' /C calc'!A0")
    cells = sheet_cells(xlsx_sheet(export(login(personas.alice), "accounts", "xlsx")))
    notes = {row["Name"].value: row["Notes"] for row in cells}
    for i, text in enumerate(DANGEROUS):
        cell = notes[f"Danger {i}"]
        assert cell.data_type == "s"  # text, never "f" (a formula)
        # Unchanged, no apostrophe added (XML reads a carriage return as a line feed).
        assert cell.value == text.replace("\r", "\n")
        assert cell.quotePrefix  # and Excel keeps it text when someone edits the cell
    name = next(row["Name"] for row in cells if row["Name"].value.startswith("=cmd"))
    assert name.data_type == "s" and name.value == "=cmd|' /C calc'!A0"


def test_negative_numbers_stay_numbers(personas, login):
    account = personas.account
    account.expected_profit = Decimal("-15.00")
    account.save()
    client = login(personas.alice)
    assert records(csv_rows(export(client, "accounts")))[0]["Expected yearly profit (10k CNY)"] == (
        "-15.00"
    )
    cell = sheet_cells(xlsx_sheet(export(client, "accounts", "xlsx")))[0]
    assert cell["Expected yearly profit (10k CNY)"].value == -15
    assert cell["Expected yearly profit (10k CNY)"].data_type == "n"


# --- the list's filters and order ---------------------------------------------------------


@pytest.fixture
def east_accounts(personas):
    """Accounts of alice and bob (East) with different statuses, regions and names."""
    plans = [
        ("Delta Steel", personas.alice, AccountStatus.ACTIVE, "North China"),
        ("Alpha Textiles", personas.bob, AccountStatus.ACTIVE, "East China"),
        ("Charlie Bank", personas.alice, AccountStatus.PROSPECT, "East China"),
        ("Bravo Energy", personas.bob, AccountStatus.ACTIVE, "North China"),
        ("Echo Foods", personas.alice, AccountStatus.DORMANT, "East China"),
    ]
    return [
        AccountFactory(name=name, owner=owner, status=status, region=region)
        for name, owner, status, region in plans
    ]


def account_ids_on_page(client, **params) -> list[str]:
    response = client.get(reverse("accounts:list"), params)
    tbody = response.content.decode().split("<tbody>", 1)[-1].split("</tbody>", 1)[0]
    return [pk for pk in re.findall(r'href="/accounts/(\d+)/"', tbody)]


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"status": "active", "ordering": "-name"},
        {"region": "East China", "ordering": "name"},
        {"q": "a", "ordering": "-updated"},
        {"owner": "__bob__"},
        {"status": "not-a-status"},  # the page leaves out what it cannot read; so does the file
    ],
)
def test_the_account_file_holds_the_rows_the_page_lists_in_its_order(
    personas, login, east_accounts, params
):
    if params.get("owner") == "__bob__":
        params = {"owner": personas.bob.pk}
    client = login(personas.manager)
    on_page = account_ids_on_page(client, **params)
    names = {str(a.pk): a.name for a in [*east_accounts, personas.account]}
    in_file = [row["Name"] for row in records(csv_rows(export(client, "accounts", **params)))]
    assert in_file == [names[pk] for pk in on_page]
    assert in_file  # every case lists something


def test_the_account_file_follows_the_filters_counted_by_hand(personas, login, east_accounts):
    client = login(personas.manager)
    rows = records(csv_rows(export(client, "accounts", status="active", ordering="-name")))
    expected = sorted(
        (a.name for a in east_accounts if a.status == AccountStatus.ACTIVE), reverse=True
    )
    assert [row["Name"] for row in rows] == expected
    assert {row["Status"] for row in rows} == {"Active customer"}


def test_the_page_links_its_export_with_its_filters(personas, login, east_accounts):
    client = login(personas.manager)
    page = client.get(reverse("accounts:list"), {"status": "active", "ordering": "-name"})
    content = html.unescape(page.content.decode())
    for kind in ("accounts", "contacts", "visits"):
        for fmt in ("csv", "xlsx"):
            assert f'href="/export/{kind}/?format={fmt}&status=active&ordering=-name"' in content
    # Following the link gives the rows the page lists.
    link = re.search(r'href="(/export/accounts/\?format=csv[^"]*)"', content)[1]
    rows = records(csv_rows(client.get(link)))
    assert [row["Name"] for row in rows] == ["Delta Steel", "Bravo Energy", "Alpha Textiles"]


def test_contacts_follow_the_account_list_filters_and_their_own(personas, login, east_accounts):
    delta, alpha, charlie_bank, *_ = east_accounts
    ContactFactory(account=delta, name="D Decider", buying_role=BuyingRole.DECIDER)
    ContactFactory(account=delta, name="D User", buying_role=BuyingRole.USER)
    ContactFactory(account=alpha, name="A Decider", buying_role=BuyingRole.DECIDER)
    ContactFactory(account=charlie_bank, name="C Decider", buying_role=BuyingRole.DECIDER)
    ContactFactory(account=personas.charlies_account, name="West Decider")
    client = login(personas.manager)

    every = records(csv_rows(export(client, "contacts")))
    assert [row["Name"] for row in every] == ["A Decider", "C Decider", "D Decider", "D User"]

    active = records(csv_rows(export(client, "contacts", status="active", buying_role="decider")))
    assert [(row["Account"], row["Name"]) for row in active] == [
        ("Alpha Textiles", "A Decider"),
        ("Delta Steel", "D Decider"),
    ]
    one = records(csv_rows(export(client, "contacts", account=delta.pk)))
    assert [row["Name"] for row in one] == ["D Decider", "D User"]


def test_the_account_page_exports_its_contacts(personas, login):
    ContactFactory(account=personas.account, name="Here")
    ContactFactory(account=AccountFactory(owner=personas.alice), name="Elsewhere")
    client = login(personas.alice)
    page = client.get(personas.account.get_absolute_url()).content.decode()
    link = html.unescape(re.search(r'href="(/export/contacts/\?format=csv[^"]*)"', page)[1])
    assert link == f"/export/contacts/?format=csv&account={personas.account.pk}"
    assert [row["Name"] for row in records(csv_rows(client.get(link)))] == ["Here"]


def test_the_visit_file_holds_an_accounts_timeline_in_its_order(personas, login):
    account = personas.account
    now = timezone.now()
    visits = [
        VisitFactory(account=account, occurred_at=now - datetime.timedelta(days=9), place="P9"),
        PlannedVisitFactory(
            account=account, planned_at=now + datetime.timedelta(days=2), place="F2"
        ),
        VisitFactory(account=account, occurred_at=now - datetime.timedelta(days=1), place="P1"),
        VisitFactory(
            account=account,
            status=VisitStatus.CANCELLED,
            occurred_at=now - datetime.timedelta(days=3),
            place="Cancelled",
        ),
    ]
    VisitFactory(account=personas.charlies_account, place="West")
    client = login(personas.alice)
    page = client.get(reverse("visits:account_visits", args=[account.pk]))
    on_page = listed(page, r'href="/visits/(\d+)/"')
    places = {str(v.pk): v.place for v in visits}
    link = html.unescape(
        re.search(r'href="(/export/visits/\?format=csv[^"]*)"', page.content.decode())[1]
    )
    in_file = [row["Place"] for row in records(csv_rows(client.get(link)))]
    assert in_file == [places[pk] for pk in on_page] == ["F2", "P1", "P9"]
    # Cancelled visits when asked for.
    cancelled = records(csv_rows(export(client, "visits", account=account.pk, status="cancelled")))
    assert [row["Place"] for row in cancelled] == ["Cancelled"]


def test_visits_of_the_listed_accounts_keep_owner_for_the_account(personas, login):
    bobs = AccountFactory(owner=personas.bob, name="Bob's Account")
    VisitFactory(account=bobs, owner=personas.bob, place="Bob at Bob's")
    VisitFactory(account=bobs, owner=personas.alice, place="Alice at Bob's")
    VisitFactory(account=personas.account, owner=personas.bob, place="Bob at Alice's")
    client = login(personas.manager)
    by_account_owner = records(csv_rows(export(client, "visits", owner=personas.bob.pk)))
    assert sorted(row["Place"] for row in by_account_owner) == ["Alice at Bob's", "Bob at Bob's"]
    by_logger = records(csv_rows(export(client, "visits", logged_by=personas.bob.pk)))
    assert sorted(row["Place"] for row in by_logger) == ["Bob at Alice's", "Bob at Bob's"]


def test_the_deal_file_holds_the_board_in_its_order(personas, login):
    stages = default_stages()
    today = TODAY()
    account = personas.account
    deals = [
        OpportunityFactory(account=account, name="N late", stage=stages["negotiation"],
                           expected_close_date=today + datetime.timedelta(days=90)),
        OpportunityFactory(account=account, name="Q soon", stage=stages["qualify"],
                           expected_close_date=today + datetime.timedelta(days=5)),
        OpportunityFactory(account=account, name="Q later", stage=stages["qualify"],
                           expected_close_date=today + datetime.timedelta(days=50),
                           kind=OpportunityKind.EXPANSION),
        OpportunityFactory(account=account, name="Won lately", stage=stages["won"],
                           closed_on=today - datetime.timedelta(days=10)),
        OpportunityFactory(account=account, name="Won long ago", stage=stages["won"],
                           closed_on=today - datetime.timedelta(days=400)),
    ]  # fmt: skip
    client = login(personas.alice)
    names = {str(d.pk): d.name for d in deals}
    for params in ({}, {"kind": "expansion"}, {"q": "Q "}):
        on_board = listed(client.get(reverse("opportunities:board"), params), r'data-deal="(\d+)"')
        in_file = [row["Name"] for row in records(csv_rows(export(client, "deals", **params)))]
        assert in_file == [names[pk] for pk in on_board]
    every = records(csv_rows(export(client, "deals")))
    assert [row["Name"] for row in every] == ["Q soon", "Q later", "N late", "Won lately"]


def test_the_development_record_file_holds_the_page_rows(personas, login):
    today = TODAY()
    account = personas.account
    made = [
        DevelopmentRecordFactory(account=account, prepared_on=today - datetime.timedelta(days=d),
                                 result=result, summary=f"S{d}")
        for d, result in ((3, DevelopmentResult.SUCCESS), (1, DevelopmentResult.IN_PROGRESS),
                          (7, DevelopmentResult.SUCCESS))
    ]  # fmt: skip
    DevelopmentRecordFactory(account=personas.charlies_account, summary="West")
    client = login(personas.alice)
    summaries = {str(r.pk): r.summary for r in made}
    for params in ({}, {"result": "success"}, {"reviewed": "no", "q": "S"}):
        page = client.get(reverse("visits:record_list"), params)
        on_page = listed(page, r'href="/development-records/(\d+)/"')
        rows = records(csv_rows(export(client, "development-records", **params)))
        assert [row["Summary of why"] for row in rows] == [summaries[pk] for pk in on_page]
    assert [row["Summary of why"] for row in rows] == ["S1", "S3", "S7"]


def test_the_notification_file_holds_the_users_reminders_newest_first(personas, login):
    first = NotificationFactory(visit=VisitFactory(account=personas.account))
    second = NotificationFactory(
        visit=VisitFactory(account=personas.account), kind=NotificationKind.FOLLOW_UP_OVERDUE
    )
    Notification.objects.filter(pk=first.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=1)
    )
    NotificationFactory(visit=VisitFactory(account=personas.charlies_account))
    client = login(personas.alice)
    on_page = listed(client.get(reverse("visits:notifications")), r'data-notification="(\d+)"')
    assert on_page == [str(second.pk), str(first.pk)]
    rows = records(csv_rows(export(client, "notifications")))
    assert [row["Kind"] for row in rows] == ["Follow-up overdue", "Follow-up due"]
    assert rows[0]["Account"] == "Alice's Customer Co"
    assert rows[0]["Due"] == second.due_date.isoformat()


def test_the_recycle_bin_file_holds_what_the_page_lists(personas, login):
    contacts = [ContactFactory(account=personas.account, name=f"Gone {i}") for i in range(3)]
    for contact in contacts:
        contact_delete(contact=contact, by=personas.alice)
    charlies = ContactFactory(account=personas.charlies_account, name="West gone")
    contact_delete(contact=charlies, by=personas.charlie)
    client = login(personas.alice)
    labels = dict(Deletion.objects.values_list("pk", "label"))
    for params in ({}, {"q": "Gone 1"}):
        on_page = listed(client.get(reverse("recyclebin:bin"), params), r'data-deletion="(\d+)"')
        rows = records(csv_rows(export(client, "recycle-bin", **params)))
        assert [row["Name"] for row in rows] == [labels[int(pk)] for pk in on_page]
    rows = records(csv_rows(export(client, "recycle-bin")))
    assert {row["Name"] for row in rows} == {f"Gone {i} (Manager)" for i in range(3)}
    assert {(row["Type"], row["Deleted by"]) for row in rows} == {("Contact", "alice")}
    purge_on = TODAY() + datetime.timedelta(days=90)
    assert {row["Removed for good"] for row in rows} == {purge_on.isoformat()}


# --- visibility -------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_nobody_exports_what_they_cannot_see(personas, login, fmt):
    ContactFactory(account=personas.account, name="Alice's Contact")
    VisitFactory(account=personas.account, place="Alice's Office")
    OpportunityFactory(account=personas.account, name="Alice's Deal")
    DevelopmentRecordFactory(account=personas.account, summary="Alice's Record")
    contact_delete(
        contact=ContactFactory(account=personas.account, name="Alice's Deleted"),
        by=personas.alice,
    )
    NotificationFactory(visit=VisitFactory(account=personas.account), recipient=personas.alice)

    def everything(user) -> str:
        client = login(user)
        texts = []
        for kind in TYPES:
            response = export(client, kind, fmt, account=personas.account.pk)
            if fmt == "csv":
                texts.append(body(response).decode("utf-8-sig"))
            else:
                sheet = xlsx_sheet(response)
                texts += [str(cell.value) for row in sheet.iter_rows() for cell in row]
        return "\n".join(texts)

    outside = everything(personas.charlie)
    assert "Alice" not in outside
    inside = everything(personas.alice)
    for text in ("Alice's Customer Co", "Alice's Contact", "Alice's Office", "Alice's Deal",
                 "Alice's Record", "Alice's Deleted"):  # fmt: skip
        assert text in inside


def test_a_manager_exports_the_teams_accounts_and_not_the_other_teams(personas, login):
    bobs = AccountFactory(owner=personas.bob, name="Bob's Own")
    names = {row["Name"] for row in records(csv_rows(export(login(personas.manager), "accounts")))}
    assert names == {"Alice's Customer Co", bobs.name}
    names = {row["Name"] for row in records(csv_rows(export(login(personas.carol), "accounts")))}
    assert names == set()
    names = {row["Name"] for row in records(csv_rows(export(login(personas.charlie), "accounts")))}
    assert names == {"Charlie's Customer Co"}


# --- streaming and cost ------------------------------------------------------------------


def build(personas, start: int, stop: int) -> None:
    """Rows `start`..`stop`-1 of every exported type, all at alice's accounts."""
    stages = default_stages()
    for i in range(start, stop):
        account = AccountFactory(owner=personas.alice, name=f"Row {i:03d}", external_id=f"R{i}")
        TeamMemberFactory(account=account, user=personas.bob)
        boss = ContactFactory(account=account, name=f"Boss {i}", relationship_owner=personas.bob)
        contact = ContactFactory(account=account, reports_to=boss)
        visit = VisitFactory(account=account, followed_up_by=personas.alice)  # a follow-up open
        # Followed up two days after, a month ago: a figure of the follow-up compliance.
        a_month_ago = timezone.now() - datetime.timedelta(days=30)
        VisitFactory(
            account=account,
            occurred_at=a_month_ago,
            followed_up_on=timezone.localdate(a_month_ago) + datetime.timedelta(days=2),
        )
        PlannedVisitFactory(account=account)  # alice's planned visits (`planned-visits`)
        visit.contacts.set([boss, contact])
        visit.attendees.set([personas.bob])
        OpportunityFactory(account=account, stage=stages["bid"])
        # Won last week: a number of the win/loss analytics (`analytics-deals`).
        OpportunityFactory(
            account=account,
            stage=stages["won"],
            closed_on=timezone.localdate() - datetime.timedelta(days=7),
        )
        DevelopmentRecordFactory(account=account, reviewed_by=personas.manager)
        from visits.reviews.tests.factories import ReviewFollowUpFactory

        review = ReviewFollowUpFactory(review__account=account).review  # and its follow-up
        review.contacts.set([boss])
        review.attendees.set([personas.bob])
        NotificationFactory(visit=visit)
        plan_records(account, f"R{i}")  # an account plan and its action (scoring.plans)
        complaint_records(account, f"R{i}")  # a complaint (visits.complaints)
        receivable_records(account, f"R{i}")  # an invoice (scoring.receivables)
        contact_delete(contact=ContactFactory(account=account), by=personas.alice)
        MonthlySales.objects.create(account=account, month=datetime.date(2026, 1, 1), sales=i)


def export_queries(client, kind, fmt) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("exports:export", args=[kind]), {"format": fmt})
        content = body(response)
    assert content
    return len(queries)


@pytest.mark.parametrize("kind", list(TYPES))
def test_an_export_costs_the_same_queries_for_5_or_50_rows(personas, login, kind):
    client = login(personas.alice)
    build(personas, 0, 5)
    few = {fmt: export_queries(client, kind, fmt) for fmt in ("csv", "xlsx")}
    build(personas, 5, 50)
    many = {fmt: export_queries(client, kind, fmt) for fmt in ("csv", "xlsx")}
    assert many == few
    rows = records(csv_rows(export(client, kind)))
    assert len(rows) >= 50


def test_csv_is_streamed_as_it_is_read(personas, login):
    build(personas, 0, 3)
    response = export(login(personas.alice), "accounts")
    assert response.streaming
    chunks = iter(response.streaming_content)
    first = next(chunks)
    assert first.startswith(codecs.BOM_UTF8)


# --- the dashboard ----------------------------------------------------------------------


def dashboard_book(client, **params):
    response = client.get(reverse("scoring:dashboard_export"), params)
    assert response.status_code == 200
    return load_workbook(io.BytesIO(body(response)))


def sheet_values(sheet) -> list[list]:
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def test_the_dashboard_workbooks_old_address_leads_to_it_with_its_filters(personas, login):
    client = login(personas.manager)
    response = client.get("/export/dashboard/?industry=tech&region=East")
    assert response.status_code == 301
    assert response["Location"] == "/dashboard/export/?industry=tech&region=East"
    assert client.get(response["Location"]).status_code == 200


def test_the_dashboard_workbook_has_a_sheet_per_section_with_numbers(personas, login):
    stages = default_stages()
    today = TODAY()
    set_grade(personas.account, "A", personas.manager)
    OpportunityFactory(
        account=personas.account,
        stage=stages["qualify"],
        amount=Decimal("100000.00"),
        probability=10,
        expected_close_date=today,
    )
    ContactFactory(account=personas.account, buying_role=BuyingRole.DECIDER)
    book = dashboard_book(login(personas.alice))
    assert book.sheetnames == [
        "Accounts by grade",
        "ABCD pipeline",
        "Weighted forecast",
        "Grade movement since last week",
        "Coverage gaps",
        "Follow-up compliance",
        "Concentration",
    ]
    grades = sheet_values(book["Accounts by grade"])
    assert grades == [
        ["Grade", "Accounts"],
        ["A", 1], ["B", 0], ["C", 0], ["D", 0], ["Ungraded", 0], ["Total", 1],
    ]  # fmt: skip

    pipeline = sheet_values(book["ABCD pipeline"])
    assert pipeline[0][:3] == ["Grade", "Qualify: deals", "Qualify: amount (CNY)"]
    assert pipeline[1][:3] == ["A", 1, 100000]
    assert pipeline[1][-2:] == [1, 100000]
    assert pipeline[-1][0] == "Total" and pipeline[-1][-2:] == [1, 100000]

    forecast = sheet_values(book["Weighted forecast"])
    assert forecast[0] == ["Close month", "A", "B", "C", "D", "Ungraded", "Total"]
    this_month = forecast[2]
    assert this_month[0] == datetime.datetime(today.year, today.month, 1)  # a date cell
    assert this_month[1:] == [10000, 0, 0, 0, 0, 10000]  # 100,000 × 10 %
    assert book["Weighted forecast"]["A3"].number_format == "yyyy-mm"

    gaps = sheet_values(book["Coverage gaps"])
    assert gaps[1] == ["A", 1, 0, 1, 0]  # a decider, no coach, created today: not lapsed

    compliance = sheet_values(book["Follow-up compliance"])
    assert compliance[0] == ["Rep", "Username", "Settled", "On time", "Share on time"]
    assert compliance[1][1:] == ["alice", 0, 0, None]


def test_the_dashboard_workbook_shows_only_what_the_user_sees(personas, login):
    stages = default_stages()
    set_grade(personas.account, "A", personas.manager)
    OpportunityFactory(account=personas.account, stage=stages["negotiation"], amount=777_000)
    book = dashboard_book(login(personas.charlie))
    grades = dict(sheet_values(book["Accounts by grade"])[1:])
    assert grades == {"A": 0, "B": 0, "C": 0, "D": 0, "Ungraded": 1, "Total": 1}
    pipeline = sheet_values(book["ABCD pipeline"])
    assert pipeline[-1][-2:] == [0, 0]


def test_the_dashboard_workbook_keeps_the_page_filters(personas, login):
    set_grade(personas.account, "A", personas.manager)
    AccountFactory(owner=personas.bob, industry=Industry.FINANCE)
    client = login(personas.manager)
    every = dict(sheet_values(dashboard_book(client)["Accounts by grade"])[1:])
    assert every["Total"] == 2
    finance = dict(
        sheet_values(dashboard_book(client, industry="finance")["Accounts by grade"])[1:]
    )
    assert finance == {"A": 0, "B": 0, "C": 0, "D": 0, "Ungraded": 1, "Total": 1}
    page = client.get(reverse("scoring:dashboard"), {"industry": "finance"}).content.decode()
    assert 'href="/dashboard/export/?industry=finance"' in page


def test_the_dashboard_workbook_speaks_the_page_language(personas, login):
    response = login(personas.alice).get(
        reverse("scoring:dashboard_export"), headers={"accept-language": "zh-hans"}
    )
    book = load_workbook(io.BytesIO(body(response)))
    assert sheet_values(book.worksheets[0])[0] == ["等级", "客户"]


# --- in the browser -----------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_rep_downloads_the_filtered_list_on_a_phone(page, personas):
    from playwright.sync_api import expect

    from keyaccounts.pytest_plugin import browser_log_in

    AccountFactory(owner=personas.alice, name="Active Anchor", status=AccountStatus.ACTIVE)
    AccountFactory(owner=personas.alice, name="Sleepy Dormant", status=AccountStatus.DORMANT)
    page.set_viewport_size({"width": 375, "height": 800})
    browser_log_in(page, "alice")
    page.goto(reverse("accounts:list") + "?status=active")

    group = page.get_by_role("group", name="Export accounts")
    expect(group).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # no sideways scroll
    with page.expect_download() as download:
        group.get_by_role("link", name="CSV – Export accounts").click()
    file = download.value
    assert file.suggested_filename == f"accounts-{TODAY().isoformat()}.csv"
    content = open(file.path(), "rb").read()
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    assert [row[1] for row in rows] == ["Name", "Active Anchor"]


def test_each_export_type_is_its_apps_registered_in_a_fixed_order():
    """The types come from their apps' `ready()` (keyaccounts/exports/registry.py
    `register`), in the order the command lists them, whatever order the apps load in."""
    owners = {name: export.listing.__module__.split(".")[0] for name, export in TYPES.items()}
    assert list(owners.items()) == [
        ("accounts", "keyaccounts"),
        ("contacts", "keyaccounts"),
        ("visits", "visits"),
        ("follow-ups", "visits"),
        ("planned-visits", "visits"),
        ("compliance-visits", "scoring"),
        ("heat-map", "visits"),
        ("deals", "opportunities"),
        ("dashboard-deals", "scoring"),
        ("analytics-deals", "scoring"),
        ("team-members", "keyaccounts"),
        ("monthly-sales", "scoring"),
        ("development-records", "visits"),
        ("plans", "scoring"),
        ("plan-actions", "scoring"),
        ("reviews", "visits"),
        ("review-follow-ups", "visits"),
        ("complaints", "visits"),
        ("receivables", "scoring"),
        ("notifications", "visits"),
        ("recycle-bin", "keyaccounts"),
    ]
