"""Every page meets WCAG 2.1 AA as far as axe-core can tell, and keeps to the
Content-Security-Policy, in the real Chromium.

The pages are the route walk's (`test_route_walk.py`, through `test_csp_browser.pages_for`):
every page route of the URLconf that answers a GET, filled with the records of the walk's
world, so a page added later is checked here too. Each is opened once as a rep at phone
width in Chinese and once as the team's manager on a desktop in English (the two ways the
product is used); on each, the browser's CSP reports are collected (`watched_tab`) and
axe-core (bundled by axe-playwright-python) runs the WCAG 2.0/2.1 A and AA rules. A
violation of either fails the test, naming the page, the rule and the elements.

What axe cannot see is tested where it happens: keyboard use in the browser tests of
each feature, and "meaning never by colour alone" by the text beside each colour
(overdue, grades, attitudes), asserted in the page tests.
"""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Error as PlaywrightError

from keyaccounts.pytest_plugin import browser_log_in
from keyaccounts.tests import test_route_walk
from keyaccounts.tests.test_csp_browser import pages_for, watched_tab

world = test_route_walk.world  # the walk's fixture world, used here as it is

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def violations_on(page, path: str) -> list[str] | None:
    """What axe-core finds on the page at `path`; None when `path` is no HTML page."""
    try:
        response = page.goto(path)
    except PlaywrightError as error:
        if "Download is starting" in str(error):
            return None  # a file (a template, an export): not a page
        raise
    if (
        response is None
        or response.status != 200
        or "html" not in response.headers.get("content-type", "")
    ):
        return None  # not a page of its own to check here
    return [f"{path}: {found}" for found in axe_violations(page)]


def axe_violations(page) -> list[str]:
    results = Axe().run(page, options=WCAG_AA)
    found = []
    for violation in results.response["violations"]:
        targets = ", ".join(" ".join(node["target"]) for node in violation["nodes"][:3])
        found.append(f"{violation['id']} ({violation['impact']}): {targets}")
    return found


def test_the_check_finds_what_it_is_for(page, personas):
    """The same check on a page made worse on purpose: an image without a text
    alternative, grey text on white at 2:1, a button with no name."""
    browser_log_in(page, "alice")
    assert axe_violations(page) == []
    page.evaluate(
        """() => {
        const main = document.querySelector("main") || document.body;
        main.insertAdjacentHTML("beforeend",
            '<img src="/static/nothing.png"><p id="faint">faint</p><button></button>');
        document.getElementById("faint").style.color = "#bbb";  // CSSOM: allowed by the CSP
    }"""
    )
    found = " ".join(axe_violations(page))
    assert "image-alt" in found
    assert "color-contrast" in found
    assert "button-name" in found


@pytest.mark.parametrize(
    "persona, width, language",
    [("rep", 390, "zh-hans"), ("manager", 1366, "en")],
    ids=["rep-phone-chinese", "manager-desktop-english"],
)
def test_every_page_passes_axe_core_and_keeps_to_the_policy(
    browser, live_server, world, persona, width, language
):
    page, csp_reports = watched_tab(browser, live_server, width=width)
    try:
        browser_log_in(page, persona)  # in English, then switched as a user would
        if language != "en":
            page.get_by_label("Language").select_option(language)
            page.get_by_role("button", name="Switch").click()
            page.wait_for_load_state()
        paths = pages_for(world, persona)
        assert len(paths) > 40, "the walk should give every page; it gave too few"
        problems = []
        checked = 0
        for path in paths:
            found = violations_on(page, path)
            checked += found is not None
            problems += found or []
        assert checked > 40, f"only {checked} of {len(paths)} pages were HTML pages"
        assert not problems, "axe-core found:\n" + "\n".join(problems)
        assert not csp_reports, "\n".join(csp_reports)
    finally:
        page.context.close()
