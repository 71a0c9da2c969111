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
