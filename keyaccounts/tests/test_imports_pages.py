"""The import pages (/import/): upload, map, preview, confirm; the rejected rows and the
templates to download; a job is its uploader's alone; one import per type at a time.

Tasks run inline in the test suite (as without REDIS_URL), so a run has finished when
the request that started it answers."""

import csv
import io

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.models import Account
from keyaccounts.imports.models import ImportJob, ImportStatus
from keyaccounts.imports.services import import_job_start, import_job_upload
from keyaccounts.pytest_plugin import assert_not_found_for
from keyaccounts.tests.imports_files import csv_file, png, read_xlsx, xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_english():
    """The messages these tests read are the English ones, whatever an earlier test left
    active."""
    with translation.override("en"):
        yield


GOOD_AND_BAD = [
    ["Name", "Industry", "Owner", "Employees"],
    ["Sunrise Foods", "Retail", "alice", 40],
    ["Moonlight Steel", "Steelmaking", "alice", 900],
    ["Starlight Labs", "Healthcare", "alice", "lots"],
]


def upload(client, kind: str, content: bytes, name: str = "book.xlsx"):
    file = io.BytesIO(content)
    file.name = name
    return client.post(reverse("imports:upload", args=[kind]), {"file": file})


def job_of(response) -> ImportJob:
    assert response.status_code == 302, response.content.decode()[:2000]
    return ImportJob.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))


@pytest.fixture
def post(django_capture_on_commit_callbacks):
    """`post(client, url, data)`: a POST whose on-commit work runs as after a real commit
    (the test's own transaction never commits), so the import task it queues runs."""

    def _post(client, url, data=None):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data or {})

    return _post


def map_and_check(post, client, job: ImportJob, mapping: list | None = None, **extra):
    data = {f"column_{index}": key or "" for index, key in enumerate(mapping or job.mapping)}
    data.update(extra)
    return post(client, reverse("imports:map", args=[job.pk]), data)


def test_the_import_page_lists_the_types_each_user_may_import(login, personas):
    page = login(personas.alice).get(reverse("imports:index")).content.decode()
    for label in ["Accounts", "Contacts", "Account team members", "Deals", "Visits"]:
        assert label in page
    assert "Monthly sales and receivables" not in page
    assert (
        login(personas.alice).get(reverse("imports:upload", args=["monthly_sales"])).status_code
        == 404
    )
    manager_page = login(personas.manager).get(reverse("imports:index")).content.decode()
    assert "Monthly sales and receivables" in manager_page


def test_an_upload_leads_to_the_mapping_with_recognised_headers_chosen(login, personas):
    client = login(personas.alice)
    content = xlsx({"rows": [["客户名称", "行业", "Colour"], ["甲公司", "制造", "red"]]})
    job = job_of(upload(client, "accounts", content))
    assert job.mapping == ["name", "industry", None]
    page = client.get(reverse("imports:job", args=[job.pk])).content.decode()
    assert "Map the columns" in page
    assert '<option value="name" selected>' in page
    assert '<option value="industry" selected>' in page
    assert "甲公司" in page  # the first values of each column


def test_a_second_column_with_a_recognised_header_says_which_column_fills_its_field(
    login, personas
):
    client = login(personas.alice)
    # Two name columns (a system's export with 客户名称 twice): the first fills the name.
    content = xlsx({"rows": [["客户名称", "行业", "Name"], ["甲公司", "制造", "甲"]]})
    job = job_of(upload(client, "accounts", content))
    assert job.mapping == ["name", "industry", None]
    page = client.get(reverse("imports:job", args=[job.pk])).content.decode()
    note = (
        "Column A fills the field this header names; this column is not imported unless "
        "you choose a field for it."
    )
    assert page.count(note) == 1
    # Tied to the third column's choice, for a screen reader.
    assert 'aria-describedby="id_column_2_same"' in page
    assert 'id="id_column_2_same"' in page

    # Chosen by hand elsewhere: the note follows the mapping, not the header's first place.
    job.mapping = [None, "industry", "name"]
    job.save(update_fields=["mapping"])
    page = client.get(reverse("imports:job", args=[job.pk])).content.decode()
    assert "Column C fills the field this header names" in page
    assert 'aria-describedby="id_column_0_same"' in page


