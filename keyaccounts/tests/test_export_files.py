"""Exports prepared in the background: a list longer than EXPORT_DIRECT_ROWS is offered as
a file to prepare, a worker writes it as the user who asked (their rows, filters and
language), its owner alone sees and downloads it, and old files are purged.

Files are read back as a spreadsheet user would (the `csv` module, openpyxl) and held
against the direct download of the same list by the same user.
"""

import datetime
import io
import re
import time

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import AccountStatus
from accounts.selectors import account_list
from accounts.tests.factories import AccountFactory, ContactFactory
from keyaccounts.exports import services
from keyaccounts.exports.models import ExportFile, ExportFilePart, ExportStatus
from keyaccounts.exports.tasks import job_export_file

from .test_exports import body, csv_rows

pytestmark = pytest.mark.django_db

FILES = "/export/files/"


@pytest.fixture
def post(django_capture_on_commit_callbacks):
    """`post(client, url, data)`: a POST whose on-commit work runs as after a real commit
    (the test's own transaction never commits), so the task it queues runs (inline)."""

    def _post(client, url, data=None, **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data or {}, **extra)

    return _post


@pytest.fixture
def alices_accounts(personas):
    """Eleven more accounts of alice's, some active, with a contact each."""
    for i in range(11):
        status = AccountStatus.ACTIVE if i % 2 else AccountStatus.PROSPECT
        account = AccountFactory(owner=personas.alice, name=f"Row {i:02d}", status=status)
        ContactFactory(account=account, name=f"联系人 {i}")
    return account_list(user=personas.alice).count()


def direct(client, kind, fmt, **params) -> bytes:
    response = client.get(reverse("exports:export", args=[kind]), {"format": fmt, **params})
    assert response.status_code == 200
    return body(response)


def sheet_values(content: bytes) -> list[list]:
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def ask(post, client, kind, fmt, query="", **extra):
    response = post(client, FILES, {"kind": kind, "format": fmt, "query": query}, **extra)
    assert response.status_code == 302 and response["Location"] == FILES
    return response


def download(client, file: ExportFile) -> bytes:
    response = client.get(reverse("exports:file_download", args=[file.pk]))
    assert response.status_code == 200
    assert response["Content-Length"] == str(file.size)
    return body(response)


def test_a_list_at_the_limit_downloads_at_once_and_a_longer_one_offers_a_file(
    personas, login, alices_accounts, settings
):
    client = login(personas.alice)
    settings.EXPORT_DIRECT_ROWS = alices_accounts
    response = client.get(reverse("exports:export", args=["accounts"]), {"format": "xlsx"})
    assert response.status_code == 200 and response.streaming  # the file itself

    settings.EXPORT_DIRECT_ROWS = alices_accounts - 1
    response = client.get(reverse("exports:export", args=["accounts"]), {"format": "xlsx"})
    assert response.status_code == 200 and not response.streaming
    assert f"more than {alices_accounts - 1} rows" in response.content.decode()

    active = account_list(user=personas.alice).filter(status=AccountStatus.ACTIVE).count()
    settings.EXPORT_DIRECT_ROWS = active - 1  # the filtered list is what counts
    url = reverse("exports:export", args=["accounts"])
    response = client.get(url, {"format": "xlsx", "status": "active", "page": "2"})
    assert response.status_code == 200 and not response.streaming
    page = response.content.decode()
    # The offer keeps the list's filters (not its page number) for the POST that asks.
    assert f'<form method="post" action="{FILES}">' in page
    assert '<input type="hidden" name="kind" value="accounts">' in page
    assert '<input type="hidden" name="format" value="xlsx">' in page
    assert '<input type="hidden" name="query" value="status=active">' in page
    assert not ExportFile.objects.exists()  # a GET asks for nothing

    # A filter the list cannot read is left out, as the page leaves it out: the file is
    # not named for it (it holds every row that filter would have narrowed).
    settings.EXPORT_DIRECT_ROWS = alices_accounts - 1
    response = client.get(
        url, {"format": "xlsx", "owner": "nobody-here", "industry": "aerospace", "nope": "1"}
    )
    page = response.content.decode()
    assert f"more than {alices_accounts - 1} rows" in page
    assert '<input type="hidden" name="query" value="">' in page
    assert "No filters: the whole list." in page


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_prepared_file_holds_what_the_download_holds(
    personas, login, alices_accounts, settings, post, fmt, monkeypatch
):
    client = login(personas.alice)
    query = "status=active"
    expected = direct(client, "accounts", fmt, status="active")
    monkeypatch.setattr(services, "PART_BYTES", 700)  # several parts, joined in order

    settings.EXPORT_DIRECT_ROWS = 1
    response = ask(post, client, "accounts", fmt, query)
    file = ExportFile.objects.get()
    assert (file.created_by, file.kind, file.format, file.query) == (
        personas.alice,
        "accounts",
        fmt,
        query,
    )
    assert file.status == ExportStatus.DONE
    assert (
        file.rows
        == AccountFactory._meta.model.objects.filter(
            owner=personas.alice, status=AccountStatus.ACTIVE
        ).count()
    )
    assert ExportFilePart.objects.filter(file=file).count() > 1
    content = download(client, file)
    assert len(content) == file.size
    if fmt == "csv":
        assert content == expected
        assert len(csv_rows_of(content)) == file.rows + 1
    else:
        assert sheet_values(content) == sheet_values(expected)
        assert len(sheet_values(content)) == file.rows + 1

    page = client.get(response["Location"]).content.decode()
    assert "is being prepared" in page  # the message after asking
    assert reverse("exports:file_download", args=[file.pk]) in page
    assert "status=active" in page  # the filters it was asked with


