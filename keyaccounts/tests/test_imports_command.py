"""`manage.py import_records`: the report it prints, its exit status, and the round trip
with `export_records` (an export goes back in unchanged, and into an empty database
gives the same file again)."""

import datetime
import re

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone, translation

from accounts.models import Account, Contact
from accounts.tests.factories import AccountFactory, ContactFactory
from keyaccounts.imports.models import ImportJob, ImportStatus
from keyaccounts.imports.services import import_job_start, import_job_upload
from keyaccounts.tests.imports_files import csv_file, png, read_xlsx, xlsx
from opportunities.models import Opportunity, Stage
from visits.services import visit_save

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_english():
    """The messages these tests read are the English ones, whatever an earlier test left
    active."""
    with translation.override("en"):
        yield


def import_records(*args) -> tuple[str, int]:
    """(what the command printed, its exit status)."""
    from io import StringIO

    out = StringIO()
    try:
        call_command("import_records", *args, stdout=out)
    except CommandError as exc:
        return out.getvalue() + str(exc), exc.returncode
    return out.getvalue(), 0


def test_a_dry_run_reports_every_row_and_saves_nothing(personas, tmp_path):
    path = tmp_path / "accounts.csv"
    path.write_bytes(csv_file([["Name", "Industry", "Colour"], ["Dry Co", "Finance", "red"]]))
    out, status = import_records("accounts", str(path), "--as", "alice", "--dry-run")
    assert status == 0
    assert "column 'Colour': (left out)" in out
    assert "row 2: create  Dry Co" in out
    assert "1 row: 1 create (dry run: nothing saved)" in out
    assert not Account.objects.filter(name="Dry Co").exists()


def test_an_import_saves_and_says_so(personas, tmp_path):
    path = tmp_path / "accounts.xlsx"
    path.write_bytes(xlsx({"rows": [["客户名称", "行业"], ["湿润有限公司", "金融"]]}))
    out, status = import_records("accounts", str(path), "--as", "alice")
    assert status == 0
    assert "1 row: 1 create (imported)" in out
    account = Account.objects.get(name="湿润有限公司")
    assert (account.industry, account.owner) == ("finance", personas.alice)
    again, status = import_records("accounts", str(path), "--as", "alice")
    assert (status, "row 2: unchanged  湿润有限公司" in again) == (0, True)


def test_rejected_rows_are_listed_and_the_exit_status_is_1(personas, tmp_path):
    path = tmp_path / "accounts.csv"
    path.write_bytes(
        csv_file(
            [
                ["Name", "Industry", "Owner"],
                ["Fine Co", "Finance", None],
                ["Bad Co", "Finance", "zz"],
            ]
        )
    )
    out, status = import_records("accounts", str(path), "--as", "alice")
    assert status == 1
    assert "row 3: error" in out
    assert "Owner: Nobody of your sales teams has the username, email address or name “zz”." in out
    assert "1 of 2 rows rejected (listed above): nothing was imported." in out
    assert not Account.objects.filter(name__in=["Fine Co", "Bad Co"]).exists()


def test_a_file_that_is_not_a_spreadsheet_stops_with_status_2(personas, tmp_path):
    path = tmp_path / "photo.xlsx"
    path.write_bytes(png())
    out, status = import_records("accounts", str(path), "--as", "alice")
    assert status == 2
    assert "This file is a PNG file, not a spreadsheet." in out


def test_a_column_can_be_mapped_by_hand(personas, tmp_path):
    path = tmp_path / "accounts.csv"
    path.write_bytes(csv_file([["Firma", "Branche"], ["Mapped Co", "Energy"]]))
    out, status = import_records(
        "accounts", str(path), "--as", "alice", "--map", "Firma=name", "--map", "Branche=industry"
    )
    assert status == 0, out
    assert Account.objects.get(name="Mapped Co").industry == "energy"


def test_a_second_import_of_the_same_type_is_refused_while_one_runs(personas, tmp_path):
    running = import_job_upload(
        by=personas.bob, kind="accounts", filename="a.csv", content=csv_file([["Name"], ["X"]])
    )
    import_job_start(job=running, by=personas.bob, dry_run=True, enqueue=False)
    path = tmp_path / "accounts.csv"
    path.write_bytes(csv_file([["Name", "Industry"], ["Second Co", "Finance"]]))
    out, status = import_records("accounts", str(path), "--as", "alice")
    assert status == 2
    assert f"An import of accounts is running, started by {personas.bob}" in out
    assert not Account.objects.filter(name="Second Co").exists()
    # Another type is not held up.
    contacts = tmp_path / "contacts.csv"
    contacts.write_bytes(csv_file([["Account", "Name"], [personas.account.name, "Free"]]))
    assert import_records("contacts", str(contacts), "--as", "alice")[1] == 0


def test_a_job_that_stopped_without_a_word_does_not_block_forever(personas, tmp_path):
    from keyaccounts.imports.services import progress_clear

    stuck = import_job_upload(
        by=personas.bob, kind="accounts", filename="a.csv", content=csv_file([["Name"], ["X"]])
    )
    import_job_start(job=stuck, by=personas.bob, dry_run=False, enqueue=False)
    ImportJob.objects.filter(pk=stuck.pk).update(
        status=ImportStatus.RUNNING, started_at=timezone.now() - datetime.timedelta(hours=1)
    )
    progress_clear(stuck.pk)  # its worker died: no sign of life
    path = tmp_path / "accounts.csv"
    path.write_bytes(csv_file([["Name", "Industry"], ["After Co", "Finance"]]))
    out, status = import_records("accounts", str(path), "--as", "alice")
    assert status == 0, out
    stuck.refresh_from_db()
    assert stuck.status == ImportStatus.FAILED


