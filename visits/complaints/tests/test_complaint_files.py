"""Complaints out as a file and back in: the export's columns are the import's; an
export goes back in unchanged; a new file creates complaints with their deadlines;
Chinese labels; a closed historical complaint; the rules of the team."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import translation

from accounts.tests.factories import ContactFactory
from keyaccounts.tests.imports_files import csv_file
from visits.complaints.models import Complaint, ComplaintStatus

from .helpers import at, record

pytestmark = pytest.mark.django_db
CALENDAR = dict(TIME_ZONE="Asia/Shanghai", WORKDAY_HOLIDAYS=[], WORKDAY_EXTRA_WORKDAYS=[])


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):
        yield


def import_records(*args) -> tuple[str, int]:
    out = StringIO()
    try:
        call_command("import_records", *args, stdout=out)
    except CommandError as exc:
        return out.getvalue() + str(exc), exc.returncode
    return out.getvalue(), 0


def export(path, fmt="csv", user="alice", language="en") -> bytes:
    call_command(
        "export_records", "complaints", "--as", user, "--format", fmt, "--output", str(path),
        "--language", language,
    )  # fmt: skip
    return path.read_bytes()


@override_settings(**CALENDAR)
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_goes_back_in_unchanged(personas, tmp_path, fmt):
    ContactFactory(account=personas.account, name="Zhang Wei")
    record(personas, subject="Late parts", external_id="C-1")
    done = record(personas, subject="Wrong invoice", received_at=at(2026, 11, 20))
    from visits.complaints import services

    services.complaint_resolve(by=personas.alice, complaint=done, resolution="Credit note")
    record(personas, by=personas.charlie, account=personas.charlies_account, subject="Hidden")
    data = export(tmp_path / f"c.{fmt}", fmt)
    assert b"Hidden" not in data  # the visibility rule
    out, status = import_records("complaints", str(tmp_path / f"c.{fmt}"), "--as", "alice")
    assert status == 0, out
    assert "2 rows: 2 unchanged" in out


@override_settings(**CALENDAR)
def test_a_complaint_received_to_the_microsecond_is_found_by_its_time_again(personas, tmp_path):
    """The app's clock and the API keep microseconds; the export writes the second. Its
    row, without an external ID, is still that complaint: unchanged, not a second one,
    whatever its status (an answered one is no new complaint in a status it cannot
    come in)."""
    from visits.complaints import services

    received = at(2026, 11, 20, 14, 50).replace(second=55, microsecond=998406)
    complaint = record(personas, subject="Production stopped", received_at=received)
    services.complaint_respond(by=personas.alice, complaint=complaint, response="On our way")
    export(tmp_path / "c.csv")
    out, status = import_records("complaints", str(tmp_path / "c.csv"), "--as", "alice")
    assert status == 0, out
    assert "1 row: 1 unchanged" in out
    assert Complaint.objects.count() == 1
    complaint.refresh_from_db()
    assert complaint.received_at == received
    assert complaint.version == 2  # created, answered: the import wrote nothing


@override_settings(**CALENDAR)
def test_a_file_in_chinese_creates_complaints_with_their_deadlines(personas, tmp_path):
    ContactFactory(account=personas.account, name="王建国")
    path = tmp_path / "complaints.csv"
    path.write_bytes(
        csv_file(
            [
                ["客户名称", "投诉主题", "严重程度", "投诉渠道", "投诉时间", "投诉人", "负责人"],
                [
                    personas.account.name,
                    "交货延迟",
                    "高",
                    "WeChat",
                    "2026-11-27 10:00",
                    "王建国",
                    "bob",
                ],
            ]
        )
    )
    out, status = import_records("complaints", str(path), "--as", "alice")
    assert status == 0, out
    complaint = Complaint.objects.get(subject="交货延迟")
    assert (complaint.severity, complaint.channel) == ("high", "wechat")
    assert complaint.contact.name == "王建国" and complaint.assignee == personas.bob
    assert complaint.recorded_by == personas.alice
    assert complaint.respond_by > complaint.received_at and complaint.status == "open"
    assert complaint.history.count() == 1  # a "created" entry


def test_the_rules_hold_in_a_file(personas, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(
        csv_file(
            [
                ["Account", "Subject", "Assignee", "Status", "Received"],
                [personas.account.name, "Not on the team", "carol", "", "2026-11-27 10:00"],
                [personas.account.name, "Closed, no word", "", "closed", "2026-11-26 10:00"],
                [personas.charlies_account.name, "Hidden account", "", "", "2026-11-25 10:00"],
            ]
        )
    )
    out, status = import_records("complaints", str(path), "--as", "alice")
    assert status == 1, out
    assert "not on the account team" in out
    assert "closed" in out.lower() and "resolution" in out.lower()
    assert not Complaint.objects.exists()


def test_a_complaint_handled_before_comes_in_closed(personas, tmp_path):
    path = tmp_path / "old.csv"
    path.write_bytes(
        csv_file(
            [
                ["Account", "Subject", "Status", "Received", "Resolution", "Confirmation"],
                [
                    personas.account.name,
                    "Old complaint",
                    "closed",
                    "2025-05-05 09:00",
                    "Replaced the unit",
                    "Plant manager, by phone",
                ],
            ]  # fmt: skip
        )
    )
    out, status = import_records("complaints", str(path), "--as", "alice")
    assert status == 0, out
    complaint = Complaint.objects.get()
    assert complaint.status == ComplaintStatus.CLOSED and complaint.confirmed_at is not None
