"""End to end in the real Chromium: moving a deal along the board, stopped by an
unticked outcome; at phone width through a card's move page, at laptop width by
dragging. A column's next cards come in place, and the account filter suggests names."""

import datetime
import re

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import AccountFactory
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
    card(page, qualify, "MES phase 1").get_by_role(
        "link", name="Move… “MES phase 1” to another stage"
    ).click()
    # The move page: the next stage chosen, and what it needs said before trying.
    expect(page.get_by_role("heading", name="Move “MES phase 1”")).to_be_visible()
    expect(page.get_by_label("Needs analysis")).to_be_checked()
    expect(page.locator(".missing-outcomes li")).to_have_count(3)
    page.get_by_role("button", name="Move").click()

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


def test_show_more_brings_a_columns_next_cards_into_it(page, personas, monkeypatch):
    monkeypatch.setattr("opportunities.views.CARDS_PER_COLUMN", 3)
    stages = default_stages()
    for i in range(5):
        OpportunityFactory(
            account=personas.account,
            name=f"Deal {i}",
            expected_close_date=datetime.date(2027, 1, 1 + i),
        )
    page.set_viewport_size({"width": 1280, "height": 900})
    browser_log_in(page, "alice", lands_on="/pipeline/")
    column = page.locator(f"#stage-{stages['qualify'].pk}")
    expect(column.locator(".deal")).to_have_count(3)

    column.get_by_role("link", name="Show more (2 left)").click()

    expect(column.locator(".deal-name")).to_have_text([f"Deal {i}" for i in range(5)])
    expect(page).to_have_url(re.compile(r"/pipeline/$"))  # in place, no new page
    expect(column.get_by_role("link", name=re.compile("Show more"))).to_have_count(0)
    expect(column.get_by_role("link", name="Deal 3", exact=True)).to_be_focused()
    # A card that came in moves like the others, and comes back to the board.
    column.get_by_role("link", name="Move… “Deal 4” to another stage").click()
    page.get_by_label("Lost").check()
    page.get_by_role("button", name="Move").click()
    page.get_by_label("Why was it won or lost?").fill("No budget")
    page.get_by_role("button", name="Close the deal").click()
    expect(page).to_have_url(re.compile(r"/pipeline/$"))
    expect(page.get_by_text("“Deal 4” closed as Lost.")).to_be_visible()


def test_the_account_filter_suggests_names_and_filters_by_the_one_picked(page, personas):
    default_stages()
    beta = AccountFactory(name="Beta Works", owner=personas.alice)
    AccountFactory(name="Betamax Trading", owner=personas.alice)
    AccountFactory(name="Bethlehem Steel", owner=personas.charlie)  # not hers
    OpportunityFactory(account=beta, name="Beta deal")
    OpportunityFactory(account=personas.account, name="Alice deal")
    browser_log_in(page, "alice", lands_on="/pipeline/")

    page.get_by_text("Filters", exact=True).click()
    box = page.get_by_label("Account", exact=True)
    box.fill("Bet")
    options = page.locator("datalist#id_account_list option")
    expect(options).to_have_count(2)
    expect(options.nth(0)).to_have_attribute("value", "Beta Works")
    expect(options.nth(1)).to_have_attribute("value", "Betamax Trading")
    box.fill("Beta Works")  # what picking the suggestion puts in the box
    expect(page.locator("#id_account_pk")).to_have_value(str(beta.pk))
    page.get_by_role("button", name="Apply").click()

    expect(page).to_have_url(re.compile(rf"[?&]account={beta.pk}(&|$)"))
    expect(page.locator(".deal", has_text="Beta deal")).to_be_visible()
    expect(page.locator(".deal", has_text="Alice deal")).to_have_count(0)
