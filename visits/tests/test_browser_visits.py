"""End to end in the real Chromium, at phone width: a visit, its follow-up, my week."""

import re

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import ContactFactory
from keyaccounts.pytest_plugin import browser_log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_rep_logs_a_visit_sees_its_follow_up_on_my_week_logs_it_and_it_is_gone(page, personas):
    ContactFactory(account=personas.account, name="王芳", title="总经理", buying_role="decider")
    ContactFactory(account=personas.account, name="李娜", title="IT", buying_role="evaluator")
    browser_log_in(page, "alice")
    expect(page.get_by_text("No follow-up is open.")).to_be_visible()

    page.get_by_role("link", name="Accounts", exact=True).click()
    page.get_by_role("link", name="Alice's Customer Co").click()
    page.get_by_role("link", name="Log a visit").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Log a visit")
    page.get_by_label("王芳 · 总经理 · Decider").check()
    page.get_by_label("Main talking points").fill("Budget for the pilot")
    page.get_by_label("Next steps and suggestions").fill("Send the proposal")
    page.get_by_role("button", name="Save the visit").click()

    expect(page.get_by_text(re.compile(r"Visit recorded\. Follow up by"))).to_be_visible()
    expect(page.get_by_text("Budget for the pilot")).to_be_visible()

    page.get_by_role("link", name="My week", exact=True).click()
    follow_ups = page.locator("#follow-ups")
    item = follow_ups.locator(".followup")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("Alice's Customer Co")
    expect(item).to_contain_text("王芳")

    item.get_by_role("link").click()
    page.get_by_label("What did the customer say?").fill("Likes the proposal, wants a call")
    page.get_by_role("button", name="Log the follow-up").click()

    expect(page).to_have_url(re.compile(r"/my-week/$"))
    expect(page.get_by_text("Follow-up logged.")).to_be_visible()
    expect(follow_ups.locator(".followup")).to_have_count(0)
    expect(page.get_by_text("No follow-up is open.")).to_be_visible()


def test_a_visit_dated_in_the_future_is_refused_and_the_notes_are_kept(page, personas):
    browser_log_in(page, "alice")
    page.goto(f"/accounts/{personas.account.pk}/visits/new/")
    page.get_by_label("Main talking points").fill("Long notes typed on the road")
    page.get_by_label("Took place").fill("2099-01-01T10:00")
    page.get_by_role("button", name="Save the visit").click()
    expect(
        page.get_by_text("A recorded visit cannot be in the future.", exact=False)
    ).to_be_visible()
    expect(page.get_by_label("Main talking points")).to_have_value("Long notes typed on the road")
