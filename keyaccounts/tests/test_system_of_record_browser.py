"""Issue 8 end to end in the real Chromium: a rep deletes an account, the manager
restores it from the recycle bin, and the account's history shows both."""

import re

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import ContactFactory
from keyaccounts.pytest_plugin import browser_log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_rep_deletes_an_account_and_the_manager_restores_it_with_its_history(
    browser, live_server, personas
):
    account = personas.account
    ContactFactory(account=account, name="王芳", buying_role="decider")
    name = account.name

    def tab(width):
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": width, "height": 900}, locale="en-US"
        )
        context.set_default_timeout(10_000)
        return context, context.new_page()

    # The rep, on a phone: deletes the account from its page.
    rep_context, rep = tab(390)
    browser_log_in(rep, "alice", lands_on="/accounts/")
    rep.get_by_role("link", name=name).click()
    rep.get_by_role("link", name="Move to the recycle bin").click()
    expect(rep.get_by_text("1 contact")).to_be_visible()  # what goes along is said first
    rep.get_by_role("button", name="Move to the recycle bin").click()
    expect(rep.get_by_text("moved to the recycle bin")).to_be_visible()
    rep.goto("/accounts/")
    expect(rep.get_by_role("link", name=name)).to_have_count(0)
    assert rep.goto(f"/accounts/{account.pk}/").status == 404
    rep_context.close()

    # The manager, on a desktop: finds it in the recycle bin and restores it.
    manager_context, manager = tab(1280)
    browser_log_in(manager, "manager", lands_on="/recycle-bin/")
    row = manager.locator("tr[data-deletion]").filter(has_text=name)
    expect(row).to_contain_text("1 contact")
    row.get_by_role("button", name=re.compile(r"^Restore ")).click()
    expect(manager.get_by_text(f"Restored {name}")).to_be_visible()

    manager.goto("/accounts/")
    manager.get_by_role("link", name=name).click()
    expect(manager.locator(".bcrole[data-role='decider']")).to_contain_text("王芳")
    manager.get_by_role("link", name="Change history").click()
    entries = manager.locator(".history-entry")
    expect(entries.nth(0)).to_contain_text("Restored from the recycle bin")
    expect(entries.nth(0)).to_contain_text(str(personas.manager))
    expect(entries.nth(1)).to_contain_text("Moved to the recycle bin")
    expect(entries.nth(1)).to_contain_text(str(personas.alice))
    manager_context.close()
