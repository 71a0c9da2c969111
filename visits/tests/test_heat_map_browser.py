"""The relationship heat-map in the real Chromium at phone width (issue 14: "it works at
phone width: rows scroll, the header stays"): the page itself fits the screen, and the
table scrolls inside its own box."""

import pytest

from accounts.models import Attitude, BuyingRole
from accounts.tests.factories import AccountFactory, ContactFactory
from keyaccounts.pytest_plugin import browser_log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_at_phone_width_the_table_scrolls_in_its_box_and_the_page_fits_the_screen(page, personas):
    for number in range(3):
        account = AccountFactory(owner=personas.alice, name=f"华盛智能科技有限公司 {number}")
        for role in (BuyingRole.DECIDER, BuyingRole.EVALUATOR, BuyingRole.USER):
            ContactFactory(
                account=account,
                name=f"王芳{role}",
                buying_role=role,
                attitude=Attitude.SUPPORTER,
            )
    page.set_viewport_size({"width": 375, "height": 740})
    browser_log_in(page, "alice")
    page.goto("/relationships/")
    table_box = page.locator(".table-scroll").first
    # Every cell writes its words for a screen reader in a visually hidden span, placed
    # absolutely: without a box that holds them they widened the whole page to 770 px.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert table_box.evaluate("box => box.scrollWidth > box.clientWidth")  # it scrolls
    table_box.evaluate("box => { box.scrollLeft = box.scrollWidth; }")
    first_column = page.locator("table.matrix tbody th").first
    assert first_column.is_visible()
    left = first_column.evaluate("cell => cell.getBoundingClientRect().left")
    box_left = table_box.evaluate("box => box.getBoundingClientRect().left")
    assert left <= box_left + 1  # the account's column stays at the left edge as it scrolls


def test_scrolled_both_ways_the_header_and_its_corner_stay_on_top(page, personas):
    """Scrolled right, the account column's header stays in the corner, over the other
    headers passing under it; scrolled down, the header row stays over the rows (the
    account column's cells included)."""
    for number in range(12):
        account = AccountFactory(owner=personas.alice, name=f"华盛智能科技有限公司 {number:02}")
        for role in (BuyingRole.DECIDER, BuyingRole.EVALUATOR, BuyingRole.USER):
            ContactFactory(account=account, name=f"王芳{role}", buying_role=role)
    page.set_viewport_size({"width": 375, "height": 740})
    browser_log_in(page, "alice")
    page.goto("/relationships/")
    box = page.locator(".table-scroll").first
    box.scroll_into_view_if_needed()
    box.evaluate("box => { box.scrollLeft = box.scrollWidth; box.scrollTop = 400; }")
    # What is drawn at a point inside the cell (near its right edge: the last column's
    # left part passes under the account column's, as it should): the cell, or the
    # element on top of it.
    on_top = """cell => {
        const r = cell.getBoundingClientRect();
        const hit = document.elementFromPoint(r.right - 5, r.top + r.height / 2);
        return hit !== null && cell.contains(hit) ? true : hit && hit.outerHTML.slice(0, 120);
    }"""
    corner = page.locator("table.matrix thead th").first
    hit = corner.evaluate(on_top)
    assert hit is True, f"the corner header is covered: {hit}"
    last = page.locator("table.matrix thead th").last
    hit = last.evaluate(on_top)
    assert hit is True, f"a column's header is covered by the rows: {hit}"


def test_on_a_desktop_the_level_checks_wrap_and_the_table_fits_its_box(page, personas):
    """An A account's three level checks, each a sentence with a link to plan the visit,
    wrap within their column: the table is as wide as its box, nothing to scroll to."""
    from scoring.services import rescore
    from scoring.tests.builders import strong_soon_account

    accounts = [
        strong_soon_account(personas.alice, name=f"东莞华信高新区管委会 {number}")
        for number in range(3)
    ]
    for account in accounts:
        for role in (BuyingRole.DECIDER, BuyingRole.EVALUATOR, BuyingRole.USER):
            ContactFactory(account=account, name=f"谭春燕{role}", buying_role=role)
    rescore([account.pk for account in accounts])
    page.set_viewport_size({"width": 1280, "height": 900})
    browser_log_in(page, "alice")
    page.goto("/relationships/")
    assert page.locator("td[data-levels] ul.levels li").count() >= 9  # three checks each
    box = page.locator(".table-scroll").first
    assert box.evaluate("box => box.scrollWidth <= box.clientWidth + 1")
