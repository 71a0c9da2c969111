"""Imports through the engine (keyaccounts.imports.engine.run_import), one record type
after another, from real XLSX and CSV files: what the preview says, what goes in, the
all-or-nothing rule, re-imports that change nothing, and the visibility rule.

Expected values are written out by hand from the rows in each file."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from accounts.models import Account, AccountTeamMember, Contact
from accounts.tests.factories import AccountFactory, ContactFactory
from keyaccounts.imports.engine import run_import
from keyaccounts.imports.kinds import KINDS
from keyaccounts.imports.reading import read_table
from keyaccounts.models import ChangeCounter
from keyaccounts.tests.imports_files import csv_file, xlsx
from opportunities.models import Opportunity, Stage
from scoring.models import MonthlySales
from visits.models import Visit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_english():
    """The messages these tests read are the English ones, whatever an earlier test left
    active."""
    with translation.override("en"):
        yield


def run(kind: str, content: bytes, by, *, dry_run=False, confirm_duplicates=False, mapping=None):
    import_kind = KINDS[kind]
    table = read_table(content, header_score=import_kind.header_index().score)
    if mapping is None:
        mapping = import_kind.header_index().recognise(table.headers)
    return run_import(
        kind=import_kind,
        table=table,
        mapping=mapping,
        by=by,
        dry_run=dry_run,
        confirm_duplicates=confirm_duplicates,
    )


def statuses(result) -> list[tuple[int, str]]:
    return [(row.row, row.status) for row in result.rows]


def problems(result, row: int) -> list[tuple[str, str, str, str]]:
    found = next(r for r in result.rows if r.row == row)
    return [(p.column, p.value, p.message, p.expected) for p in found.problems]


def snapshot(model):
    """(pk, version, history entries) of every row: what a no-op must leave alone."""
    return sorted((row.pk, row.version, row.history.count()) for row in model.all_objects.all())


def counter() -> int:
    return ChangeCounter.objects.values_list("value", flat=True).first() or 0


ACCOUNTS_EN = [
    ["External ID", "Name", "Unified social credit code", "Industry", "Status", "Owner",
     "Employees", "Annual revenue (10k CNY)", "Region"],
    ["ERP-1", "Shanghai Precision Tools", "91310000MA1FL8XQ24", "Manufacturing",
     "Active customer", "alice@example.com", 1200, 56000.5, "East China"],
    ["ERP-2", "Hangzhou Data Works", None, "科技", "开发中", "alice", "85", "3,200", None],
]  # fmt: skip


# --- accounts ---------------------------------------------------------------------------


def test_a_preview_says_what_each_row_will_do_and_saves_nothing(personas):
    before = Account.all_objects.count()
    result = run("accounts", xlsx({"rows": ACCOUNTS_EN}), personas.alice, dry_run=True)
    assert statuses(result) == [(2, "create"), (3, "create")]
    assert [row.record for row in result.rows] == [
        "Shanghai Precision Tools",
        "Hangzhou Data Works",
    ]
    assert result.ok
    assert Account.all_objects.count() == before


def test_confirmed_rows_are_created_with_labels_owners_and_numbers_read(personas):
    result = run("accounts", xlsx({"rows": ACCOUNTS_EN}), personas.alice)
    assert statuses(result) == [(2, "create"), (3, "create")]
    first = Account.objects.get(external_id="ERP-1")
    assert first.name == "Shanghai Precision Tools"
    assert first.credit_code == "91310000MA1FL8XQ24"
    assert (first.industry, first.status) == ("manufacturing", "active")
    assert first.owner == personas.alice  # by email
    assert first.employees == 1200
    assert first.annual_revenue == Decimal("56000.50")
    second = Account.objects.get(external_id="ERP-2")
    assert (second.industry, second.status) == ("technology", "developing")  # Chinese labels
    assert second.employees == 85 and second.annual_revenue == Decimal("3200")
    assert second.credit_code is None
    entry = first.history.get()
    assert (entry.origin, entry.history_user) == ("import", personas.alice)
    assert result.rows[0].url == first.get_absolute_url()


def test_importing_the_same_file_again_changes_nothing(personas):
    content = xlsx({"rows": ACCOUNTS_EN})
    run("accounts", content, personas.alice)
    before, changes = snapshot(Account), counter()
    again = run("accounts", content, personas.alice)
    assert statuses(again) == [(2, "unchanged"), (3, "unchanged")]
    assert snapshot(Account) == before  # no new version, no history entry
    assert counter() == changes  # no change number: nothing in the changes feed


def test_a_changed_cell_updates_the_record_found_by_its_external_id(personas):
    run("accounts", xlsx({"rows": ACCOUNTS_EN}), personas.alice)
    rows = [list(row) for row in ACCOUNTS_EN]
    rows[1][1] = "Shanghai Precision Tools Group"  # renamed: found by external ID
    rows[2][8] = "South China"
    result = run("accounts", xlsx({"rows": rows}), personas.alice)
    assert statuses(result) == [(2, "update"), (3, "update")]
    account = Account.objects.get(external_id="ERP-1")
    assert account.name == "Shanghai Precision Tools Group"
    assert account.version == 2
    assert Account.objects.get(external_id="ERP-2").region == "South China"


def test_rows_without_external_id_find_the_account_by_credit_code_then_by_name(personas):
    account = personas.account
    AccountFactory(name="Coded Co", owner=personas.alice, credit_code="91310000MA1FL8XQ24")
    rows = [
        ["Name", "统一社会信用代码", "Region"],
        ["Coded Co Renamed", "91310000ma1fl8xq24", "West"],  # lower case: the same code
        [account.name, None, "North"],
    ]
    result = run("accounts", csv_file(rows), personas.alice)
    assert statuses(result) == [(2, "update"), (3, "update")]
    assert Account.objects.get(credit_code="91310000MA1FL8XQ24").name == "Coded Co Renamed"
    account.refresh_from_db()
    assert account.region == "North"


def test_bad_rows_are_named_and_nothing_of_the_file_is_saved(personas):
    rows = [
        ["Name", "Industry", "Owner", "Employees", "Website"],
        ["Good Co", "Finance", "alice", 10, None],
        ["Typo Co", "Aerospace", "alice", 10, None],
        ["Crowd Co", "Finance", "alice", "many", None],
        ["Stranger Co", "Finance", "nobody", 10, None],
        ["Web Co", "Finance", "alice", 10, "not a url"],
        [None, "Finance", "alice", 10, None],
    ]
    before = Account.all_objects.count()
    result = run("accounts", xlsx({"rows": rows}), personas.alice)
    assert statuses(result) == [
        (2, "create"),
        (3, "error"),
        (4, "error"),
        (5, "error"),
        (6, "error"),
        (7, "error"),
    ]
    assert not result.ok
    assert Account.all_objects.count() == before  # the good row did not go in either
    column, value, message, expected = problems(result, 3)[0]
    assert (column, value) == ("Industry", "Aerospace")
    assert message == "“Aerospace” is not one of the choices."
    assert expected.startswith("one of: Technology, Finance, Manufacturing")
    assert problems(result, 4) == [
        ("Employees", "many", "“many” is not a whole number.", "a whole number such as 120")
    ]
    column, value, message, _expected = problems(result, 5)[0]
    assert (column, value) == ("Owner", "nobody")
    assert message == (
        "Nobody of your sales teams has the username, email address or name “nobody”."
    )
    assert problems(result, 6) == [
        (
            "Website",
            "not a url",
            "Enter a valid URL.",
            "a web address such as https://www.example.com",
        )
    ]
    column, value, message, _expected = problems(result, 7)[0]
    assert (column, message) == ("Name", "No account matches this row, and a new one needs a name.")


def test_a_row_says_all_its_cells_problems_at_once(personas):
    """A cell that cannot be read (a choice, a number) does not hide the row's other
    cells' own problems: a long name, a bad web address are named in the same preview,
    so the file is fixed in one round."""
    rows = [
        ["Name", "Industry", "Employees", "Website", "Unified social credit code"],
        ["Long " + "x" * 300, "Aerospace", "many", "not a url", "91110000802100433X"],
    ]
    result = run("accounts", xlsx({"rows": rows}), personas.alice)
    assert statuses(result) == [(2, "error")]
    found = problems(result, 2)
    assert [(column, message) for column, _value, message, _e in found] == [
        ("Industry", "“Aerospace” is not one of the choices."),
        ("Employees", "“many” is not a whole number."),
        ("Name", "Ensure this value has at most 200 characters (it has 305)."),
        ("Website", "Enter a valid URL."),
        (
            "Unified social credit code",
            "The check character (the last) does not match the first 17: check the code for "
            "a typing error.",
        ),
    ]
    assert found[-1][3] == (
        "a unified social credit code: 18 digits and capital letters, the last its check "
        "character, such as 91110000802100433B"
    )
    assert not Account.all_objects.filter(name__startswith="Long ").exists()


def test_a_record_twice_in_one_file_is_an_error_on_the_second_row(personas):
    rows = [
        ["External ID", "Name", "Industry"],
        ["ERP-9", "Twin Co", "Finance"],
        ["ERP-9", "Twin Co", "Energy"],
    ]
    result = run("accounts", csv_file(rows), personas.alice)
    assert statuses(result) == [(2, "create"), (3, "error")]
    assert problems(result, 3) == [
        ("External ID", "ERP-9", "Row 2 already imports this record.", "each record once in a file")
    ]
    assert not Account.objects.filter(external_id="ERP-9").exists()


@pytest.mark.parametrize(
    "kind, header, first, second",
    [
        ("contacts", ["Account", "Name", "Title"], ["Wang Twin", "A"], ["Wang Twin", "B"]),
        (
            "visits",
            ["Account", "Took place", "Method", "Purpose"],
            ["2025-03-18 10:00", "Phone", "p1"],
            ["2025-03-18 10:00", "Phone", "p2"],
        ),
        (
            "opportunities",
            ["Account", "Name", "Amount", "Expected close date"],
            ["Twin deal", "10", "2027-03-31"],
            ["Twin deal", "20", "2027-03-31"],
        ),
    ],
)
def test_a_new_record_named_twice_in_one_file_is_an_error_on_the_second_row(
    personas, kind, header, first, second
):
    """A record the file creates, named again by a later row (by its name, or a visit by
    its time), is refused on that row as a stored one is — not planned as an update of a
    record that does not exist yet (the write then failed as a whole, no row named)."""
    model = {"contacts": Contact, "visits": Visit, "opportunities": Opportunity}[kind]
    account = personas.account
    before = model.all_objects.count()
    rows = [header, [account.name, *first], [account.name, *second]]
    preview = run(kind, csv_file(rows), personas.alice, dry_run=True)
    assert statuses(preview) == [(2, "create"), (3, "error")]
    [(_column, _value, message, expected)] = problems(preview, 3)
    assert (message, expected) == (
        "Row 2 already imports this record.",
        "each record once in a file",
    )
    result = run(kind, csv_file(rows), personas.alice)
    assert statuses(result) == [(2, "create"), (3, "error")]
    assert model.all_objects.count() == before


@pytest.mark.parametrize(
    "kind, header, first, second",
    [
        ("contacts", ["Account", "External ID", "Name"], ["CX-1", "Wang"], ["CX-1", "Li"]),
        (
            "visits",
            ["Account", "External ID", "Took place", "Method"],
            ["VX-1", "2025-03-18 10:00", "Phone"],
            ["VX-1", "2025-03-19 10:00", "Phone"],
        ),
        (
            "opportunities",
            ["Account", "External ID", "Name", "Amount", "Expected close date"],
            ["DX-1", "Deal one", "10", "2027-03-31"],
            ["DX-1", "Deal two", "20", "2027-03-31"],
        ),
    ],
)
def test_a_new_external_id_twice_in_one_file_is_an_error_on_the_second_row(
    personas, kind, header, first, second
):
    """Two rows with one new external ID: the second is about the record the first
    creates — "Row 2 already imports this record", not that such a record exists."""
    account = personas.account
    rows = [header, [account.name, *first], [account.name, *second]]
    preview = run(kind, csv_file(rows), personas.alice, dry_run=True)
    assert statuses(preview) == [(2, "create"), (3, "error")]
    assert problems(preview, 3) == [
        (
            "External ID",
            first[0],
            "Row 2 already imports this record.",
            "each record once in a file",
        )
    ]


def test_an_email_address_refused_says_what_one_looks_like(personas):
    rows = [["Account", "Name", "Email"], [personas.account.name, "Wang", "wang@example"]]
    result = run("contacts", csv_file(rows), personas.alice, dry_run=True)
    assert problems(result, 2) == [
        (
            "Email",
            "wang@example",
            "Enter a valid email address.",
            "an email address such as wang@example.com",
        )
    ]


def test_a_phone_number_refused_says_what_one_looks_like(personas):
    rows = [["Account", "Name", "Phone"], [personas.account.name, "Wang", "front desk"]]
    result = run("contacts", csv_file(rows), personas.alice, dry_run=True)
    assert problems(result, 2) == [
        (
            "Phone",
            "front desk",
            "“front desk” is not a phone number. Enter its digits, with +, spaces, hyphens "
            "or brackets if you like, and an extension after 转 or ext.",
            "a phone number such as 138 0013 8000 or 010-6552 8000 转 123",
        )
    ]


@pytest.mark.parametrize(
    ("column", "cell", "said"),
    [
        ("Email", "wang@example", "Enter a valid email address."),  # the row's own check
        ("Buying role", "chief", "“chief” is not one of the choices."),  # a cell unread
    ],
)
def test_a_failing_row_does_not_hold_a_contacts_old_phone_number_against_it(
    personas, column, cell, said
):
    """A number saved before numbers were checked stays while kept (as it does when the
    row goes through): a row failing for another reason names only that reason, found
    by its external ID or by its name."""
    kept = ContactFactory(account=personas.account, name="Wang", external_id="C-1")
    Contact.objects.filter(pk=kept.pk).update(phone="见名片")
    for key_column, key in (("External ID", "C-1"), ("Name", "Wang")):
        rows = [
            ["Account", key_column, "Phone", column],
            [personas.account.name, key, "见名片", cell],
        ]
        result = run("contacts", csv_file(rows), personas.alice, dry_run=True)
        assert [(c, m) for c, _v, m, _e in problems(result, 2)] == [(column, said)], key_column
    # A new person's number is checked, whatever else is wrong.
    rows = [["Account", "Name", "Phone", column], [personas.account.name, "Li", "见名片", cell]]
    result = run("contacts", csv_file(rows), personas.alice, dry_run=True)
    assert {c for c, _v, _m, _e in problems(result, 2)} == {column, "Phone"}


def test_a_text_too_long_says_the_longest_the_column_takes(personas):
    rows = [["Account", "Name", "Title"], [personas.account.name, "Wang", "T" * 300]]
    result = run("contacts", csv_file(rows), personas.alice, dry_run=True)
    ((column, _value, message, expected),) = problems(result, 2)
    assert column == "Title" and "at most 100 characters" in message
    assert expected == "text of at most 100 characters"


def test_a_formula_cell_is_an_error_of_its_row(personas):
    rows = [["Name", "Industry", "Employees"], ["Sum Co", "Finance", "=SUM(1,2)"]]
    result = run("accounts", xlsx({"rows": rows}), personas.alice)
    [(column, value, message, expected)] = problems(result, 2)
    assert (column, value) == ("Employees", "=SUM(1,2)")
    assert "formula" in message and "Paste Special" in expected


def test_a_rep_cannot_update_another_teams_account_through_an_import(personas):
    account = personas.account  # alice's
    account.external_id = "ERP-ALICE"
    account.save()
    before = (account.name, account.version, account.history.count())
    rows = [["External ID", "Name", "Industry"], ["ERP-ALICE", "Taken Over Co", "Finance"]]
    result = run("accounts", csv_file(rows), personas.charlie)
    assert statuses(result) == [(2, "error")]
    assert problems(result, 2) == [
        (
            "External ID",
            "ERP-ALICE",
            "No account you can see has this external ID.",
            "the external ID of one of your accounts, or a new one",
        )
    ]
    account.refresh_from_db()
    assert (account.name, account.version, account.history.count()) == before


def test_a_rep_cannot_give_an_account_to_someone_else(personas):
    rows = [["Name", "Industry", "Owner"], ["Gift Co", "Finance", "bob"]]
    result = run("accounts", csv_file(rows), personas.alice)
    [(column, value, message, _expected)] = problems(result, 2)
    assert (column, value) == ("Owner", "bob")
    assert "only give accounts to yourself" in message


def test_a_name_like_an_account_you_cannot_see_is_a_possible_duplicate_until_confirmed(
    personas,
):
    rows = [["Name", "Industry"], ["Alice's Customer Co", "Finance"]]
    result = run("accounts", csv_file(rows), personas.charlie)
    assert statuses(result) == [(2, "duplicate")]
    [(column, _value, message, expected)] = problems(result, 2)
    assert column == "Name"
    assert "already exists that you cannot see" in message
    assert "tick the box to import the possible duplicates anyway" in expected
    assert Account.objects.filter(name="Alice's Customer Co").count() == 1

    confirmed = run("accounts", csv_file(rows), personas.charlie, confirm_duplicates=True)
    assert statuses(confirmed) == [(2, "create")]
    assert Account.objects.filter(name="Alice's Customer Co").count() == 2


def test_a_name_like_an_account_in_the_recycle_bin_names_it_for_whoever_may_restore_it(
    personas,
):
    """As the account form: the deleted account made again is named, in the bin, and
    the row goes in once confirmed; bob (who may not restore it) is not told of it."""
    from accounts.services import account_delete

    account_delete(account=personas.account, by=personas.alice)
    rows = [["Name", "Industry"], ["Alice's Customer Co., Ltd.", "Finance"]]
    result = run("accounts", csv_file(rows), personas.alice)
    assert statuses(result) == [(2, "duplicate")]
    [(column, _value, message, _expected)] = problems(result, 2)
    assert column == "Name"
    assert "in the recycle bin" in message
    assert "Alice's Customer Co" in message
    assert statuses(run("accounts", csv_file(rows), personas.bob, dry_run=True)) == [(2, "create")]
    confirmed = run("accounts", csv_file(rows), personas.alice, confirm_duplicates=True)
    assert statuses(confirmed) == [(2, "create")]


def test_a_contact_like_one_in_the_recycle_bin_names_it_for_whoever_may_restore_it(personas):
    """As the contact form: the deleted contact added again is named, in the bin, and
    the row goes in once confirmed; bob (who may not restore it) is told to ask."""
    from accounts.services import contact_delete
    from accounts.tests.factories import ContactFactory

    gone = ContactFactory(account=personas.account, name="周敏", phone="13900139000", email="")
    contact_delete(contact=gone, by=personas.alice)
    rows = [["Account", "Name", "Phone"], [personas.account.name, "Zhou", "139 0013 9000"]]
    result = run("contacts", csv_file(rows), personas.alice, dry_run=True)
    assert statuses(result) == [(2, "duplicate")]
    [(_column, _value, message, _expected)] = problems(result, 2)
    assert "in the recycle bin" in message and "周敏" in message
    asked = run("contacts", csv_file(rows), personas.bob, dry_run=True)
    assert statuses(asked) == [(2, "duplicate")]
    [(_column, _value, message, _expected)] = problems(asked, 2)
    assert "Ask whoever deleted it or a manager to restore it" in message and "周敏" in message
    confirmed = run("contacts", csv_file(rows), personas.alice, confirm_duplicates=True)
    assert statuses(confirmed) == [(2, "create")]


def test_a_record_like_one_an_earlier_row_adds_names_that_row_not_a_record_to_open(personas):
    """Nothing to open yet: the earlier row is named, and one already saved still is."""
    account = personas.account.name
    contacts = [
        ["Account", "Name", "Phone"],
        [account, "Wang", "13800138000"],
        [account, "Wang Wei", "+86 138 0013 8000"],
    ]
    accounts = [["Name", "Industry"], ["Acme Robotics", "Finance"], ["ACME Robotics Ltd.", "科技"]]

    people = run("contacts", csv_file(contacts), personas.alice, dry_run=True)
    companies = run("accounts", csv_file(accounts), personas.alice, dry_run=True)
    again = run(
        "accounts",
        csv_file([accounts[0], ["Alice's Customer Co., Ltd.", "Finance"]]),
        personas.alice,
        dry_run=True,
    )

    assert statuses(people) == [(2, "create"), (3, "duplicate")]
    assert problems(people, 3)[0][2] == (
        "Row 2 of this file adds a record like this one (Wang): if they are the same, take "
        "one of the two rows out."
    )
    assert problems(companies, 3)[0][2].startswith("Row 2 of this file adds a record like")
    assert "Open it to check" in problems(again, 2)[0][2]  # one already saved


def test_an_unmapped_column_is_left_out_and_a_mapping_without_a_key_is_refused(personas):
    from keyaccounts.exceptions import ApplicationError

    rows = [["Name", "Colour"], ["Left Co", "red"]]
    with pytest.raises(ApplicationError, match="Map a column to one of"):
        run("accounts", csv_file(rows), personas.alice, mapping=[None, None])
    with pytest.raises(ApplicationError, match="Columns A, B of the file are all mapped"):
        run("accounts", csv_file(rows), personas.alice, mapping=["name", "name"])


# --- contacts -------------------------------------------------------------------------


def test_contacts_come_in_with_buying_role_coach_attitude_and_a_boss_later_in_the_file(
    personas,
):
    account = personas.account
    rows = [
        ["客户", "姓名", "职务", "采购角色", "内线（内部支持者）", "对我方态度", "直属上级",
         "电话"],
        [account.name, "李工", "工程师", "使用者", "否", "中立", "张总", "13800138001"],
        [account.name, "张总", "总经理", "决策者", "是", "坚定支持", None, "13800138002"],
    ]  # fmt: skip
    result = run("contacts", csv_file(rows, encoding="gb18030"), personas.alice)
    assert statuses(result) == [(2, "create"), (3, "create")]
    boss = Contact.objects.get(account=account, name="张总")
    engineer = Contact.objects.get(account=account, name="李工")
    assert (boss.buying_role, boss.is_coach, boss.attitude) == ("decider", True, "champion")
    assert (engineer.buying_role, engineer.is_coach, engineer.attitude) == (
        "user",
        False,
        "neutral",
    )
    assert engineer.reports_to == boss
    assert engineer.phone == "13800138001"

    before = snapshot(Contact)
    again = run("contacts", csv_file(rows, encoding="utf-8-sig"), personas.alice)
    assert statuses(again) == [(2, "unchanged"), (3, "unchanged")]
    assert snapshot(Contact) == before


def test_a_boss_later_in_the_file_is_found_by_the_external_id_an_export_names_them_by(
    personas,
):
    rows = [
        ["Account", "External ID", "Name", "Reports to"],
        [personas.account.name, "HR-1", "A Report", "HR-9"],
        [personas.account.name, "HR-9", "Z Boss", None],
    ]
    result = run("contacts", csv_file(rows), personas.alice)
    assert statuses(result) == [(2, "create"), (3, "create")]
    assert Contact.objects.get(external_id="HR-1").reports_to.external_id == "HR-9"


def test_a_contact_whose_account_is_neither_in_the_file_nor_in_the_database_is_an_error(
    personas,
):
    rows = [["Account", "Name"], ["Nowhere Ltd", "Ghost"], [personas.account.name, "Real"]]
    result = run("contacts", csv_file(rows), personas.alice)
    assert statuses(result) == [(2, "error"), (3, "create")]
    assert problems(result, 2) == [
        (
            "Account",
            "Nowhere Ltd",
            "No account you can see has the external ID, credit code or name “Nowhere Ltd”.",
            "one of your accounts: import the accounts first, or correct the name",
        )
    ]
    assert not Contact.objects.filter(name__in=["Ghost", "Real"]).exists()


def test_contacts_under_a_merged_account_cell_each_belong_to_that_account(personas):
    account = personas.account
    content = xlsx(
        {
            "rows": [["Account", "Name"], [account.name, "Wang"], [None, "Li"], [None, "Zhao"]],
            "merge": ["A2:A4"],
        }
    )
    result = run("contacts", content, personas.alice)
    assert statuses(result) == [(2, "create"), (3, "create"), (4, "create")]
    assert sorted(Contact.objects.filter(account=account).values_list("name", flat=True)) == [
        "Li",
        "Wang",
        "Zhao",
    ]
    assert any("A2:A4" in notice for notice in result.notices)


def test_a_reporting_loop_in_the_file_is_an_error(personas):
    name = personas.account.name
    rows = [["Account", "Name", "Reports to"], [name, "A", "B"], [name, "B", "A"]]
    result = run("contacts", csv_file(rows), personas.alice)
    assert "error" in {status for _row, status in statuses(result)}
    assert not Contact.objects.filter(name__in=["A", "B"]).exists()


# --- account team members -------------------------------------------------------------


def test_team_members_are_added_then_unchanged_then_their_role_updated(personas):
    name = personas.account.name
    rows = [["客户", "用户", "角色"], [name, "carol", "售前顾问"]]
    result = run("team", csv_file(rows), personas.alice)
    assert statuses(result) == [(2, "create")]
    member = AccountTeamMember.objects.get(account=personas.account, user=personas.carol)
    assert member.role == "presales"
    history = member.history.count()
    assert statuses(run("team", csv_file(rows), personas.alice)) == [(2, "unchanged")]
    assert member.history.count() == history
    rows[1][2] = "Project manager"
    assert statuses(run("team", csv_file(rows), personas.alice)) == [(2, "update")]
    member.refresh_from_db()
    assert member.role == "project_manager"


def test_only_the_owner_or_a_manager_changes_the_team(personas):
    rows = [["Account", "User", "Role"], [personas.account.name, "carol", "Presales consultant"]]
    result = run("team", csv_file(rows), personas.bob)  # on the team, not the owner
    assert statuses(result) == [(2, "error")]
    assert "Only the owner or a manager" in problems(result, 2)[0][2]


# --- opportunities ----------------------------------------------------------------------


def test_deals_come_in_at_their_stage_with_their_amount_and_a_reimport_changes_nothing(
    personas,
):
    name = personas.account.name
    rows = [
        ["客户", "名称", "金额", "币种", "预计成交日期", "阶段", "外部编号"],
        [name, "Line upgrade", "1,250,000.50", "CNY", "2026-06-30", "需求分析", "D-1"],
        [name, "Spare parts", 80000, "JPY", datetime.date(2026, 9, 1), "Qualify", None],
    ]  # fmt: skip
    result = run("opportunities", xlsx({"rows": rows}), personas.alice)
    assert statuses(result) == [(2, "create"), (3, "error")]
    # Yen is no currency of ours: the whole file waits for the fix.
    assert problems(result, 3)[0][:2] == ("币种", "JPY")
    assert not Opportunity.objects.filter(external_id="D-1").exists()
    rows[2][3] = "人民币（CNY）"  # the Chinese label, full-width brackets and all
    result = run("opportunities", xlsx({"rows": rows}), personas.alice)
    assert statuses(result) == [(2, "create"), (3, "create")]
    deal = Opportunity.objects.get(external_id="D-1")
    assert deal.amount == Decimal("1250000.50")
    assert deal.stage.key == "needs_analysis"
    assert deal.probability == 25  # the stage's default
    assert deal.expected_close_date == datetime.date(2026, 6, 30)
    assert Opportunity.objects.get(name="Spare parts").stage.key == "qualify"

    before = snapshot(Opportunity)
    again = run("opportunities", xlsx({"rows": rows}), personas.alice)
    assert statuses(again) == [(2, "unchanged"), (3, "unchanged")]
    assert snapshot(Opportunity) == before


def test_a_probability_the_import_leaves_out_is_not_named_beside_another_problem(personas):
    """Not set by hand, a deal's probability follows its stage and the cell is left out:
    when another cell cannot be read, the row's problems do not name it (it would never
    be saved); set by hand, it is checked."""
    name = personas.account.name
    rows = [
        ["Account", "Name", "Currency", "Probability (%)", "Probability set by hand"],
        [name, "Left out", "JPY", "150", "No"],
        [name, "By hand", "JPY", "150", "Yes"],
    ]
    result = run("opportunities", csv_file(rows), personas.alice)
    assert [column for column, *_rest in problems(result, 2)] == ["Currency"]
    assert [column for column, *_rest in problems(result, 3)] == ["Currency", "Probability (%)"]


def test_a_deal_cannot_skip_the_exit_criteria_of_its_stage(personas):
    name = personas.account.name
    rows = [["Account", "Name", "Amount", "Expected close date", "Stage"],
            [name, "Big one", 100, "2026-06-30", "Qualify"]]  # fmt: skip
    run("opportunities", csv_file(rows), personas.alice)
    rows[1][4] = "Negotiation"
    result = run("opportunities", csv_file(rows), personas.alice)
    [(column, value, message, _expected)] = problems(result, 2)
    assert (column, value) == ("Stage", "Negotiation")
    assert message.startswith("Tick the outcomes that prove the stage is done first")
    assert Opportunity.objects.get(name="Big one").stage == Stage.objects.get(key="qualify")


# --- visits ----------------------------------------------------------------------------


def test_recorded_and_planned_visits_come_in_and_a_reimport_changes_nothing(personas):
    account = personas.account
    ContactFactory(account=account, name="Wang")
    ContactFactory(account=account, name="Li")
    past = timezone.localdate() - datetime.timedelta(days=3)
    future = timezone.localdate() + datetime.timedelta(days=5)
    rows = [
        ["Account", "Took place", "Planned for", "Customer contacts met", "Method", "Purpose"],
        [account.name, f"{past} 10:30", None, "Wang; Li", "当面拜访", "Demo"],
        [account.name, None, f"{future} 14:00", None, "Phone", "Follow the quote"],
    ]
    result = run("visits", csv_file(rows), personas.alice)
    assert statuses(result) == [(2, "create"), (3, "create")]
    recorded = Visit.objects.get(purpose="Demo")
    assert recorded.status == "done"
    assert timezone.localtime(recorded.occurred_at).replace(tzinfo=None) == datetime.datetime(
        past.year, past.month, past.day, 10, 30
    )
    assert sorted(recorded.contacts.values_list("name", flat=True)) == ["Li", "Wang"]
    assert recorded.method == "in_person"
    assert recorded.follow_up_due == past + datetime.timedelta(days=7)
    planned = Visit.objects.get(purpose="Follow the quote")
    assert (planned.status, planned.method, planned.owner) == ("planned", "phone", personas.alice)

    before = snapshot(Visit)
    again = run("visits", csv_file(rows), personas.alice)
    assert statuses(again) == [(2, "unchanged"), (3, "unchanged")]
    assert snapshot(Visit) == before


def test_a_recorded_visit_in_the_future_is_an_error(personas):
    future = timezone.localdate() + datetime.timedelta(days=2)
    rows = [["Account", "Took place", "Status"], [personas.account.name, str(future), "Done"]]
    result = run("visits", csv_file(rows), personas.alice)
    [(column, _value, message, _expected)] = problems(result, 2)
    assert column == "Took place"
    assert message.startswith("A recorded visit cannot be in the future")


def test_a_visit_refused_by_a_rule_also_names_its_cells_own_problems(personas):
    """The service's rule (a recorded visit in the future) stops the check before the
    visit's fields are checked: the duration over its limit is said beside it."""
    future = timezone.localdate() + datetime.timedelta(days=2)
    rows = [
        ["Account", "Took place", "Status", "Duration (minutes)"],
        [personas.account.name, str(future), "Done", "100000"],
    ]
    result = run("visits", csv_file(rows), personas.alice)
    found = problems(result, 2)
    assert [column for column, *_rest in found] == ["Took place", "Duration (minutes)"]
    assert found[0][2].startswith("A recorded visit cannot be in the future")
    assert found[1][2] == "A visit lasts a week at most: 10080 minutes."