def csv_rows_of(content: bytes) -> list[list[str]]:
    class Response:
        streaming = True
        streaming_content = [content]

    return csv_rows(Response())


def test_the_file_is_in_the_language_it_was_asked_in(
    personas, login, alices_accounts, settings, post
):
    client = login(personas.alice)
    settings.EXPORT_DIRECT_ROWS = 1
    ask(post, client, "contacts", "csv", headers={"accept-language": "zh-hans"})
    file = ExportFile.objects.get()
    assert file.language == "zh-hans"
    rows = csv_rows_of(download(client, file))
    assert rows[0][:5] == ["客户", "客户名称", "姓名", "职务", "采购角色"]
    assert {row[2] for row in rows[1:]} >= {f"联系人 {i}" for i in range(11)}


def test_a_file_holds_only_what_its_owner_could_see(personas, login, settings, post):
    AccountFactory(owner=personas.carol, name="Carol Only Co")  # another team's account
    client = login(personas.alice)
    settings.EXPORT_DIRECT_ROWS = 0
    ask(post, client, "accounts", "csv")
    names = {row[1] for row in csv_rows_of(download(client, ExportFile.objects.get()))[1:]}
    assert "Carol Only Co" not in names
    assert names == set(account_list(user=personas.alice).values_list("name", flat=True))


def test_only_its_owner_sees_downloads_or_deletes_a_file(
    personas, login, alices_accounts, settings, post
):
    settings.EXPORT_DIRECT_ROWS = 1
    ask(post, login(personas.alice), "accounts", "csv")
    file = ExportFile.objects.get()
    for other in (personas.bob, personas.manager):  # a colleague, alice's own manager
        client = login(other)
        assert client.get(reverse("exports:file_download", args=[file.pk])).status_code == 404
        assert client.post(reverse("exports:file_delete", args=[file.pk])).status_code == 404
        assert (
            reverse("exports:file_download", args=[file.pk])
            not in client.get(FILES).content.decode()
        )
        assert client.get(reverse("exports:files_status")).json() == {"unfinished": []}
    assert ExportFile.objects.filter(pk=file.pk).exists()

    client = login(personas.alice)
    response = client.post(reverse("exports:file_delete", args=[file.pk]))
    assert response.status_code == 302
    assert not ExportFile.objects.exists() and not ExportFilePart.objects.exists()
    assert client.get(reverse("exports:file_download", args=[file.pk])).status_code == 404


