"""What an import writes, now that it checks every row first and writes them all at the
end, set-based (keyaccounts.imports.writing): the same records, versions, change
numbers, history entries, access rows, rescore requests and announcements as the
services would have written row by row — and a file that changes nothing writes
nothing. Also: the queries of an import do not grow with its rows, and a record that
changes between the check and the write is checked again, never overwritten.

Expected values are counted by hand from the rows of each file."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from accounts.access import access_differences, access_refresh_for_accounts
from accounts.models import Account, AccountAccess, AccountTeamMember, Contact
from accounts.tests.factories import AccountFactory, ContactFactory
from keyaccounts.bulk import stamp_change_seqs
from keyaccounts.events import record_changed
from keyaccounts.history.timeline import record_timeline
from keyaccounts.models import ChangeCounter
from keyaccounts.tests.imports_files import csv_file, import_file
from scoring.models import RescoreRequest
from visits.models import Visit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):
        yield


def run(kind: str, content: bytes, by, **options):
    return import_file(kind, content, by, **options)


def statuses(result) -> list[str]:
    return [row.status for row in result.rows]


def counter() -> int:
    return ChangeCounter.objects.values_list("value", flat=True).first() or 0


def changes_of(entry) -> dict:
    return {change.field: (change.old, change.new) for change in entry.changes}


# --- versions, change numbers, history ----------------------------------------------------


def test_each_written_record_takes_one_change_number_in_the_order_of_the_rows(personas):
    unchanged = AccountFactory(name="Same Co", industry="finance", region="", owner=personas.alice)
    unchanged_seq = unchanged.change_seq
    personas.account.region = "East"
    personas.account.save()
    before = counter()
    rows = [
        ["Name", "Industry", "Region"],
        ["First Co", "Finance", "North"],
        [personas.account.name, personas.account.industry, "West"],  # an update
        ["Same Co", "Finance", None],  # what is stored: nothing to write
        ["Third Co", "Energy", "South"],
    ]
    result = run("accounts", csv_file(rows), personas.alice)
    assert statuses(result) == ["create", "update", "unchanged", "create"]

    first, third = (Account.objects.get(name=n).change_seq for n in ("First Co", "Third Co"))
    second = Account.objects.get(pk=personas.account.pk).change_seq
    assert before < first < second < third <= counter()  # each its own, in row order
    assert Account.objects.get(pk=unchanged.pk).change_seq == unchanged_seq
    versions = {a.name: a.version for a in Account.objects.all()}
    assert (versions["First Co"], versions["Third Co"], versions["Same Co"]) == (1, 1, 1)
    assert versions[personas.account.name] == 3  # factory 1, the save above 2, the import 3


def test_created_and_changed_records_are_in_their_history_as_imported_by_the_user(personas):
    rows = [["External ID", "Name", "Industry", "Region"], ["H-1", "History Co", "Energy", "North"]]
    run("accounts", csv_file(rows), personas.alice)
    rows[1][3] = "South"
    run("accounts", csv_file(rows), personas.alice)

    account = Account.objects.get(external_id="H-1")
    changed, created = record_timeline(account)
    assert (created.action, created.user, created.origin) == ("created", personas.alice, "import")
    assert (changed.action, changed.user, changed.origin) == ("changed", personas.alice, "import")
    assert changes_of(changed) == {"region": ("North", "South")}
    assert [entry.version for entry in account.history.order_by("history_id")] == [1, 2]


def test_a_record_inserted_in_bulk_gets_its_created_entry_before_the_import_changes_it(
    personas,
):
    created = timezone.now() - datetime.timedelta(days=30)
    [account] = Account.objects.bulk_create(
        stamp_change_seqs(
            [Account(name="Seeded Co", industry="energy", region="华东", owner=personas.alice)]
        )
    )
    Account.objects.filter(pk=account.pk).update(created_at=created)
    access_refresh_for_accounts([account.pk])  # as the seed does at its end
    assert not Account.history.filter(id=account.pk).exists()

    run("accounts", csv_file([["Name", "Region"], ["Seeded Co", "华南"]]), personas.alice)

    changed, baseline = record_timeline(Account.objects.get(pk=account.pk))
    assert (baseline.action, baseline.user, baseline.origin) == ("created", None, "system")
    assert baseline.when == created
    assert (changed.user, changed.origin) == (personas.alice, "import")
    assert changes_of(changed) == {"region": ("华东", "华南")}


def test_a_contact_reporting_to_a_boss_of_the_same_file_is_linked_in_its_history(personas):
    name = personas.account.name
    rows = [
        ["Account", "Name", "Reports to"],
        [name, "Engineer", "Boss"],
        [name, "Boss", None],
    ]
    result = run("contacts", csv_file(rows), personas.alice)
    boss = Contact.objects.get(name="Boss")
    engineer = Contact.objects.get(name="Engineer")
    assert [row.url for row in result.rows] == [
        engineer.get_absolute_url(),
        boss.get_absolute_url(),
    ]
    assert engineer.reports_to == boss
    assert engineer.change_seq > boss.change_seq  # the boss was written first
    assert engineer.history.get().reports_to_id == boss.pk


def test_a_reporting_loop_through_a_contact_the_file_creates_is_refused(personas):
    """Y (stored) reports to X (stored); the file creates B reporting to Y and makes X
    report to B: X → B → Y → X. Nothing is written."""
    x = ContactFactory(account=personas.account, name="X")
    ContactFactory(account=personas.account, name="Y", reports_to=x)
    name = personas.account.name
    rows = [["Account", "Name", "Reports to"], [name, "X", "B"], [name, "B", "Y"]]
    result = run("contacts", csv_file(rows), personas.alice)
    assert statuses(result) == ["error", "create"]
    problem = result.rows[0].problems[0]
    assert (problem.column, problem.message) == (
        "Reports to",
        "This would make a loop in the reporting line.",
    )
    assert not Contact.objects.filter(name="B").exists()
    assert Contact.objects.get(pk=x.pk).reports_to is None


def test_two_new_contacts_with_one_phone_number_are_a_possible_duplicate(personas):
    name = personas.account.name
    rows = [
        ["Account", "Name", "Phone"],
        [name, "Wang Wei", "+86 138-0013-8000"],
        [name, "W. Wei", "13800138000"],
    ]
    result = run("contacts", csv_file(rows), personas.alice)
    assert statuses(result) == ["create", "duplicate"]
    # Like the contact the row before adds (nothing saved yet to open): that row named.
    assert result.rows[1].problems[0].message == (
        "Row 2 of this file adds a record like this one (Wang Wei): if they are the same, "
        "take one of the two rows out."
    )
    # Said on the column that matched, with its value: the phone, not the name.
    problem = result.rows[1].problems[0]
    assert (problem.column, problem.value) == ("Phone", "13800138000")
    assert not Contact.objects.filter(name__in=["Wang Wei", "W. Wei"]).exists()


def test_a_visit_is_written_with_the_people_met_in_its_created_entry(personas):
    account = personas.account
    wang = ContactFactory(account=account, name="Wang")
    past = timezone.localdate() - datetime.timedelta(days=2)
    rows = [
        ["Account", "Took place", "Customer contacts met", "Our attendees", "Purpose"],
        [account.name, f"{past} 10:00", "Wang", "bob", "Demo"],
    ]
    run("visits", csv_file(rows), personas.alice)
    visit = Visit.objects.get(purpose="Demo")
    assert list(visit.contacts.all()) == [wang]
    assert list(visit.attendees.all()) == [personas.bob]
    entry = visit.history.get()
    assert (entry.history_type, entry.origin, entry.history_user) == ("+", "import", personas.alice)
    assert [c.contact_id for c in entry.contacts.all()] == [wang.pk]

    rows[1][3] = "bob; carol"  # only the people change: a new version all the same
    assert statuses(run("visits", csv_file(rows), personas.alice)) == ["update"]
    visit = Visit.objects.get(pk=visit.pk)
    assert visit.version == 2
    assert set(visit.attendees.all()) == {personas.bob, personas.carol}
    assert {a.user_id for a in visit.history.latest("history_id").attendees.all()} == {
        personas.bob.pk,
        personas.carol.pk,
    }
    assert statuses(run("visits", csv_file(rows), personas.alice)) == ["unchanged"]
    assert Visit.objects.get(pk=visit.pk).version == 2


# --- what the services' signals did ---------------------------------------------------------


def test_imported_accounts_are_visible_to_their_owner_and_their_managers(personas):
    rows = [["Name", "Industry", "Owner"], ["Bobs New Co", "Finance", "bob"]]
    result = run("accounts", csv_file(rows), personas.manager)
    assert statuses(result) == ["create"]
    account = Account.objects.get(name="Bobs New Co")
    assert set(AccountAccess.objects.filter(account=account).values_list("user", flat=True)) == {
        personas.bob.pk,
        personas.manager.pk,
    }
    # Handed to alice by a second file: bob no longer sees it, alice does.
    run("accounts", csv_file([["Name", "Owner"], ["Bobs New Co", "alice"]]), personas.manager)
    assert set(AccountAccess.objects.filter(account=account).values_list("user", flat=True)) == {
        personas.alice.pk,
        personas.manager.pk,
    }
    assert access_differences() == ([], [])


def test_a_team_member_imported_sees_the_account(personas):
    rows = [["Account", "User", "Role"], [personas.account.name, "carol", "Presales consultant"]]
    result = run("team", csv_file(rows), personas.alice)
    assert statuses(result) == ["create"]
    assert result.rows[0].url == personas.account.get_absolute_url()
    assert AccountAccess.objects.filter(account=personas.account, user=personas.carol).exists()
    member = AccountTeamMember.objects.get(account=personas.account, user=personas.carol)
    entry = member.history.get()
    assert (entry.history_type, entry.origin, entry.history_user) == ("+", "import", personas.alice)
    assert access_differences() == ([], [])


def test_the_accounts_of_imported_records_are_marked_for_rescoring(personas):
    other = AccountFactory(name="Quiet Co", owner=personas.alice)
    RescoreRequest.objects.all().delete()
    rows = [["Account", "Name"], [personas.account.name, "Li"]]
    run("contacts", csv_file(rows), personas.alice)
    assert set(RescoreRequest.objects.values_list("account_id", flat=True)) == {personas.account.pk}
    assert other.pk not in set(RescoreRequest.objects.values_list("account_id", flat=True))


def test_every_written_record_is_announced_once_and_an_unchanged_one_not_at_all(personas):
    AccountFactory(name="Same Co", industry="finance", owner=personas.alice)
    heard = []

    def listener(sender, records, event, **kwargs):
        heard.extend((sender.__name__, record.name, event, record.pk) for record in records)

    record_changed.connect(listener, dispatch_uid="test-imports-heard")
    try:
        rows = [["Name", "Industry"], ["New Co", "Energy"], ["Same Co", "Finance"]]
        run("accounts", csv_file(rows), personas.alice)
        run("accounts", csv_file([["Name", "Region"], ["New Co", "North"]]), personas.alice)
    finally:
        record_changed.disconnect(dispatch_uid="test-imports-heard")
    new = Account.objects.get(name="New Co")
    assert heard == [
        ("Account", "New Co", "created", new.pk),
        ("Account", "New Co", "updated", new.pk),
    ]


def test_a_dry_run_writes_nothing_at_all(personas):
    before = (counter(), Account.history.count(), AccountAccess.objects.count())
    RescoreRequest.objects.all().delete()
    rows = [["Name", "Industry"], ["Dry Co", "Energy"], [personas.account.name, "Finance"]]
    result = run("accounts", csv_file(rows), personas.alice, dry_run=True)
    assert statuses(result) == ["create", "update"]
    assert (counter(), Account.history.count(), AccountAccess.objects.count()) == before
    assert not Account.objects.filter(name="Dry Co").exists()
    assert not RescoreRequest.objects.exists()


# --- cost and concurrency -------------------------------------------------------------------


def account_rows(count: int) -> bytes:
    rows = [["External ID", "Name", "Industry", "Owner", "Region"]]
    rows += [[f"Q-{n}", f"Query Co {n}", "Energy", "bob", "North"] for n in range(count)]
    return csv_file(rows)


@pytest.mark.parametrize("dry_run", [True, False], ids=["check", "import"])
def test_the_queries_of_an_import_do_not_grow_with_its_rows(personas, dry_run):
    """4 rows and 16 cost the same queries. (Past about 20 rows SQLite takes a second
    INSERT statement, for its limit of parameters; PostgreSQL gets every row by COPY.)"""

    def queries(count: int) -> int:
        content = account_rows(count)
        with CaptureQueriesContext(connection) as captured:
            result = run("accounts", content, personas.manager, dry_run=dry_run)
        assert result.counts["create" if count else "update"] == count
        Account.objects.filter(external_id__startswith="Q-").delete()
        return len(captured)

    assert queries(16) == queries(4)


def test_a_record_changed_while_the_file_is_checked_is_checked_again(personas):
    """Someone saves the account the file updates after the check read it and before
    the write: the write notices (a newer change number), the file is checked again
    against the new values, and neither change is lost."""
    account = personas.account
    rows = [["Name", "Region"], [account.name, "Imported region"]]
    calls = []

    def progress(done, total):
        calls.append(done)
        if len(calls) == 1:  # the first check has read the account
            other = Account.objects.get(pk=account.pk)
            other.notes = "saved meanwhile"
            other.save()

    result = run("accounts", csv_file(rows), personas.alice, progress=progress)
    assert statuses(result) == ["update"]
    account = Account.objects.get(pk=account.pk)
    assert (account.region, account.notes) == ("Imported region", "saved meanwhile")
    assert account.version == 3
    assert len(calls) >= 2  # checked twice (then the final report)


# --- deals, set-based like the rest -----------------------------------------------------------


def deal_rows(account_name: str, *rows) -> bytes:
    header = ["Account", "External ID", "Name", "Amount", "Expected close date", "Stage"]
    return csv_file([header, *([account_name, *row] for row in rows)])


def test_a_deal_is_written_with_its_stage_change_history_and_rescore_request(personas):
    from opportunities.models import CriterionCheck, Opportunity, Stage, StageChange

    account = personas.account
    RescoreRequest.objects.all().delete()
    before = counter()
    content = deal_rows(account.name, ["D-7", "Line 7", 500, "2026-06-30", "Qualify"])
    assert statuses(run("opportunities", content, personas.alice)) == ["create"]

    deal = Opportunity.objects.get(external_id="D-7")
    qualify = Stage.objects.get(key="qualify")
    assert (deal.stage, deal.probability, deal.owner, deal.version) == (
        qualify, 10, personas.alice, 1
    )  # fmt: skip
    assert before < deal.change_seq <= counter()
    [opened] = StageChange.objects.filter(opportunity=deal)
    assert (opened.from_stage, opened.to_stage, opened.changed_by) == (
        None,
        qualify,
        personas.alice,
    )
    entry = deal.history.get()
    assert (entry.history_type, entry.origin, entry.history_user) == ("+", "import", personas.alice)
    assert set(RescoreRequest.objects.values_list("account_id", flat=True)) == {account.pk}

    # Every exit criterion of Qualify ticked: the next file moves the deal on.
    for criterion in qualify.criteria.all():
        CriterionCheck.objects.create(opportunity=deal, criterion=criterion)
    moved = deal_rows(account.name, ["D-7", "Line 7", 500, "2026-06-30", "Needs analysis"])
    assert statuses(run("opportunities", moved, personas.alice)) == ["update"]
    deal = Opportunity.objects.get(pk=deal.pk)
    assert (deal.stage.key, deal.probability, deal.version) == ("needs_analysis", 25, 2)
    last = StageChange.objects.filter(opportunity=deal).order_by("-pk").first()
    assert (last.from_stage, last.to_stage.key, last.changed_by) == (
        qualify, "needs_analysis", personas.alice
    )  # fmt: skip
    changed = deal.history.latest("history_id")
    assert (changed.history_type, changed.origin) == ("~", "import")

    # The same file again: nothing written, no stage change, no version.
    seq = deal.change_seq
    assert statuses(run("opportunities", moved, personas.alice)) == ["unchanged"]
    deal = Opportunity.objects.get(pk=deal.pk)
    assert (deal.version, deal.change_seq) == (2, seq)
    assert StageChange.objects.filter(opportunity=deal).count() == 2


def test_a_deal_the_file_names_twice_is_an_error_on_the_second_row(personas):
    from opportunities.models import Opportunity

    content = deal_rows(
        personas.account.name,
        [None, "Twice", 10, "2026-06-30", "Qualify"],
        [None, "Twice", 20, "2026-06-30", "Qualify"],
    )
    result = run("opportunities", content, personas.alice)
    assert statuses(result) == ["create", "error"]
    assert result.rows[1].problems[0].message == "Row 2 already imports this record."
    assert not Opportunity.objects.filter(name="Twice").exists()


@pytest.mark.parametrize("dry_run", [True, False], ids=["check", "import"])
def test_the_queries_of_a_deals_import_do_not_grow_with_its_rows(personas, dry_run):
    """Deals too are checked in memory and written at once: 4 rows and 16 cost the
    same queries (they went row by row through the services before)."""
    from opportunities.models import Opportunity

    def queries(count: int) -> int:
        rows = [[f"QD-{n}", f"Query deal {n}", 10, "2026-06-30", "Qualify"] for n in range(count)]
        content = deal_rows(personas.account.name, *rows)
        with CaptureQueriesContext(connection) as captured:
            result = run("opportunities", content, personas.alice, dry_run=dry_run)
        assert result.counts["create"] == count
        Opportunity.all_objects.filter(external_id__startswith="QD-").delete()
        return len(captured)

    assert queries(16) == queries(4)


def test_a_deal_changed_while_the_file_is_checked_is_checked_again(personas):
    """As for accounts: a deal saved by someone else between the check and the write is
    noticed, the file checked again against it, and both changes kept."""
    import decimal

    from opportunities.models import Opportunity, Stage

    deal = Opportunity.objects.create(
        account=personas.account, name="Moving", owner=personas.alice, amount=10,
        expected_close_date=datetime.date(2026, 6, 30), probability=10,
        stage=Stage.objects.get(key="qualify"),
    )  # fmt: skip
    calls = []

    def progress(done, total):
        calls.append(done)
        if len(calls) == 1:  # the first check has read the deal
            other = Opportunity.objects.get(pk=deal.pk)
            other.description = "saved meanwhile"
            other.save()

    content = deal_rows(personas.account.name, [None, "Moving", 99, "2026-06-30", "Qualify"])
    result = run("opportunities", content, personas.alice, progress=progress)
    assert statuses(result) == ["update"]
    deal = Opportunity.objects.get(pk=deal.pk)
    assert (deal.amount, deal.description) == (decimal.Decimal("99.00"), "saved meanwhile")
    assert deal.version == 3
    assert len(calls) >= 2