# --- monthly sales --------------------------------------------------------------------


def test_monthly_sales_come_in_for_managers_and_a_reimport_changes_nothing(personas):
    assert not KINDS["monthly_sales"].allowed(personas.alice)
    assert KINDS["monthly_sales"].allowed(personas.manager)
    name = personas.account.name
    rows = [
        ["客户", "月份", "销售额", "应收账款"],
        [name, "2025-03", "128,000.00", 35000],
        [name, datetime.date(2025, 4, 1), 99000.5, None],
    ]
    result = run("monthly_sales", xlsx({"rows": rows}), personas.manager)
    assert statuses(result) == [(2, "create"), (3, "create")]
    stored = {
        (row.month, row.sales, row.receivables)
        for row in MonthlySales.objects.filter(account=personas.account)
    }
    assert stored == {
        (datetime.date(2025, 3, 1), Decimal("128000.00"), Decimal("35000.00")),
        (datetime.date(2025, 4, 1), Decimal("99000.50"), Decimal("0.00")),
    }
    again = run("monthly_sales", xlsx({"rows": rows}), personas.manager)
    assert statuses(again) == [(2, "unchanged"), (3, "unchanged")]
    rows[1][2] = "130000"
    rows[2][2] = "not money"
    failed = run("monthly_sales", xlsx({"rows": rows}), personas.manager)
    assert statuses(failed) == [(2, "update"), (3, "error")]
    assert MonthlySales.objects.get(account=personas.account, month="2025-03-01").sales == Decimal(
        "128000.00"
    )