def test_a_file_not_ready_is_no_download_and_the_page_says_so(personas, login, settings):
    client = login(personas.alice)
    settings.EXPORT_DIRECT_ROWS = 1
    # Asked for without its commit running: the task is not sent, the file stays queued.
    client.post(FILES, {"kind": "accounts", "format": "xlsx", "query": ""})
    file = ExportFile.objects.get()
    assert file.status == ExportStatus.QUEUED
    assert client.get(reverse("exports:file_download", args=[file.pk])).status_code == 404
    page = client.get(FILES).content.decode()
    assert "Waiting to start" in page
    assert f'data-unfinished="{file.pk}"' in page and "export_files.js" in page
    assert client.get(reverse("exports:files_status")).json() == {"unfinished": [file.pk]}


def test_a_user_has_at_most_three_files_in_hand(personas, login, settings, post):
    client = login(personas.alice)
    for _ in range(services.MAX_UNFINISHED):
        client.post(FILES, {"kind": "accounts", "format": "csv", "query": ""})  # not run
    response = client.post(FILES, {"kind": "accounts", "format": "csv", "query": ""}, follow=True)
    assert "You already have 3 files being prepared" in response.content.decode()
    assert ExportFile.objects.count() == services.MAX_UNFINISHED
    assert login(personas.bob).post(FILES, {"kind": "accounts", "format": "csv"}).status_code == 302
    assert ExportFile.objects.filter(created_by=personas.bob).count() == 1  # each their own


@pytest.mark.parametrize(
    "data, message",
    [
        ({"kind": "nothing", "format": "csv"}, "There is no such export."),
        ({"kind": "accounts", "format": "pdf"}, "Choose the format csv or xlsx."),
    ],
)
def test_an_unknown_type_or_format_asks_for_nothing(personas, login, data, message):
    response = login(personas.alice).post(FILES, data, follow=True)
    assert message in response.content.decode()
    assert not ExportFile.objects.exists()


def test_a_file_whose_owner_was_deactivated_is_not_prepared(personas, login, settings):
    client = login(personas.alice)
    client.post(FILES, {"kind": "accounts", "format": "csv"})
    personas.alice.is_active = False
    personas.alice.save()
    file = services.export_file_run(file_id=ExportFile.objects.get().pk)
    assert file.status == ExportStatus.FAILED
    assert file.message == "This export can no longer be prepared."
    assert not ExportFilePart.objects.exists()


def test_a_run_that_fails_keeps_no_part_and_says_so(personas, login, settings, monkeypatch):
    client = login(personas.alice)
    client.post(FILES, {"kind": "accounts", "format": "csv"})
    file = ExportFile.objects.get()

    def broken(export, listing, extension, target, *, user=None):
        target.write(b"half a file")
        raise ConnectionError("the database went away")

    monkeypatch.setattr(services, "write_file", broken)
    file = services.export_file_run(file_id=file.pk)
    assert file.status == ExportStatus.FAILED
    assert file.message == "The file could not be prepared. Ask for it again later."
    assert not ExportFilePart.objects.exists()
    assert "The file could not be prepared" in client.get(FILES).content.decode()


def test_a_message_delivered_again_prepares_the_file_again_from_the_start(
    personas, login, alices_accounts
):
    client = login(personas.alice)
    client.post(FILES, {"kind": "accounts", "format": "csv"})
    file = ExportFile.objects.get()
    # A worker died mid-run: the file is running, with parts of an old run.
    ExportFile.objects.filter(pk=file.pk).update(status=ExportStatus.RUNNING)
    for index in (0, 7):
        ExportFilePart.objects.create(file=file, index=index, content=b"stale")
    assert job_export_file.run(file.pk) == ExportStatus.DONE
    file.refresh_from_db()
    assert download(client, file) == direct(client, "accounts", "csv")
    # Once ready, a late copy of the message does nothing.
    parts = list(ExportFilePart.objects.values_list("pk", flat=True))
    assert job_export_file.run(file.pk) is None
    assert list(ExportFilePart.objects.values_list("pk", flat=True)) == parts


