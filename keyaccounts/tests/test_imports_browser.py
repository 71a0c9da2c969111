"""An import in the real Chromium, at phone width, in Chinese: a file with errors is
checked, its errors are named, the rejected rows are downloaded, corrected and uploaded
again, and the accounts are in the list.

The pages are found by their structure and the data (Chinese names and values), not by
the wording of their labels, which the translation changes."""

import io
import re

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from accounts.models import Account
from keyaccounts.tests.imports_files import xlsx

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def upload_and_check(page, name: str, content: bytes) -> None:
    page.goto("/import/accounts/")
    page.locator("#id_file").set_input_files({"name": name, "mimeType": XLSX, "buffer": content})
    page.locator("form[enctype] button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/import/jobs/\d+/$"))
    # The mapping, with the recognised headers chosen: check every row.
    expect(page.locator("#id_column_0")).to_have_value("name")
    expect(page.locator("#id_column_1")).to_have_value("industry")
    assert fits_the_screen(page)
    page.locator("form[action$='/map/'] button[type=submit]").click()
    expect(page.locator("table.import-rows")).to_be_visible()


def test_a_rep_fixes_the_rejected_rows_and_imports_them_in_chinese(browser, live_server, personas):
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 375, "height": 800},
        locale="zh-CN",
        accept_downloads=True,
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/login/")
    page.locator("#id_username").fill("alice")
    page.locator("#id_password").fill("pw-for-tests")
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/my-week/$"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")

    rows = [
        ["客户名称", "行业", "区域"],
        ["东方机床有限公司", "制造", "华东"],
        ["南方钢铁集团", "钢铁", "华南"],
        ["北方能源股份", "能源", "华北"],
        ["西部医药", "医药", "西南"],
    ]
    upload_and_check(page, "客户清单.xlsx", xlsx({"rows": rows}))

    # The errors are named: row, column, the value.
    errors = page.locator("tr.row-error")
    expect(errors).to_have_count(2)
    expect(errors.nth(0)).to_contain_text("3")
    expect(errors.nth(0)).to_contain_text("行业")
    expect(errors.nth(0)).to_contain_text("“钢铁”")
    expect(errors.nth(1)).to_contain_text("“医药”")
    expect(page.locator("form[action$='/confirm/']")).to_have_count(0)  # nothing to confirm
    assert fits_the_screen(page)

    with page.expect_download() as download:
        page.locator("a[href$='/rejected.xlsx']").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    with open(download.value.path(), "rb") as file:
        sheet = load_workbook(io.BytesIO(file.read())).active
    rejected = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rejected[0][:3] == ["客户名称", "行业", "区域"]
    assert [row[0] for row in rejected[1:]] == ["南方钢铁集团", "西部医药"]
    assert all(row[3] for row in rejected[1:])  # the reason column says why
    assert not Account.objects.filter(name="东方机床有限公司").exists()  # nothing went in

    # Corrected in the downloaded file: the industries that exist, the reason dropped.
    fixed = [rejected[0][:3]] + [[row[0], "制造", row[2]] for row in rejected[1:]]
    fixed[2][1] = "医疗"
    upload_and_check(page, "客户清单-已改.xlsx", xlsx({"rows": fixed}))
    expect(page.locator("tr.row-error")).to_have_count(0)
    page.locator("form[action$='/confirm/'] button[type=submit]").click()
    expect(page.locator("table.import-rows a")).to_have_count(2)

    page.goto("/accounts/")
    expect(page.get_by_role("link", name="南方钢铁集团")).to_be_visible()
    expect(page.get_by_role("link", name="西部医药")).to_be_visible()
    assert Account.objects.get(name="西部医药").industry == "healthcare"
    context.close()