# --- the round trip with export_records -------------------------------------------------


@pytest.fixture
def records(personas):
    """Alice's book: accounts with their keys, a buying center with a reporting line, a
    deal and a recorded visit."""
    acme = AccountFactory(
        name="Acme Robotics",
        owner=personas.alice,
        external_id="ERP-100",
        credit_code="91310000MA1FL8XQ24",
        status="active",
        employees=300,
        annual_revenue="1234.50",
        growth_potential="high",
    )
    boss = ContactFactory(account=acme, name="Zhang", buying_role="decider", is_coach=True)
    ContactFactory(
        account=acme, name="Li", buying_role="user", reports_to=boss, phone="138 0013 8000"
    )
    ContactFactory(account=personas.account, name="Wu", attitude="skeptic")
    Opportunity.objects.create(
        account=acme,
        name="Cell line",
        owner=personas.alice,
        amount="250000.00",
        expected_close_date=datetime.date(2026, 6, 30),
        stage=Stage.objects.get(key="needs_analysis"),
        probability=35,
        probability_is_custom=True,
        external_id="D-7",
    )
    visit_save(
        by=personas.alice,
        account=acme,
        contacts=[boss],
        status="done",
        occurred_at=timezone.now().replace(second=0, microsecond=0) - datetime.timedelta(days=2),
        purpose="Demo",
        method="in_person",
        customer_attitude="supporter",
        external_id="V-1",
    )
    return personas


def export(kind: str, fmt: str, path, language: str = "en") -> bytes:
    call_command(
        "export_records",
        kind,
        "--as",
        "alice",
        "--format",
        fmt,
        "--output",
        str(path),
        "--language",
        language,
    )
    return path.read_bytes()


def rows_of(content: bytes, fmt: str) -> list[list]:
    if fmt == "xlsx":
        return next(iter(read_xlsx(content).values()))
    return [line.split(",") for line in content.decode("utf-8-sig").splitlines()]


TYPES = ["accounts", "contacts", "deals", "visits"]


@pytest.mark.parametrize(("fmt", "language"), [("xlsx", "zh-hans"), ("csv", "en")])
def test_an_export_goes_back_in_unchanged(records, tmp_path, fmt, language):
    for kind in TYPES:
        path = tmp_path / f"{kind}.{fmt}"
        export(kind, fmt, path, language)
        out, status = import_records(kind, str(path), "--as", "alice")
        assert status == 0, out
        # "N rows: N unchanged (imported)": every row found its record, none changed.
        assert re.search(r"^(\d+) rows?: \1 unchanged \(imported\)$", out, re.MULTILINE), out


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_an_export_imported_into_an_empty_database_exports_the_same_rows(records, tmp_path, fmt):
    first = {kind: rows_of(export(kind, fmt, tmp_path / f"1-{kind}.{fmt}"), fmt) for kind in TYPES}
    ours = Account.all_objects.filter(owner=records.alice)
    assert Contact.all_objects.filter(account__in=ours).exists()
    ours.delete()  # for good: contacts, deals and visits go with their accounts
    assert not Account.all_objects.filter(owner=records.alice).exists()
    for kind in TYPES:
        out, status = import_records(kind, str(tmp_path / f"1-{kind}.{fmt}"), "--as", "alice")
        assert status == 0, out
    second = {kind: rows_of(export(kind, fmt, tmp_path / f"2-{kind}.{fmt}"), fmt) for kind in TYPES}
    for kind in TYPES:
        assert second[kind] == first[kind], kind


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_a_filtered_export_imported_into_an_empty_database_exports_the_same_rows(
    records, tmp_path, fmt
):
    """A filtered list (the active customers: Acme, not Alice's Customer Co) goes out,
    into an empty database, and out again with the same filter: the same rows."""
    # The account list's filters (the visits' own `status` is the visit's: a search there).
    filters = {"accounts": "status=active", "contacts": "status=active", "visits": "q=Acme"}
    kinds = list(filters)

    def export_active(kind: str, path) -> list[list]:
        call_command(
            "export_records", kind, "--as", "alice", "--format", fmt, "--output", str(path),
            "--filter", filters[kind],
        )  # fmt: skip
        return rows_of(path.read_bytes(), fmt)

    first = {kind: export_active(kind, tmp_path / f"1-{kind}.{fmt}") for kind in kinds}
    cells = {str(cell) for row in first["contacts"] for cell in row}
    assert {"Zhang", "Li"} <= cells and "Wu" not in cells  # Wu: the other account's
    assert len(first["accounts"]) == 2  # the header and Acme
    Account.all_objects.filter(owner=records.alice).delete()
    for kind in kinds:
        out, status = import_records(kind, str(tmp_path / f"1-{kind}.{fmt}"), "--as", "alice")
        assert status == 0, out
    mine = Account.objects.filter(owner=records.alice).values_list("name", flat=True)
    assert list(mine) == ["Acme Robotics"]
    for kind in kinds:
        assert export_active(kind, tmp_path / f"2-{kind}.{fmt}") == first[kind], kind


def test_a_contact_of_another_team_named_by_its_external_id_is_not_found(personas, tmp_path):
    ContactFactory(account=personas.charlies_account, name="Theirs", external_id="C-THEIRS")
    path = tmp_path / "contacts.csv"
    path.write_bytes(
        csv_file([["Account", "External ID", "Name"], [personas.account.name, "C-THEIRS", "X"]])
    )
    out, status = import_records("contacts", str(path), "--as", "alice")
    assert status == 1
    assert (
        "External ID 'C-THEIRS': No contact you can see has this external ID. Expected: the "
        "external ID of a contact of your accounts, or a new one." in out
    )
    assert Contact.objects.get(external_id="C-THEIRS").name == "Theirs"
