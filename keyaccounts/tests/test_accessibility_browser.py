"""Every page meets WCAG 2.1 AA as far as axe-core can tell, in the real Chromium.

The pages are the route walk's (`test_route_walk.py`): every page route of the URLconf
that answers a GET, filled with the records of the walk's world, so a page added later
is checked here too. Each is opened as a rep at phone width in Chinese and as the
team's manager on a desktop in English (the two ways the product is used), and axe-core
(bundled by axe-playwright-python) runs the WCAG 2.0/2.1 A and AA rules on it. A
violation fails the test, naming the page, the rule and the elements.

What axe cannot see is tested where it happens: keyboard use in the browser tests of
each feature, and "meaning never by colour alone" by the text beside each colour
(overdue, grades, attitudes), asserted in the page tests.
"""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Error as PlaywrightError

from keyaccounts.pytest_plugin import browser_log_in
from keyaccounts.tests import test_route_walk
from keyaccounts.tests.test_route_walk import (
    ROUTES,
    all_routes,
    expected_visible,
    fill,
    is_admin,
    kwargs_of,
)

world = test_route_walk.world  # the walk's fixture world, used here as it is

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}

# Pages that are not HTML pages of ours, or that leave the page for another.
NOT_PAGES = {
    "logout",  # GET goes back to the sign-in page
    "set_language",  # GET goes back where it came from
    "healthz",  # JSON for operators
    "people_search",  # JSON for the picker
}


def pages_for(world, persona: str) -> list[tuple[str, str]]:
    """(route name, path) of every page route the persona may open, for the east team's
    records: GET routes that are neither API nor admin, nor only POSTed."""
    pages = []
    for route in all_routes():
        kind = ROUTES.get(route.name)
        if (
            kind is None
            or kind.api
            or kind.post_only
            or is_admin(route)
            or route.name in NOT_PAGES
            or route.pattern.startswith("api/")
            or kind.kind not in ("page", "object", "public")
            or persona in kind.denied
            or 200 not in kind.ok
        ):
            continue
        if kind.kind == "object" and not expected_visible(world, persona, "east", kind):
            continue
        pages.append((route.name, fill(route.pattern, kwargs_of(world, kind, "east"))))
    return pages


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
def test_every_page_passes_axe_core(browser, live_server, world, persona, width, language):
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": width, "height": 900},
        locale="en-US",  # signs in in English, then switches as a user would
    )
    context.set_default_timeout(20_000)
    page = context.new_page()
    try:
        browser_log_in(page, persona)
        if language != "en":
            page.get_by_label("Language").select_option(language)
            page.get_by_role("button", name="Switch").click()
            page.wait_for_load_state()
        pages = pages_for(world, persona)
        assert len(pages) > 40, "the walk should give every page; it gave too few"
        problems = []
        checked = 0
        for _name, path in pages:
            found = violations_on(page, path)
            checked += found is not None
            problems += found or []
        assert checked > 40, f"only {checked} of {len(pages)} pages were HTML pages"
        assert not problems, "axe-core found:\n" + "\n".join(problems)
    finally:
        context.close()