def test_a_rep_opens_deals_in_their_own_name_and_a_manager_in_a_team_members(personas):
    name = personas.account.name
    rows = [["Account", "Name", "Amount", "Expected close date", "Owner"],
            [name, "Bob's own", 10, "2026-06-30", "bob"],
            [name, "For alice", 10, "2026-06-30", "alice"]]  # fmt: skip
    result = run("opportunities", csv_file(rows), personas.bob)  # a rep on the account team
    assert statuses(result) == [(2, "create"), (3, "error")]
    [(column, value, message, _expected)] = problems(result, 3)
    assert (column, value) == ("Owner", "alice")
    assert message.startswith("Only a manager can name someone else here")
    managed = run("opportunities", csv_file(rows), personas.manager)
    assert statuses(managed) == [(2, "create"), (3, "create")]
    assert Opportunity.objects.get(name="For alice").owner == personas.alice


def test_a_deal_found_by_its_name_keeps_the_external_id_it_has(personas):
    """As for accounts and contacts: a row naming another system's key for a deal found
    by its name is an error, never a silent change of that key."""
    name = personas.account.name
    rows = [["Account", "Name", "Amount", "Expected close date", "External ID"],
            [name, "Keyed deal", 10, "2026-06-30", "CRM-1"]]  # fmt: skip
    assert statuses(run("opportunities", csv_file(rows), personas.alice)) == [(2, "create")]
    rows[1][4] = "CRM-2"
    result = run("opportunities", csv_file(rows), personas.alice)
    assert problems(result, 2) == [
        (
            "External ID",
            "CRM-2",
            "The deal “Keyed deal” at this account has the external ID “CRM-1”.",
            "its external ID, or an empty cell",
        )
    ]
    assert Opportunity.objects.get(name="Keyed deal").external_id == "CRM-1"