def test_a_file_that_is_not_a_spreadsheet_is_refused_on_the_form(login, personas):
    response = upload(login(personas.alice), "accounts", png(), name="photo.xlsx")
    assert response.status_code == 200
    assert "This file is a PNG file, not a spreadsheet." in response.content.decode()
    # The browser does not keep the chosen file: the banner says so, not "kept".
    assert (
        "Nothing was saved yet; choose the file again: a browser does not keep it."
        in response.content.decode()
    )
    assert not ImportJob.objects.exists()


def test_the_preview_names_each_problem_and_the_file_goes_in_whole_or_not_at_all(
    login, personas, post
):
    client = login(personas.alice)
    job = job_of(upload(client, "accounts", xlsx({"rows": GOOD_AND_BAD})))
    response = map_and_check(post, client, job)
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportStatus.PREVIEWED
    page = client.get(reverse("imports:job", args=[job.pk])).content.decode()
    assert "Nothing is saved yet." in page
    assert "1 to create" in page and "2 rows with errors" in page
    assert "<strong>Industry</strong>: “Steelmaking” is not one of the choices." in page
    assert "<strong>Employees</strong>: “lots” is not a whole number." in page
    assert "Expected: a whole number such as 120." in page
    assert "Import all" not in page  # no confirm button while rows have errors

    response = post(client, reverse("imports:confirm", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportStatus.PREVIEWED
    assert not Account.objects.filter(name="Sunrise Foods").exists()


def test_rejected_rows_download_as_the_file_was_with_a_reason_column(login, personas, post):
    client = login(personas.alice)
    job = job_of(upload(client, "accounts", xlsx({"rows": GOOD_AND_BAD})))
    map_and_check(post, client, job)

    response = client.get(reverse("imports:rejected", args=[job.pk, "xlsx"]))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    [sheet] = read_xlsx(response.content).values()
    assert sheet[0] == ["Name", "Industry", "Owner", "Employees", "Reason"]
    assert [row[:4] for row in sheet[1:]] == [
        ["Moonlight Steel", "Steelmaking", "alice", 900],
        ["Starlight Labs", "Healthcare", "alice", "lots"],
    ]
    assert sheet[1][4].startswith("Industry: “Steelmaking” is not one of the choices.")
    assert sheet[2][4] == (
        "Employees: “lots” is not a whole number. Expected: a whole number such as 120."
    )

    response = client.get(reverse("imports:rejected", args=[job.pk, "csv"]))
    assert 'filename="book-rejected.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["Name", "Industry", "Owner", "Employees", "Reason"]
    assert [row[0] for row in rows[1:]] == ["Moonlight Steel", "Starlight Labs"]
    # The file's name in the reader's language.
    response = client.get(
        reverse("imports:rejected", args=[job.pk, "csv"]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert "book-%E6%9C%AA%E5%AF%BC%E5%85%A5.csv" in response["Content-Disposition"]


def test_a_clean_preview_is_confirmed_and_the_records_are_in_the_list(login, personas, post):
    client = login(personas.alice)
    rows = [GOOD_AND_BAD[0], GOOD_AND_BAD[1], ["Moonlight Steel", "制造", "alice", 900]]
    job = job_of(upload(client, "accounts", csv_file(rows, encoding="gb18030"), "book.csv"))
    map_and_check(post, client, job)
    job.refresh_from_db()
    assert job.result["counts"]["create"] == 2
    page = client.get(reverse("imports:job", args=[job.pk])).content.decode()
    assert "Import all 2 rows" in page

    post(client, reverse("imports:confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    page = client.get(reverse("imports:job", args=[job.pk])).content.decode()
    assert "2 created" in page
    listing = client.get(reverse("accounts:list")).content.decode()
    assert "Sunrise Foods" in listing and "Moonlight Steel" in listing


def test_an_imported_file_confirmed_or_cancelled_again_says_it_was_imported(login, personas, post):
    """A second click on Import, or Cancel on the preview the Back button shows, after
    the rows went in: never "nothing was saved", and nothing changes."""
    from django.contrib.messages import get_messages

    client = login(personas.alice)
    rows = [GOOD_AND_BAD[0], GOOD_AND_BAD[1]]
    job = job_of(upload(client, "accounts", csv_file(rows), "book.csv"))
    map_and_check(post, client, job)
    post(client, reverse("imports:confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    imported = "This file was imported already: its records are saved."
    for action in ["imports:confirm", "imports:cancel"]:
        response = post(client, reverse(action, args=[job.pk]))
        assert response["Location"] == reverse("imports:job", args=[job.pk])
        said = [str(m) for m in get_messages(response.wsgi_request)]
        assert said[-1].startswith(imported), said  # (not shown yet: the redirect is not followed)
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    assert Account.objects.filter(name="Sunrise Foods").count() == 1


def test_a_cancelled_file_confirmed_says_to_upload_it_again(login, personas, post):
    from django.contrib.messages import get_messages

    client = login(personas.alice)
    job = job_of(upload(client, "accounts", csv_file(GOOD_AND_BAD[:2]), "book.csv"))
    map_and_check(post, client, job)
    cancelled = post(client, reverse("imports:cancel", args=[job.pk]))
    assert [str(m) for m in get_messages(cancelled.wsgi_request)] == [
        "The import was cancelled: nothing was saved."
    ]
    response = post(client, reverse("imports:confirm", args=[job.pk]))
    assert [str(m) for m in get_messages(response.wsgi_request)][-1] == (
        "This import was cancelled: upload the file again to import it."
    )
    assert not Account.objects.filter(name="Sunrise Foods").exists()


def test_the_file_is_parsed_once_at_the_upload_and_never_again(login, personas, post):
    """The preview, the confirmed run and the rejected rows start from the rows the
    upload read (kept with the job): with the stored file made unreadable after the
    upload, every step still works — none of them reads the file again."""
    client = login(personas.alice)
    good = job_of(upload(client, "accounts", xlsx({"rows": GOOD_AND_BAD[:2]})))
    bad = job_of(upload(client, "accounts", xlsx({"rows": GOOD_AND_BAD})))
    ImportJob.objects.filter(pk__in=[good.pk, bad.pk]).update(content=b"\x89PNG not any more")

    map_and_check(post, client, good)
    good.refresh_from_db()
    assert (good.status, good.result["counts"]["create"]) == (ImportStatus.PREVIEWED, 1)
    post(client, reverse("imports:confirm", args=[good.pk]))
    good.refresh_from_db()
    assert good.status == ImportStatus.DONE
    assert Account.objects.filter(name="Sunrise Foods").exists()

    map_and_check(post, client, bad)
    bad.refresh_from_db()
    assert bad.result["counts"]["error"] == 2
    response = client.get(reverse("imports:rejected", args=[bad.pk, "xlsx"]))
    [sheet] = read_xlsx(response.content).values()
    assert [row[0] for row in sheet[1:]] == ["Moonlight Steel", "Starlight Labs"]


def test_possible_duplicates_wait_for_the_tick(login, personas, post):
    client = login(personas.charlie)
    rows = [["Name", "Industry"], ["Alice's Customer Co", "Finance"]]
    job = job_of(upload(client, "accounts", csv_file(rows), "dup.csv"))
    map_and_check(post, client, job)
    page = client.get(reverse("imports:job", args=[job.pk])).content.decode()
    assert "1 possible duplicate" in page
    # The box says what leaving it empty does, and the browser asks for it.
    assert 'id="confirm-duplicates" required aria-describedby="confirm-duplicates-help"' in page
    assert "without this box ticked nothing is imported" in page
    post(client, reverse("imports:confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportStatus.PREVIEWED  # not ticked: refused
    post(client, reverse("imports:confirm", args=[job.pk]), {"confirm_duplicates": "1"})
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    assert Account.objects.filter(name="Alice's Customer Co").count() == 2


def test_a_mapping_without_the_key_columns_is_refused_on_the_page(login, personas, post):
    client = login(personas.alice)
    job = job_of(
        upload(client, "contacts", csv_file([["Who", "Where"], ["Wang", "Acme"]]), "c.csv")
    )
    response = map_and_check(post, client, job, [None, None])
    assert response.status_code == 400
    page = response.content.decode()
    assert "Map a column to “Account”." in page
    assert "Map a column to one of: “External ID”, “Name”." in page


def test_a_second_import_of_a_type_is_refused_while_one_runs(login, personas, post):
    running = import_job_upload(
        by=personas.bob, kind="accounts", filename="a.csv", content=csv_file([["Name"], ["X"]])
    )
    import_job_start(job=running, by=personas.bob, dry_run=False, enqueue=False)
    client = login(personas.alice)
    upload_page = client.get(reverse("imports:upload", args=["accounts"])).content.decode()
    assert f"An import of this type is running, started by {personas.bob}" in upload_page
    job = job_of(
        upload(client, "accounts", csv_file([["Name", "Industry"], ["Y", "Finance"]]), "b.csv")
    )
    response = map_and_check(post, client, job)
    page = response.content.decode()
    assert f"An import of accounts is running, started by {personas.bob} at" in page
    assert "try again when it ends" in page
    job.refresh_from_db()
    assert job.status == ImportStatus.UPLOADED


def test_a_running_import_shows_its_progress_to_every_tab(login, personas):
    from keyaccounts.imports.services import progress_set

    client = login(personas.alice)
    job = job_of(upload(client, "accounts", xlsx({"rows": GOOD_AND_BAD})))
    import_job_start(job=job, by=personas.alice, dry_run=True, enqueue=False)
    progress_set(job.pk, 2, 3)
    page = client.get(reverse("imports:job", args=[job.pk])).content.decode()
    assert '<progress id="import-progress" max="100" value="66">' in page
    assert "2 of 3 rows" in page
    state = client.get(reverse("imports:progress", args=[job.pk])).json()
    assert (state["done"], state["total"], state["percent"], state["finished"]) == (2, 3, 66, False)


def test_someone_elses_import_answers_404(login, personas):
    job = import_job_upload(
        by=personas.alice,
        kind="accounts",
        filename="secret.xlsx",
        content=xlsx({"rows": [["Name", "Industry"], ["Secret Co", "Finance"]]}),
    )
    pages = [
        ("get", reverse("imports:job", args=[job.pk]), None),
        ("post", reverse("imports:map", args=[job.pk]), {"column_0": "name"}),
        ("post", reverse("imports:confirm", args=[job.pk]), None),
        ("post", reverse("imports:cancel", args=[job.pk]), None),
        ("get", reverse("imports:progress", args=[job.pk]), None),
        ("get", reverse("imports:rejected", args=[job.pk, "xlsx"]), None),
    ]
    for user in (personas.bob, personas.manager, personas.charlie):
        assert_not_found_for(login(user), pages, hidden_words=("Secret", "secret.xlsx"))
    job.refresh_from_db()
    assert job.status == ImportStatus.UPLOADED


@pytest.mark.parametrize(
    ("language", "name", "industry", "sheet"),
    [("en", "Name *", "Industry *", "Accepted values"), ("zh-hans", "名称 *", "行业 *", None)],
)
def test_a_template_has_the_header_an_example_and_the_accepted_values(
    login, personas, language, name, industry, sheet
):
    response = login(personas.alice).get(
        reverse("imports:template", args=["accounts"]), {"language": language}
    )
    assert response.status_code == 200
    sheets = read_xlsx(response.content)
    titles = list(sheets)
    header, example = next(iter(sheets.values()))[:2]
    assert name in header and industry in header
    row = dict(zip(header, example, strict=True))
    assert row[name] and row[industry]
    assert personas.alice.username in example  # the example's owner is the one downloading
    accepted = sheets[titles[1]]
    if sheet:
        assert titles[1] == sheet
    industry_column = [r[accepted[0].index(industry.rstrip(" *"))] for r in accepted[1:]]
    assert "Technology / 科技" in industry_column and "Retail / 零售" in industry_column


def test_the_template_of_each_type_goes_back_in_as_it_is(login, personas, tmp_path):
    """Filled with its example row, each template imports (the example refers to an
    account with the external ID ERP-0001, and to a contact, Wang Jianguo)."""
    from accounts.tests.factories import AccountFactory, ContactFactory
    from keyaccounts.imports.engine import run_import
    from keyaccounts.imports.kinds import KINDS
    from keyaccounts.imports.reading import read_table
    from scoring.plans.tests.api_records import example_plan
    from visits.reviews.tests.import_records import example_review

    account = AccountFactory(name="Example", owner=personas.alice, external_id="ERP-0001")
    ContactFactory(account=account, name="Wang Jianguo")
    example_plan(account)  # the plan-action example's plan (scoring.plans)
    example_review(account)  # the review follow-up example's review (visits.reviews)
    client = login(personas.manager)
    for kind in KINDS.values():
        user = personas.manager if kind.key == "monthly_sales" else personas.alice
        content = login(user).get(reverse("imports:template", args=[kind.key])).content
        table = read_table(content, header_score=kind.header_index().score)
        mapping = kind.header_index().recognise(table.headers)
        assert all(mapping), (kind.key, table.headers, mapping)
        result = run_import(kind=kind, table=table, mapping=mapping, by=user, dry_run=True)
        assert result.ok, (kind.key, result.rows)
    assert client


def test_an_import_left_running_by_a_dead_worker_is_run_again_by_its_task(personas):
    """A worker killed mid-import leaves its job "running"; Redis hands the task's
    message to another worker, whose run takes the job again (`resume`) and imports the
    file once. A plain run (the command's) leaves a running job alone."""
    from keyaccounts.imports.services import import_job_run
    from keyaccounts.imports.tasks import import_run

    job = import_job_upload(
        by=personas.alice,
        kind="accounts",
        filename="a.csv",
        content=csv_file([["Name", "Industry"], ["Resumed Co", "Finance"]]),
    )
    import_job_start(job=job, by=personas.alice, dry_run=False, enqueue=False)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING)  # the dead run

    assert import_job_run(job_id=job.pk) is None
    assert not Account.objects.filter(name="Resumed Co").exists()

    assert import_run.run(job.pk) == ImportStatus.DONE
    assert Account.objects.filter(name="Resumed Co").count() == 1
    assert import_run.run(job.pk) is None  # done: a late copy of the message does nothing
    assert Account.objects.filter(name="Resumed Co").count() == 1


def test_problems_written_in_one_language_are_checked_again_in_the_readers(
    login, personas, post, django_capture_on_commit_callbacks
):
    """A file checked in English and read in Chinese: the page says so, and one click
    checks it again, its problems then in Chinese."""
    client = login(personas.alice)
    job = job_of(upload(client, "accounts", xlsx({"rows": GOOD_AND_BAD})))
    map_and_check(post, client, job)
    job_url = reverse("imports:job", args=[job.pk])
    english = client.get(job_url).content.decode()
    assert "data-other-language" not in english
    chinese = client.get(job_url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "问题以英文写成" in chinese
    assert "“lots” is not a whole number." in chinese
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("imports:recheck", args=[job.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    job.refresh_from_db()
    assert (job.status, job.language) == (ImportStatus.PREVIEWED, "zh-hans")
    again = client.get(job_url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "data-other-language" not in again
    assert "“lots” is not a whole number." not in again
