"""`manage.py export_records`: a list as a user sees it, to standard output or a file,
with the list page's filters; clear refusals for what it cannot do."""

import codecs
import csv
import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import AccountStatus
from accounts.tests.factories import AccountFactory, ContactFactory
from scoring.tests.test_dashboard import set_grade

pytestmark = pytest.mark.django_db


def run(*args) -> bytes:
    """The command's standard output, as the bytes a shell redirect would get."""
    stdout = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    call_command("export_records", *args, stdout=stdout, stderr=io.StringIO())
    stdout.flush()
    return stdout.buffer.getvalue()


def csv_records(content: bytes) -> list[dict]:
    assert content.startswith(codecs.BOM_UTF8)
    header, *rows = csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""))
    return [dict(zip(header, row, strict=True)) for row in rows]


@pytest.fixture
def book(personas):
    AccountFactory(owner=personas.alice, name="Active One", status=AccountStatus.ACTIVE)
    AccountFactory(owner=personas.bob, name="Active Two", status=AccountStatus.ACTIVE)
    AccountFactory(owner=personas.alice, name="Dormant One", status=AccountStatus.DORMANT)


def test_csv_goes_to_standard_output(personas, book):
    rows = csv_records(run("accounts", "--as", "manager", "--format", "csv"))
    assert [row["Name"] for row in rows] == [
        "Active One",
        "Active Two",
        "Alice's Customer Co",
        "Dormant One",
    ]
    assert rows[0]["Owner"] == "alice"


def test_xlsx_goes_to_a_file(personas, book, tmp_path):
    target = tmp_path / "accounts.xlsx"
    assert run("accounts", "--as", "alice", "--output", str(target)) == b""  # xlsx: the default
    sheet = load_workbook(target).worksheets[0]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0][:3] == ["Grade", "Name", "Score"]
    assert sorted(row[1] for row in values[1:]) == [
        "Active One",
        "Alice's Customer Co",
        "Dormant One",
    ]
    assert [p.name for p in tmp_path.iterdir()] == ["accounts.xlsx"]  # no leftovers


def test_xlsx_to_standard_output_is_a_workbook(personas, book):
    content = run("contacts", "--as", "alice", "--format", "xlsx")
    assert content.startswith(b"PK\x03\x04")
    assert load_workbook(io.BytesIO(content)).worksheets[0]["A1"].value == "Account"


def test_filters_are_the_list_pages(personas, book):
    rows = csv_records(
        run(
            "accounts",
            "--as", "manager",
            "--format", "csv",
            "--filter", "status=active",
            "--filter", "ordering=-name",
        )
    )  # fmt: skip
    assert [row["Name"] for row in rows] == ["Active Two", "Active One"]


def test_a_filter_given_twice_takes_both_values(personas, book):
    set_grade(personas.account, "A", personas.manager)
    graded_b = AccountFactory(owner=personas.alice, name="Graded B")
    set_grade(graded_b, "B", personas.manager)
    rows = csv_records(
        run(
            "accounts",
            "--as",
            "alice",
            "--format",
            "csv",
            "--filter",
            "grade=A",
            "--filter",
            "grade=B",
        )
    )
    assert sorted((row["Grade"], row["Name"]) for row in rows) == [
        ("A", "Alice's Customer Co"),
        ("B", "Graded B"),
    ]


def test_the_command_writes_what_the_browser_downloads(personas, login, book):
    ContactFactory(account=personas.account, name="Zhao")
    for kind, params in (
        ("accounts", {"status": "active"}),
        ("contacts", {"status": "active"}),
        ("contacts", {}),
        ("notifications", {}),
    ):
        args = [f"{name}={value}" for name, value in params.items()]
        command = run(
            kind, "--as", "manager", "--format", "csv", *sum((["--filter", a] for a in args), [])
        )
        response = login(personas.manager).get(
            reverse("exports:export", args=[kind]), {"format": "csv", **params}
        )
        assert command == b"".join(response.streaming_content)


def test_the_user_sees_only_their_own(personas, book):
    rows = csv_records(run("accounts", "--as", "charlie", "--format", "csv"))
    assert [row["Name"] for row in rows] == ["Charlie's Customer Co"]


def test_headers_in_chinese_on_request(personas, book):
    rows = csv_records(run("accounts", "--as", "alice", "--format", "csv", "--language", "zh-hans"))
    assert list(rows[0])[:4] == ["等级", "名称", "得分", "行业"]
    assert sorted((row["名称"], row["状态"]) for row in rows) == [
        ("Active One", "合作中"),
        ("Alice's Customer Co", "潜在客户"),
        ("Dormant One", "休眠"),
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["passwords", "--as", "alice"], "Unknown type 'passwords'"),
        (["accounts", "--as", "nobody"], "There is no user 'nobody'"),
        (["accounts", "--as", "alice", "--filter", "colour=red"], "Unknown filter “colour”"),
        (["accounts", "--as", "alice", "--filter", "close_month=2025-13"], "close_month="),
        (["accounts", "--as", "alice", "--filter", "status"], "--filter takes key=value"),
        (["notifications", "--as", "alice", "--filter", "q=x"], "Unknown filter “q”"),
        (["contacts", "--as", "alice", "--filter", "is_coach=perhaps"], "is_coach="),
    ],
)
def test_what_it_cannot_do_stops_it_with_a_message(personas, args, message, tmp_path):
    target = tmp_path / "out.csv"
    with pytest.raises(CommandError, match=message):
        call_command("export_records", *args, "--output", str(target), stdout=io.StringIO())
    assert not target.exists()


def test_an_inactive_user_is_refused(personas):
    personas.carol.is_active = False
    personas.carol.save()
    with pytest.raises(CommandError, match="inactive"):
        call_command("export_records", "accounts", "--as", "carol", stdout=io.StringIO())