def test_each_import_type_is_its_apps_registered_in_the_order_of_the_apps():
    from django.apps import apps

    owners = {key: type(kind).__module__.split(".")[0] for key, kind in KINDS.items()}
    assert owners == {
        "accounts": "accounts",
        "contacts": "accounts",
        "team": "accounts",
        "opportunities": "opportunities",
        "visits": "visits",
        "monthly_sales": "scoring",
        "complaints": "visits",
        "reviews": "visits",
        "review_follow_ups": "visits",
        "plans": "scoring",
        "plan_actions": "scoring",
        "receivables": "scoring",
    }
    order = [config.name for config in apps.get_app_configs()]
    modules = [type(kind).__module__.rsplit(".", 1)[0] for kind in KINDS.values()]
    positions = [order.index(module) for module in modules]
    assert positions == sorted(positions)


# The column kinds the engine reads itself (engine.Import.parse); any other names a record
# of a type an app above defines, read through the lookup that app registers.
ENGINE_KINDS = {
    "text",
    "contact",
    "integer",
    "decimal",
    "boolean",
    "date",
    "datetime",
    "month",
    "choice",
    "user",
    "users",
    "account",
    "contacts",
}


def test_every_column_naming_a_record_of_an_app_above_has_its_lookup_registered():
    from keyaccounts.imports import references

    others = {
        (key, column.key, column.kind)
        for key, kind in KINDS.items()
        for column in kind.columns()
        if column.kind not in ENGINE_KINDS
    }
    assert ("opportunities", "stage", "stage") in others
    assert [other for other in others if not references.registered(other[2])] == []
    with pytest.raises(ValueError, match="no lookup is registered for the column kind 'nope'"):
        references.lookup("nope")


