"""Group customers (集团客户) in spreadsheets: the export's parent columns (a parent the
user cannot see left blank), the import's `parent` column (resolved like any account
column, a row above may create it, a cycle is the row's problem), and the no-op rule."""

import re

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from accounts.models import Account
from accounts.tests.factories import AccountFactory
from keyaccounts.tests.imports_files import csv_file

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):
        yield


def import_records(*args) -> tuple[str, int]:
    from io import StringIO

    out = StringIO()
    try:
        call_command("import_records", *args, stdout=out)
    except CommandError as exc:
        return out.getvalue() + str(exc), exc.returncode
    return out.getvalue(), 0


def export_rows(tmp_path, user="alice") -> list[dict]:
    path = tmp_path / "accounts.csv"
    call_command(
        "export_records", "accounts", "--as", user, "--format", "csv", "--output", str(path)
    )
    lines = path.read_bytes().decode("utf-8-sig").splitlines()
    import csv

    return list(csv.DictReader(lines)), path


@pytest.fixture
def groups(personas):
    top = personas.account
    top.external_id = "TOP-1"
    top.save()
    sub = AccountFactory(owner=personas.alice, parent=top, name="Alice Sub Co")
    under_hidden = AccountFactory(
        owner=personas.alice, parent=personas.charlies_account, name="Under West Co"
    )
    return top, sub, under_hidden


def test_the_export_names_a_parent_only_when_the_user_sees_it(personas, groups, tmp_path):
    top, sub, under_hidden = groups
    rows, _path = export_rows(tmp_path)
    by_name = {row["Name"]: row for row in rows}
    assert by_name[sub.name]["Parent company"] == top.name
    assert by_name[sub.name]["Parent company's external ID"] == "TOP-1"
    assert by_name[under_hidden.name]["Parent company"] == ""
    assert "Charlie" not in _path.read_bytes().decode("utf-8-sig")


def test_the_export_goes_back_in_unchanged(personas, groups, tmp_path):
    _rows, path = export_rows(tmp_path)
    out, status = import_records("accounts", str(path), "--as", "alice")
    assert status == 0, out
    assert re.search(r"^(\d+) rows: \1 unchanged \(imported\)$", out, re.MULTILINE), out
    _top, _sub, under_hidden = groups
    under_hidden.refresh_from_db()
    assert under_hidden.parent_id == personas.charlies_account.pk  # kept, not cleared


def test_an_import_builds_a_group_in_any_row_order(personas, tmp_path):
    path = tmp_path / "group.csv"
    path.write_bytes(
        csv_file(
            [
                ["客户名称", "行业", "上级客户"],
                ["华东子公司", "Manufacturing", "华东集团"],
                ["华东孙公司", "Manufacturing", "华东子公司"],
                ["华东集团", "Manufacturing", ""],
            ]
        )
    )
    out, status = import_records("accounts", str(path), "--as", "alice")
    assert status == 0, out
    group = Account.objects.get(name="华东集团")
    child = Account.objects.get(name="华东子公司")
    assert child.parent == group
    assert Account.objects.get(name="华东孙公司").parent == child
    out, status = import_records("accounts", str(path), "--as", "alice")
    assert re.search(r"^3 rows: 3 unchanged \(imported\)$", out, re.MULTILINE), out


def test_an_import_refuses_a_cycle_and_a_hidden_parent_as_row_problems(personas, groups, tmp_path):
    top, sub, _under_hidden = groups
    path = tmp_path / "cycle.csv"
    path.write_bytes(
        csv_file(
            [
                ["Name", "Parent company"],
                [top.name, sub.name],
                [sub.name, "Charlie's Customer Co"],
            ]
        )
    )
    out, status = import_records("accounts", str(path), "--as", "alice")
    assert status == 1, out
    assert "cannot belong to its own subsidiary" in out
    assert "No account you can see" in out
    top.refresh_from_db()
    assert top.parent_id is None
