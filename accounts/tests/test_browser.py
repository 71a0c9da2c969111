"""End to end in the real Chromium, at phone width: what a rep does on the road."""

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import AccountFactory, ContactFactory
from keyaccounts.pytest_plugin import browser_log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_rep_finds_an_account_adds_a_decider_and_sees_the_map_update(page, personas):
    AccountFactory(name="Another Customer", owner=personas.alice)
    ContactFactory(account=personas.account, name="李娜", buying_role="evaluator")
    browser_log_in(page, "alice", lands_on="/accounts/")

    page.get_by_label("Search").fill("Alice")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("link", name="Another Customer")).to_have_count(0)
    page.get_by_role("link", name="Alice's Customer Co").click()

    decider = page.locator('.bcrole[data-role="decider"]')
    expect(decider).to_contain_text("Nobody yet")
    expect(page.locator('[data-flag="no_decider"]')).to_be_visible()

    decider.get_by_role("link", name="Add").click()
    expect(page.get_by_label("Buying role")).to_have_value("decider")
    page.get_by_label("Name", exact=True).fill("王芳")
    page.get_by_label("Title").fill("总经理")
    page.get_by_label("Attitude to us").select_option("supporter")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_text("Contact 王芳 added.")).to_be_visible()
    expect(decider).to_contain_text("王芳")
    expect(decider).to_contain_text("Supporter")
    expect(page.locator('[data-flag="no_decider"]')).to_have_count(0)


def test_a_mistake_in_the_form_keeps_what_was_typed(page, personas):
    browser_log_in(page, "alice", lands_on="/accounts/")
    page.goto(f"/accounts/{personas.account.pk}/contacts/new/")
    page.get_by_label("Pressures and challenges").fill("Board wants ROI within a year")
    page.get_by_label("Email").fill("not-an-email")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".field.has-error")).to_have_count(2)  # name missing, email invalid
    expect(page.get_by_label("Pressures and challenges")).to_have_value(
        "Board wants ROI within a year"
    )


def test_the_page_switches_to_chinese_and_back(page, personas):
    browser_log_in(page, "alice", lands_on="/accounts/")
    page.get_by_label("Language").select_option("zh-hans")
    page.get_by_role("button", name="Switch").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("大客户")
    expect(page.get_by_role("link", name="新建客户")).to_be_visible()
    page.get_by_label("语言").select_option("en")
    page.get_by_role("button", name="切换").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Key accounts")


def test_another_reps_account_is_not_found_in_the_browser_either(page, personas):
    browser_log_in(page, "alice", lands_on="/accounts/")
    response = page.goto(f"/accounts/{personas.charlies_account.pk}/")
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Not found")


def test_on_a_phone_the_account_list_shows_a_compact_row_each_with_its_card_a_tap_away(
    page, personas
):
    """Issue 15: at 375 px in zh-hans, at least five accounts fit on one screen (one line
    each: grade and name); "Details" opens the row's full card; on a desktop the list
    is the table with its headers, no button."""
    for number in range(8):
        AccountFactory(owner=personas.alice, name=f"华东精密制造有限公司{number}", region="华东")
    page.set_viewport_size({"width": 375, "height": 740})
    browser_log_in(page, "alice", lands_on="/accounts/")
    page.get_by_role("combobox", name="Language").select_option("zh-hans")
    page.get_by_role("button", name="Switch").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("大客户")

    rows = page.locator("table.list tbody tr")
    expect(rows).to_have_count(9)
    tops = [rows.nth(i).bounding_box()["y"] for i in range(6)]
    assert tops[5] - tops[0] <= 740, f"five rows take {tops[5] - tops[0]} px"
    first = rows.filter(has_text="华东精密制造有限公司0")
    region = first.locator('td[data-label="区域"]')
    expect(region).to_be_hidden()
    toggle = first.get_by_role("button", name="详情 华东精密制造有限公司0")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.click()
    expect(region).to_be_visible()
    expect(region).to_have_text("华东")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    toggle.click()
    expect(region).to_be_hidden()

    page.set_viewport_size({"width": 1280, "height": 900})
    expect(page.get_by_role("columnheader", name="区域")).to_be_visible()
    expect(region).to_be_visible()
    expect(page.get_by_role("button", name="详情 华东精密制造有限公司0")).to_be_hidden()


def test_on_a_phone_a_filtered_list_shows_its_results_first_and_says_what_is_set(page, personas):
    """A filter set unfolds the filters on a desktop; on a phone (375 px, zh-hans) they stay
    folded, so the first result is on the first screen, and the summary says how many
    are set. A wrong filter stays unfolded there too: its message must be seen."""
    AccountFactory(owner=personas.alice, name="华东精密制造有限公司", status="active")
    page.set_viewport_size({"width": 375, "height": 740})
    browser_log_in(page, "alice", lands_on="/accounts/")
    page.get_by_role("combobox", name="Language").select_option("zh-hans")
    page.get_by_role("button", name="Switch").click()

    page.goto("/accounts/?status=active")
    details = page.locator("details.more-filters")
    expect(details).not_to_have_attribute("open", "")
    expect(details.locator("summary")).to_have_text("筛选 （已设 1 项）")
    row = page.get_by_role("link", name="华东精密制造有限公司")
    expect(row).to_be_in_viewport()
    details.locator("summary").click()
    expect(page.get_by_label("状态")).to_have_value("active")

    page.goto("/accounts/?status=nonsense")
    expect(details).to_have_attribute("open", "")
    expect(page.locator(".field.has-error")).to_have_count(1)

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/accounts/?status=active")
    expect(details).to_have_attribute("open", "")
    expect(page.get_by_label("状态")).to_have_value("active")