def test_a_stage_is_found_by_its_key_or_either_name_and_a_wrong_one_says_what_is_accepted(db):
    from keyaccounts.imports import references
    from keyaccounts.imports.values import CellError
    from opportunities.models import Stage

    stage = Stage.objects.order_by("order").first()
    stages = references.lookup("stage")
    assert stages.find(stage.key) == stage
    assert stages.find(stage.name.upper()) == stage
    if stage.name_zh:
        assert stages.find(stage.name_zh) == stage
        assert f"{stage.name} / {stage.name_zh}" in stages.accepted()
    with pytest.raises(CellError) as refused:
        stages.find("no such stage")
    assert "is not a sales stage" in str(refused.value.message)
    assert stage.name in str(refused.value.expected)


def test_columns_mapped_to_one_field_are_named_by_their_letters():
    from keyaccounts.imports.engine import mapping_problems

    problems = mapping_problems(KINDS["accounts"], ["name", "industry", "name", None, "name"])
    assert problems == ["Columns A, C, E of the file are all mapped to “Name”: map one of them."]


def test_an_owner_a_rep_may_not_name_says_whom_they_may(personas):
    rows = [["Name", "Industry", "Owner"], ["Given Away Co", "Finance", "carol"]]
    result = run("accounts", csv_file(rows), personas.alice, dry_run=True)
    [(column, value, message, expected)] = problems(result, 2)
    assert (column, value) == ("Owner", "carol")
    assert message.startswith("You can only give accounts to yourself")
    assert expected == "your own username, or (managers) a member of the teams you manage"


