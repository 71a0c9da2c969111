"""End to end in the real Chromium, as a rep starts the day: my week's top action, one
tap to the form that does it with the contact chosen, saved, and the action gone."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import BuyingRole
from accounts.tests.factories import ContactFactory
from keyaccounts.pytest_plugin import browser_log_in
from scoring import services
from scoring.tests.builders import strong_soon_account
from scoring.tests.test_next_actions import RECENCY, with_factors
from visits.models import Visit, VisitStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_rep_taps_the_top_action_plans_the_visit_and_the_action_is_gone(page, personas):
    services.active_model()  # a transactional test starts from a flushed database
    # A table that rewards a recent visit: meeting the decider never met gains the most.
    with_factors(personas.admin, RECENCY)
    account = strong_soon_account(personas.alice)
    decider = ContactFactory(account=account, buying_role=BuyingRole.DECIDER, name="Dong Decider")

    page.set_viewport_size({"width": 390, "height": 844})
    browser_log_in(page, "alice")
    actions = page.locator('[data-section="next-actions"] li')
    top = actions.first
    expect(top).to_have_attribute("data-action", "meet_decider")
    expect(top).to_contain_text("Dong Decider, the decider, has not been met yet.")
    top.get_by_role("link", name="Plan a visit with them").click()

    expect(page).to_have_url(re.compile(rf"/accounts/{account.pk}/visits/new/\?status=planned"))
    expect(page.get_by_role("checkbox", name=re.compile("Dong Decider"))).to_be_checked()
    page.get_by_label("Purpose").fill("Meet the decider")
    page.get_by_role("button", name=re.compile("Plan|Save")).first.click()
    expect(page.get_by_text("Visit planned.")).to_be_visible()
    planned = Visit.objects.get(account=account, status=VisitStatus.PLANNED)
    assert list(planned.contacts.all()) == [decider]

    page.goto("/my-week/")
    expect(
        page.locator('[data-section="next-actions"] li[data-action="meet_decider"]')
    ).to_have_count(0)
