"""End to end in the real Chromium: moving a deal along the board, stopped by an
unticked outcome; at phone width through a card's move page, at laptop width by
dragging. A column's next cards come in place, and the account filter suggests names."""

import datetime
import re

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import AccountFactory
from keyaccounts.pytest_plugin import browser_log_in
from keyaccounts.tests.test_accessibility_browser import axe_violations
from opportunities.tests.factories import OpportunityFactory, default_stages

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def card(page, stage, name):
    return page.locator(f"#stage-{stage.pk} .deal", has_text=name)


def test_the_move_page_refuses_a_move_short_of_outcomes_and_keeps_the_ticks(page, personas):
    """Without the board's dialog (the page a card's "Move…" opens without JavaScript,
    or a link): the outcomes listed by stage, a refusal keeping what was ticked."""
    stages = default_stages()  # a transactional test starts from a flushed database
    deal = OpportunityFactory(account=personas.account, name="MES phase 1", amount=800000)
    qualify, needs_analysis = stages["qualify"], stages["needs_analysis"]
    browser_log_in(page, "alice")

    page.goto(f"/pipeline/{deal.pk}/move/?next=/pipeline/")
    expect(page.get_by_role("heading", name="Move “MES phase 1”")).to_be_visible()
    expect(page.get_by_role("radio", name="Needs analysis")).to_be_checked()
    outcomes = page.get_by_role("group", name="To leave Qualify:")
    expect(outcomes.get_by_role("checkbox")).to_have_count(3)
    # Only what the chosen stage needs: the later stages' outcomes are not shown.
    expect(page.get_by_role("group", name="To leave Needs analysis:")).to_be_hidden()
    page.get_by_label("The customer confirmed the need").check()
    page.get_by_label("Budget and timing known").check()
    page.get_by_role("button", name="Move").click()

    # Two of three: refused on the same page, naming the one left, the two still ticked.
    expect(page.get_by_role("alert")).to_contain_text("Decider identified")
    expect(page.get_by_label("Budget and timing known")).to_be_checked()
    expect(page.get_by_label("The customer confirmed the need")).to_be_checked()
    expect(page.get_by_label("Decider identified")).not_to_be_checked()
    page.get_by_label("Decider identified").check()
    page.get_by_role("button", name="Move").click()

    expect(page).to_have_url(re.compile(r"/pipeline/$"))
    expect(page.get_by_text("“MES phase 1” moved to Needs analysis.")).to_be_visible()
    expect(card(page, needs_analysis, "MES phase 1")).to_be_visible()
    expect(card(page, qualify, "MES phase 1")).to_have_count(0)


def test_on_a_phone_in_chinese_a_deal_moves_with_its_outcomes_ticked_on_the_board(page, personas):
    """Issue 15: at 375 px in zh-hans, "Move…" on a card asks for the outcomes the move
    needs in a dialog on the board; ticked there, the deal moves — one page load, the
    board's own after the move."""
    stages = default_stages()
    OpportunityFactory(account=personas.account, name="MES 一期", amount=800000)
    page.set_viewport_size({"width": 375, "height": 740})
    browser_log_in(page, "alice", lands_on="/pipeline/")
    page.get_by_role("combobox", name="Language").select_option("zh-hans")
    page.get_by_role("button", name="Switch").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("销售漏斗")

    loads = []
    page.on("load", lambda loaded: loads.append(loaded.url))
    card(page, stages["qualify"], "MES 一期").get_by_role(
        "link", name="推进… “MES 一期”至其他阶段"
    ).click()
    dialog = page.get_by_role("dialog", name="推进“MES 一期”")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("radio", name="需求分析")).to_be_checked()
    expect(dialog.get_by_role("checkbox")).to_have_count(3)  # the later stages' hidden
    # Lost needs nothing; a stage further on needs the stages passed on the way.
    dialog.get_by_role("radio", name="输单").check()
    expect(dialog.get_by_role("checkbox")).to_have_count(0)
    dialog.get_by_role("radio", name="方案设计与呈现").check()
    expect(dialog.get_by_role("checkbox")).to_have_count(6)
    dialog.get_by_role("radio", name="需求分析").check()
    for outcome in ["客户确认了需求", "已了解预算与采购时间", "已确认采购决策者"]:
        dialog.get_by_label(outcome).check()
    box = dialog.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 375, box  # fits the phone
    assert axe_violations(page) == []  # the dialog as axe-core sees it, open on the board
    dialog.get_by_role("button", name="推进", exact=True).click()

    expect(page.get_by_text("“MES 一期”已推进到需求分析阶段。")).to_be_visible()
    expect(card(page, stages["needs_analysis"], "MES 一期")).to_be_visible()
    assert loads == [loads[0]] and loads[0].endswith("/pipeline/"), loads


def test_a_dialog_closed_without_moving_changes_nothing(page, personas):
    stages = default_stages()
    deal = OpportunityFactory(account=personas.account, name="Data platform")
    browser_log_in(page, "alice", lands_on="/pipeline/")
    move = card(page, stages["qualify"], "Data platform").get_by_role(
        "link", name=re.compile("Move")
    )
    move.click()
    dialog = page.get_by_role("dialog", name="Move “Data platform”")
    dialog.get_by_label("The customer confirmed the need").check()
    dialog.get_by_role("link", name="Cancel").click()
    expect(dialog).to_have_count(0)
    expect(move).to_be_focused()  # the keyboard's place kept
    move.press("Enter")
    expect(dialog.get_by_label("The customer confirmed the need")).not_to_be_checked()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
    deal.refresh_from_db()
    assert deal.stage == stages["qualify"] and not deal.criterion_checks.exists()


def test_on_a_laptop_a_card_is_dragged_to_the_next_column_and_to_lost(page, personas):
    stages = default_stages()
    deal = OpportunityFactory(account=personas.account, name="Data platform")
    page.set_viewport_size({"width": 1280, "height": 900})
    browser_log_in(page, "alice", lands_on="/pipeline/")

    # Its outcomes not ticked yet: the drop asks for them, the column's stage chosen.
    card(page, stages["qualify"], "Data platform").drag_to(
        page.locator(f"#stage-{stages['needs_analysis'].pk}")
    )
    dialog = page.get_by_role("dialog", name="Move “Data platform”")
    expect(dialog.get_by_role("radio", name="Needs analysis")).to_be_checked()
    for criterion in stages["qualify"].criteria.all():
        dialog.get_by_label(criterion.name).check()
    dialog.get_by_role("button", name="Move").click()
    expect(page.get_by_text("“Data platform” moved to Needs analysis.")).to_be_visible()
    expect(card(page, stages["needs_analysis"], "Data platform")).to_be_visible()
    deal.refresh_from_db()
    assert deal.criterion_checks.count() == 3

    # Losing needs no outcome: straight to why, with the stage it was dropped on chosen.
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
    page.get_by_role("radio", name="Lost").check()
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