@pytest.mark.parametrize(
    "kind, header, row",
    [
        (
            "plans",
            ["Account", "Period", "Period starts", "Sales target (CNY)"],
            ["year", "2031-01-01", "100"],
        ),
        (
            "plan_actions",
            ["Account", "Plan period", "What", "Due"],
            ["2026 H2", "Plant visit", "2026-10-15"],
        ),
        ("complaints", ["Account", "Subject", "Received"], ["Late delivery", "2026-11-02 09:00"]),
        ("reviews", ["Account", "Scheduled for"], ["2031-05-20 10:00"]),
        (
            "receivables",
            ["Account", "Invoice number", "Issued on", "Amount"],
            ["INV-9", "2026-11-02", "100"],
        ),
    ],
)
def test_a_new_record_of_the_other_kinds_named_twice_is_an_error_on_the_second_row(
    personas, kind, header, row
):
    """As for contacts, visits and deals: a record the file creates, found again by a
    later row's natural key, is refused on that row (a plan action's second row was an
    update of a record not written yet, and the confirmed import failed whole)."""
    from scoring.plans import services as plans

    plans.plan_create(
        by=personas.alice,
        account=personas.account,
        period_kind="half",
        period_start=datetime.date(2026, 7, 1),
        sales_target=Decimal("1"),
    )
    who = personas.manager if kind == "receivables" else personas.alice
    rows = [header, [personas.account.name, *row], [personas.account.name, *row]]
    result = run(kind, csv_file(rows), who)
    assert statuses(result) == [(2, "create"), (3, "error")], [r.problems for r in result.rows]
    [(_column, _value, message, _expected)] = problems(result, 3)
    if kind == "reviews":  # one review a period: said so before the record is looked for
        assert "already has a review for 2031" in message
    else:
        assert message == "Row 2 already imports this record."
