"""End to end in the real Chromium: moving a deal along the board, stopped by an
unticked outcome; at phone width with the buttons, at laptop width by dragging."""

import re

import pytest
from playwright.sync_api import expect

from keyaccounts.pytest_plugin import browser_log_in
from opportunities import services
from opportunities.tests.factories import OpportunityFactory, default_stages

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def card(page, stage, name):
    return page.locator(f"#stage-{stage.pk} .deal", has_text=name)


def test_a_move_is_stopped_by_an_unticked_outcome_until_it_is_ticked(page, personas):
    stages = default_stages()  # a transactional test starts from a flushed database
    deal = OpportunityFactory(account=personas.account, name="MES phase 1", amount=800000)
    qualify, needs_analysis = stages["qualify"], stages["needs_analysis"]
    browser_log_in(page, "alice")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Pipeline").click()
    expect(card(page, qualify, "MES phase 1")).to_contain_text("¥800,000")
    card(page, qualify, "MES phase 1").get_by_label("Move “MES phase 1” to").select_option(
        label="Needs analysis"
    )
    card(page, qualify, "MES phase 1").get_by_role("button", name="Move").click()

    refusal = page.locator(".msg-error")
    expect(refusal).to_contain_text("“MES phase 1” stays in Qualify")
    expect(refusal.locator("li")).to_have_text(
        ["The customer confirmed the need", "Budget and timing known", "Decider identified"]
    )
    expect(card(page, qualify, "MES phase 1")).to_be_visible()

    refusal.get_by_role("link", name="Open “MES phase 1” to tick them").click()
    expect(page).to_have_url(re.compile(rf"/pipeline/{deal.pk}/#criteria$"))
    page.get_by_label("The customer confirmed the need").check()
    page.get_by_label("Budget and timing known").check()
    page.get_by_role("button", name="Save and move to Needs analysis").click()

    # Two of three: still refused, and only the unticked one is named.
    expect(page.locator(".msg-error li")).to_have_text(["Decider identified"])
    expect(page.get_by_role("heading", name="Stage: Qualify")).to_be_visible()
    expect(page.get_by_label("Budget and timing known")).to_be_checked()

    page.get_by_label("Decider identified").check()
    page.get_by_role("button", name="Save and move to Needs analysis").click()
    expect(page.get_by_text("“MES phase 1” moved to Needs analysis.")).to_be_visible()
    expect(page.get_by_role("heading", name="Stage: Needs analysis")).to_be_visible()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Pipeline").click()
    expect(card(page, needs_analysis, "MES phase 1")).to_be_visible()
    expect(card(page, qualify, "MES phase 1")).to_have_count(0)


def test_on_a_laptop_a_card_is_dragged_to_the_next_column_and_to_lost(page, personas):
    stages = default_stages()
    deal = OpportunityFactory(account=personas.account, name="Data platform")
    for criterion in stages["qualify"].criteria.all():
        services.criterion_set(
            opportunity=deal, criterion=criterion, checked=True, by=personas.alice
        )
    page.set_viewport_size({"width": 1280, "height": 900})
    browser_log_in(page, "alice", lands_on="/pipeline/")

    card(page, stages["qualify"], "Data platform").drag_to(
        page.locator(f"#stage-{stages['needs_analysis'].pk}")
    )
    expect(page.get_by_text("“Data platform” moved to Needs analysis.")).to_be_visible()
    expect(card(page, stages["needs_analysis"], "Data platform")).to_be_visible()

    # Closing asks why, with the stage the card was dropped on already chosen.
    card(page, stages["needs_analysis"], "Data platform").drag_to(
        page.locator(f"#stage-{stages['lost'].pk}")
    )
    expect(page.get_by_role("heading", name="Close the deal")).to_be_visible()
    expect(page.get_by_role("radio", name="Lost")).to_be_checked()
    page.get_by_role("button", name="Close the deal").click()
    expect(page.get_by_text("Say why the deal was lost before closing it.")).to_be_visible()
    page.get_by_label("Why was it won or lost?").fill("Budget moved to next year")
    page.get_by_role("button", name="Close the deal").click()

    expect(page).to_have_url(re.compile(r"/pipeline/$"))
    expect(page.get_by_text("“Data platform” closed as Lost.")).to_be_visible()
    lost = page.locator(f"#stage-{stages['lost'].pk}")
    lost.get_by_text("Show 1 deal").click()
    expect(lost.locator(".deal", has_text="Data platform")).to_be_visible()
