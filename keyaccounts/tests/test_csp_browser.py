"""In the real Chromium, no page breaks the Content-Security-Policy (issue 12).

`test_csp.py` reads the HTML; here the browser enforces the policy and reports what it
blocks — an inline script or style, a handler, a style a script writes as HTML, a
resource of another origin — in its console ("… violates the following Content Security
Policy directive …"), and a `securitypolicyviolation` listener reports the same. Every
page of the route walk (`test_route_walk.py`: its routes and world) is opened as a rep
and as the team's manager in `test_accessibility_browser.py`, which watches both the
policy and axe-core in one pass; here the admin's pages as a superuser, the API docs
(Swagger UI, rendered), and what scripts change after the page loads: a picker filled as
the user types, the language switch.
"""

import re

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

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

world = test_route_walk.world  # the route walk's records, as a fixture here too

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Logs every violation the page's own document sees, in case the console's wording moves.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (event) {
  console.error("Content Security Policy violation: " + event.violatedDirective + " blocked "
    + (event.blockedURI || "inline code") + " at " + event.sourceFile + ":" + event.lineNumber);
});
"""

# Routes that are no HTML page of ours or leave the page (a GET of a sign-out, JSON).
NOT_PAGES = {"logout", "set_language", "healthz", "people_search", "accounts:search"}


def pages_for(world, persona: str) -> list[str]:
    """The path of every page route the persona may open, for the East team's records."""
    paths = []
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
        paths.append(fill(route.pattern, kwargs_of(world, kind, "east")))
    return paths


def watched_tab(browser, live_server, *, width: int = 1280):
    """A tab whose CSP reports are collected into the returned list."""
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}, locale="en-US"
    )
    context.set_default_timeout(15_000)
    context.add_init_script(REPORT_VIOLATIONS)
    page = context.new_page()
    reports: list[str] = []

    def on_console(message):
        if "Content Security Policy" in message.text:
            reports.append(f"{page.url}: {message.text}")

    page.on("console", on_console)
    return page, reports


def open_page(page, path: str) -> None:
    try:
        page.goto(path, wait_until="load")
    except PlaywrightError as error:
        if "Download is starting" not in str(error):  # a file (a template, an export)
            raise


def test_the_admin_and_the_api_docs_keep_to_the_policy(browser, live_server, world):
    account = world.records["east"].account
    account.name = "East Customer, renamed"  # a second entry on its History page
    account.save()
    page, reports = watched_tab(browser, live_server)
    browser_log_in(page, "admin", lands_on="/admin/")
    for path in (
        "/admin/",
        "/admin/accounts/account/",
        f"/admin/accounts/account/{account.pk}/change/",
        "/admin/accounts/account/add/",
        "/admin/accounts/user/add/",
        "/admin/opportunities/opportunity/",
        f"/admin/opportunities/opportunity/{world.records['east'].deal.pk}/change/",
    ):
        open_page(page, path)
        expect(page.locator("#content")).to_be_visible()
    # django-simple-history's History page: its one style attribute allowed by its hash
    open_page(page, f"/admin/accounts/account/{account.pk}/history/")
    paginator = page.locator("p.paginator")
    expect(paginator).to_have_css("border-top-width", "0px")
    # the API docs: Swagger UI's script and styles from files, the operations drawn
    open_page(page, "/api/v1/docs/")
    expect(page.locator(".opblock").first).to_be_visible(timeout=60_000)
    page.locator(".opblock-summary").first.click()
    expect(page.locator(".opblock-body").first).to_be_visible()
    assert page.evaluate("getComputedStyle(document.body).margin") == "0px"
    assert not reports, "\n".join(reports)


def test_what_scripts_change_after_loading_keeps_to_the_policy(browser, live_server, world):
    page, reports = watched_tab(browser, live_server)
    browser_log_in(page, "rep")
    # a picker: suggestions fetched and put in its datalist as the user types
    open_page(page, "/visits/new/")
    box = page.locator("input[data-picker-search]").first
    box.press_sequentially("East", delay=30)
    expect(page.locator(f"datalist#{box.get_attribute('list')} option").first).to_be_attached()
    # the language switch: a form posted, the page again in Chinese
    page.locator("#language-select").select_option("zh-hans")
    page.locator(".langswitch button").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    assert not reports, "\n".join(reports)
    # the watch itself sees a violation: HTML with a style attribute, written by a script
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<p style=\"color: red\">x</p>')")
    page.wait_for_function("document.body.lastElementChild.tagName === 'P'")
    page.wait_for_timeout(200)
    assert any(re.search(r"style-src", report) for report in reports), reports


@pytest.mark.parametrize(
    "expected",
    ["refused", pytest.param("registered", marks=pytest.mark.service_worker)],
)
def test_a_tab_of_its_own_lets_the_service_worker_in_only_when_the_test_is_marked(
    browser, live_server, expected
):
    """Every context `browser` opens, not only the `page` fixture's, keeps the app's
    service worker out unless the test is marked `service_worker`: its background
    requests beside a test's own once hung the SQLite live server."""
    page, _ = watched_tab(browser, live_server)
    try:
        page.goto("/login/")
        # Playwright's block makes register() a no-op that resolves to nothing.
        outcome = page.evaluate(
            "navigator.serviceWorker.register('/sw.js')"
            ".then(found => found ? 'registered' : 'refused', () => 'refused')"
        )
        assert outcome == expected
    finally:
        page.context.close()
