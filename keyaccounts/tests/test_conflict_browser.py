"""Two people edit one contact, in the real Chromium at phone width: the one who saves
second is refused, sees beside the field what the other saved, and saving again writes
only what they changed (keyaccounts.history.merge)."""

import re

import pytest
from playwright.sync_api import expect

from accounts import services
from accounts.models import Contact
from accounts.tests.factories import ContactFactory
from keyaccounts.pytest_plugin import browser_log_in
from keyaccounts.tests.test_accessibility_browser import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_second_save_is_refused_shows_theirs_and_saving_again_keeps_both(page, personas):
    contact = ContactFactory(account=personas.account, name="Wang", title="Engineer", phone="")
    browser_log_in(page, "alice")
    page.goto(f"/accounts/{personas.account.pk}/contacts/{contact.pk}/edit/")

    # Bob gives Wang a new title while Alice has the form open.
    services.contact_update(
        contact=Contact.objects.get(pk=contact.pk), by=personas.bob, title="Chief engineer"
    )
    page.get_by_label("Phone").fill("13800000000")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("alert")).to_contain_text("Someone else saved this record")
    title = page.get_by_label("Title")
    expect(title).to_have_value("Engineer")  # the form as Alice opened it
    expect(title).to_have_accessible_description("Saved meanwhile by someone else: Chief engineer")
    expect(page.get_by_label("Phone")).to_have_value("13800000000")  # her input kept
    assert axe_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(rf"/accounts/{personas.account.pk}/#buying-center$"))
    contact.refresh_from_db()
    assert (contact.title, contact.phone) == ("Chief engineer", "13800000000")
