"""The recycle bin in the real Chromium, at phone width: delete, find it, restore it."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import Contact
from accounts.tests.factories import ContactFactory
from keyaccounts.pytest_plugin import browser_log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_rep_deletes_a_contact_finds_it_in_the_bin_and_restores_it(page, personas):
    contact = ContactFactory(account=personas.account, name="王芳", title="总经理")
    browser_log_in(page, "alice")
    page.goto(contact.get_absolute_url())

    page.get_by_role("link", name="Move this contact to the recycle bin").click()
    expect(page.get_by_text("This contact goes to the recycle bin.")).to_be_visible()
    assert fits_the_screen(page)
    page.get_by_role("button", name="Move to the recycle bin").click()

    expect(page.get_by_text("“王芳 (总经理)” moved to the recycle bin.")).to_be_visible()
    assert not Contact.objects.filter(pk=contact.pk).exists()
    page.get_by_role("link", name="Restore it from the recycle bin").click()

    expect(page).to_have_url(re.compile(r"/recycle-bin/$"))
    row = page.locator("tr[data-deletion]")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("王芳 (总经理)")
    expect(row).to_contain_text("(in 90 days)")
    assert fits_the_screen(page)
    row.get_by_role("button", name="Restore 王芳 (总经理)").click()

    expect(page.get_by_text("Restored 王芳 (总经理).")).to_be_visible()
    expect(page.get_by_text("The recycle bin is empty.")).to_be_visible()
    assert Contact.objects.filter(pk=contact.pk).exists()