def test_the_purge_deletes_old_files_and_fails_those_whose_run_stopped(
    personas, login, settings, post
):
    client = login(personas.alice)
    settings.EXPORT_DIRECT_ROWS = 0
    settings.EXPORT_FILE_KEEP_HOURS = 24
    settings.CELERY_TASK_TIME_LIMIT = 30 * 60
    ask(post, client, "accounts", "csv")  # ready
    old = ExportFile.objects.get()
    now = timezone.now()
    hours = lambda n: now - datetime.timedelta(hours=n)  # noqa: E731

    def file(status, *, created, started=None):
        made = ExportFile.objects.create(
            created_by=personas.alice, kind="accounts", format="csv", status=status
        )
        ExportFile.objects.filter(pk=made.pk).update(created_at=created, started_at=started)
        ExportFilePart.objects.create(file=made, index=0, content=b"part")
        return made

    # Running past what a task may run (30 minutes): its worker killed it.
    killed = file(ExportStatus.RUNNING, created=hours(2), started=hours(1))
    # Waited long in the queue, running for ten minutes now: left to finish.
    running = file(
        ExportStatus.RUNNING, created=hours(7), started=now - datetime.timedelta(minutes=10)
    )
    lost = file(ExportStatus.QUEUED, created=hours(7))  # its message lost
    waiting = file(ExportStatus.QUEUED, created=hours(2))  # behind other jobs
    ExportFile.objects.filter(pk=old.pk).update(created_at=hours(25))

    assert services.export_files_purge(now=now) == 1
    assert not ExportFile.objects.filter(pk=old.pk).exists()
    assert not ExportFilePart.objects.filter(file_id=old.pk).exists()
    for stopped in (killed, lost):
        stopped.refresh_from_db()
        assert stopped.status == ExportStatus.FAILED
        assert stopped.message.startswith("The file was not ready in time.")
        assert not stopped.parts.exists()
    for left in (running, waiting):
        status = left.status
        left.refresh_from_db()
        assert left.status == status and left.parts.exists()


def test_a_run_given_up_while_it_ran_keeps_no_part(personas, login, alices_accounts, monkeypatch):
    client = login(personas.alice)
    client.post(FILES, {"kind": "accounts", "format": "csv"})
    file = ExportFile.objects.get()
    write = services.write_file

    def given_up_meanwhile(*args, **kwargs):
        rows = write(*args, **kwargs)
        ExportFile.objects.filter(pk=file.pk).update(status=ExportStatus.FAILED)  # the purge
        return rows

    monkeypatch.setattr(services, "write_file", given_up_meanwhile)
    assert services.export_file_run(file_id=file.pk).status == ExportStatus.FAILED
    assert not ExportFilePart.objects.exists()


def test_the_exports_page_is_in_chinese(personas, login, alices_accounts, settings, post):
    client = login(personas.alice)
    settings.EXPORT_DIRECT_ROWS = 1
    chinese = {"accept-language": "zh-hans"}
    offer = client.get(
        reverse("exports:export", args=["accounts"]), {"format": "csv"}, headers=chinese
    ).content.decode()
    assert "准备文件" in offer
    ask(post, client, "accounts", "csv", headers=chinese)
    page = client.get(FILES, headers=chinese).content.decode()
    assert "您的导出" in page and "下载" in page and "已就绪" in page
    assert re.search(r"<h1>您的导出</h1>", page)


@pytest.mark.django_db(transaction=True)
def test_a_worker_prepares_the_file_in_the_background(
    personas, settings, celery_worker_process, client
):
    AccountFactory(owner=personas.alice, name="Worker Export Co")
    client.force_login(personas.alice)
    settings.EXPORT_DIRECT_ROWS = 0
    response = client.post(FILES, {"kind": "accounts", "format": "xlsx", "query": ""})
    assert response.status_code == 302
    file = ExportFile.objects.get()
    deadline = time.monotonic() + 30
    while file.status != ExportStatus.DONE and time.monotonic() < deadline:
        time.sleep(0.2)
        file.refresh_from_db()
    assert file.status == ExportStatus.DONE, (file.status, file.message)
    names = [row[1] for row in sheet_values(download(client, file))[1:]]
    assert "Worker Export Co" in names


def test_the_exports_page_costs_the_same_queries_for_one_file_or_twelve(personas, login):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(personas.alice)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(FILES).status_code == 200
        return len(captured)

    ExportFile.objects.create(created_by=personas.alice, kind="accounts", format="csv")
    one = queries()
    for kind in ("contacts", "visits", "deals") * 4:
        ExportFile.objects.create(
            created_by=personas.alice, kind=kind, format="xlsx", status=ExportStatus.DONE
        )
    assert queries() == one
