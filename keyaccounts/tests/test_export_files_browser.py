"""An export too long for a request, in the real Chromium at phone width: the export link
offers to prepare the file, "Your exports" shows it and refreshes itself until a file
being prepared is ready, and the download is the list."""

import io
import re

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from accounts.tests.factories import AccountFactory
from keyaccounts.exports.models import ExportFile, ExportStatus
from keyaccounts.exports.services import export_file_run
from keyaccounts.pytest_plugin import browser_log_in
from keyaccounts.tests.test_accessibility_browser import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_rep_has_a_long_list_prepared_and_downloads_it(page, personas, settings):
    for i in range(3):
        AccountFactory(owner=personas.alice, name=f"长名单客户 {i}")
    settings.EXPORT_DIRECT_ROWS = 2
    browser_log_in(page, "alice")
    page.goto("/accounts/")
    page.locator("[data-export='accounts-xlsx']").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Export Accounts as Excel")
    expect(page.get_by_text("This list holds more than 2 rows")).to_be_visible()
    assert axe_violations(page) == [] and fits_the_screen(page)
    page.get_by_role("button", name="Prepare the file").click()

    expect(page).to_have_url(re.compile(r"/export/files/$"))
    expect(page.get_by_text("Accounts as Excel is being prepared")).to_be_visible()
    row = page.locator("tr[data-export-file]")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Ready")  # prepared inline: no worker in this test
    assert axe_violations(page) == [] and fits_the_screen(page)
    with page.expect_download() as download:
        row.get_by_role("link", name=re.compile(r"^Download")).click()
    sheet = load_workbook(io.BytesIO(open(download.value.path(), "rb").read())).worksheets[0]
    names = {row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert {f"长名单客户 {i}" for i in range(3)} <= names


def test_the_page_shows_a_file_once_it_is_ready(page, personas):
    file = ExportFile.objects.create(created_by=personas.alice, kind="contacts", format="csv")
    browser_log_in(page, "alice")
    page.goto("/export/files/")
    row = page.locator(f"tr[data-export-file='{file.pk}']")
    expect(row).to_contain_text("Waiting to start")
    expect(row.get_by_role("link", name=re.compile(r"^Download"))).to_have_count(0)

    page.get_by_role("link", name="Exports").focus()  # where the keyboard is stays there
    assert export_file_run(file_id=file.pk).status == ExportStatus.DONE  # a worker's run
    # No reload by the test: the page asks every three seconds and shows the row anew.
    expect(row.get_by_role("link", name=re.compile(r"^Download"))).to_be_visible(timeout=10_000)
    expect(row).to_contain_text("Ready")
    expect(page.get_by_role("status")).to_contain_text("Contacts")  # said, for screen readers
    expect(page.get_by_role("status")).to_contain_text("Ready")
    assert page.evaluate("document.activeElement.textContent") == "Exports"
    row.get_by_role("button", name=re.compile(r"^Delete")).click()
    expect(page.get_by_text("The file was deleted.")).to_be_visible()
    assert not ExportFile.objects.exists()
