"""Issue 15, with no signal, in the real Chromium: the installable app's service worker
keeps my week, the rep's accounts and their visit forms; a visit logged with the network
off is kept on the phone ("waiting to send"), and sent exactly once through the API when
the network is back, in a new tab (the browser closed and opened again); a visit the
server refuses says why, and opens filled in as typed to be fixed, or is discarded.

The network is taken away from the page (`set_offline`) and from the service worker
(its requests aborted through `context.route`: `set_offline` does not reach them)."""

import datetime
import json
import re
import time

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.tests.factories import AccountFactory, ContactFactory
from keyaccounts.pytest_plugin import browser_log_in
from keyaccounts.tests.test_accessibility_browser import axe_violations
from visits.models import Visit

pytestmark = [
    pytest.mark.browser,
    pytest.mark.service_worker,
    pytest.mark.django_db(transaction=True),
]


def _no_network_for_the_worker(route):
    if route.request.service_worker:
        route.abort("internetdisconnected")
    else:
        route.continue_()


def _no_network(route):
    route.abort("internetdisconnected")


def go_offline(context):
    context.set_offline(True)
    context.route("**/*", _no_network_for_the_worker)


def go_online(context):
    context.unroute("**/*", _no_network_for_the_worker)
    context.set_offline(False)


def eventually(page, script: str, arg=None, *, what: str, seconds: float = 15) -> None:
    """Poll an async page `script` until it answers true (`page.evaluate` awaits it;
    `wait_for_function` would take the promise itself for true)."""
    deadline = time.monotonic() + seconds
    while not page.evaluate(script, arg):
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds} s: {what}")
        page.wait_for_timeout(200)


def kept_by_the_worker(page, path, *, holding=""):
    """Wait until the service worker has kept the page at `path` (with `holding` in it)."""
    eventually(
        page,
        """async ([path, holding]) => {
            const cache = await caches.open("keyaccounts-pages");
            const url = new URL(path, location.origin).href;
            const kept = await cache.match(url, { ignoreVary: true });
            return !!kept && (await kept.text()).includes(holding);
        }""",
        [path, holding],
        what=f"{path} kept by the service worker",
    )


@pytest.fixture
def huasheng(personas):
    account = AccountFactory(owner=personas.alice, name="华盛智能科技有限公司")
    ContactFactory(account=account, name="王芳", title="总经理", buying_role="decider")
    return account


def kept_everything(page, language: str) -> None:
    """Wait until the worker has kept every page my week names, in `language`: no page
    is still being fetched for it when the test goes on (or ends — a request still
    running then would hold the live server's SQLite database)."""
    urls = json.loads(page.locator("[data-offline-keep]").get_attribute("data-offline-keep"))
    for url in urls:
        kept_by_the_worker(page, url, holding=f'lang="{language}"')


def open_with_a_signal(page, account, *, chinese=False):
    """Sign in (my week names the rep's accounts to keep) and wait until the worker
    controls the page and has kept my week, the rep's accounts and their visit forms."""
    page.set_viewport_size({"width": 375, "height": 740})
    browser_log_in(page, "alice")
    eventually(
        page,
        """async () => {
            const registration = await navigator.serviceWorker.getRegistration();
            return !!(registration && registration.active);
        }""",
        what="the service worker active",
    )
    kept_everything(page, "en")
    if chinese:
        page.get_by_role("combobox", name="Language").select_option("zh-hans")
        page.get_by_role("button", name="Switch").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("我的一周")
        kept_everything(page, "zh-hans")
    page.reload()  # my week again, now through the worker
    page.wait_for_function("() => !!navigator.serviceWorker.controller")
    assert f"/accounts/{account.pk}/visits/new/" in page.locator(
        "[data-offline-keep]"
    ).get_attribute("data-offline-keep")


ENGLISH = {
    "when": "Took place",
    "duration": "Duration (minutes)",
    "place": "Place",
    "talking": "Main talking points",
    "views": "The customer's views",
    "next": "Next steps and suggestions",
}
CHINESE = {
    "when": "拜访时间",
    "duration": "时长（分钟）",
    "place": "地点",
    "talking": "主要谈话内容",
    "views": "客户意见",
    "next": "下一步建议",
}


def fill_the_visit(page, *, when, labels=ENGLISH):
    page.get_by_label(labels["when"]).fill(when)
    page.get_by_label(re.compile("王芳")).check()
    page.get_by_label(labels["duration"]).fill("45")
    page.get_by_label(labels["place"], exact=True).fill("客户总部三楼")
    page.get_by_label(labels["talking"]).fill("试点预算与上线时间")
    page.get_by_label(labels["views"]).fill("认可方案，担心实施周期")
    page.get_by_label(labels["next"]).fill("下周提交实施计划")


def test_a_visit_logged_with_no_signal_is_sent_exactly_once_when_the_signal_is_back(
    page, personas, huasheng
):
    """At 375 px in Chinese (issue 15's round trip)."""
    context = page.context
    open_with_a_signal(page, huasheng, chinese=True)
    expect(page.locator("link[rel=manifest]")).to_have_count(1)

    go_offline(context)
    # The account and its buying center open with no signal, and its visit form.
    page.goto(f"/accounts/{huasheng.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("华盛智能科技有限公司")
    expect(page.get_by_text("王芳").first).to_be_visible()
    page.goto(f"/accounts/{huasheng.pk}/visits/new/")
    when = (timezone.localtime() - datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    fill_the_visit(page, when=when, labels=CHINESE)
    page.get_by_role("button", name="保存拜访记录").click()

    outbox = page.locator("[data-outbox]")
    expect(outbox).to_contain_text("没有信号：已保存在本机")
    entry = outbox.locator(".outbox-item", has_text="华盛智能科技有限公司")
    expect(entry).to_contain_text("待发送")
    expect(entry).to_contain_text("试点预算与上线时间")
    assert Visit.objects.count() == 0
    page.close()

    # The browser opened again, with a signal: the outbox goes out by itself.
    go_online(context)
    again = context.new_page()
    again.goto("/my-week/")
    expect(again.locator("[data-outbox]")).to_contain_text("已发送")
    expect(again.locator(".outbox-item")).to_have_count(0)
    [visit] = Visit.objects.all()
    assert visit.account == huasheng and visit.owner == personas.alice
    assert visit.status == "done"
    assert [c.name for c in visit.contacts.all()] == ["王芳"]
    assert timezone.localtime(visit.occurred_at).strftime("%Y-%m-%dT%H:%M") == when
    assert (visit.duration_minutes, visit.place) == (45, "客户总部三楼")
    assert visit.talking_points == "试点预算与上线时间"
    assert visit.customer_views == "认可方案，担心实施周期"
    assert visit.next_steps == "下周提交实施计划"
    assert visit.follow_up_due == timezone.localdate(visit.occurred_at) + datetime.timedelta(days=7)


def test_a_visit_the_server_refuses_says_why_and_is_fixed_or_discarded(page, personas, huasheng):
    context = page.context
    open_with_a_signal(page, huasheng)
    go_offline(context)
    page.goto(f"/accounts/{huasheng.pk}/visits/new/")
    tomorrow = (timezone.localtime() + datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    fill_the_visit(page, when=tomorrow)  # a visit cannot have taken place tomorrow
    page.get_by_role("button", name="Save the visit").click()
    expect(page.locator("[data-outbox]")).to_contain_text("No signal")
    expect(page.locator(".outbox-item")).to_contain_text("Waiting to send")
    page.close()

    go_online(context)
    page = context.new_page()
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto("/my-week/")
    entry = page.locator(".outbox-item", has_text="华盛智能科技有限公司")
    expect(entry).to_contain_text("Not sent: the server refused it.")
    # The field as the form names it, and the server's reason.
    expect(entry.locator(".outbox-reasons")).to_contain_text("Took place: ")
    assert axe_violations(page) == []  # the outbox as axe-core sees it, a refusal shown
    assert Visit.objects.count() == 0

    # Fixed: its form opens as typed; the date corrected, it is saved as usual.
    entry.get_by_role("link", name="Fix and send").click()
    expect(page.get_by_label("Main talking points")).to_have_value("试点预算与上线时间")
    expect(page.get_by_label(re.compile("王芳"))).to_be_checked()
    # The server's reason beside its field, as the page shows its own errors.
    took_place = page.get_by_label("Took place")
    expect(took_place).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".error", has_text="cannot be in the future")).to_be_visible()
    assert axe_violations(page) == []
    earlier = (timezone.localtime() - datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    page.get_by_label("Took place").fill(earlier)
    # Mended, but wrong elsewhere: refused again, the new reason beside its field and the
    # old one gone from the field mended.
    late = (timezone.localdate() + datetime.timedelta(days=20)).isoformat()
    page.get_by_label("Follow-up due").fill(late)
    page.get_by_role("button", name="Save the visit").click()
    expect(page.locator(".error", has_text="Follow up within a week")).to_be_visible()
    expect(page.get_by_label("Follow-up due")).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".error", has_text="cannot be in the future")).to_have_count(0)
    expect(took_place).not_to_have_attribute("aria-invalid", "true")
    page.get_by_label("Follow-up due").fill("")
    page.get_by_role("button", name="Save the visit").click()
    # Sent through the outbox as fixed, under its key; my week says so.
    expect(page).to_have_url(re.compile(r"/my-week/\?outbox=sent$"))
    expect(page.locator("[data-outbox]")).to_contain_text("Sent now")
    expect(page.locator(".outbox-item")).to_have_count(0)
    assert Visit.objects.get().talking_points == "试点预算与上线时间"

    # Another one refused, discarded: gone from the phone, nothing on the server.
    go_offline(context)
    page.goto(f"/accounts/{huasheng.pk}/visits/new/")
    fill_the_visit(page, when=tomorrow)
    page.get_by_role("button", name="Save the visit").click()
    expect(page.locator("[data-outbox]")).to_contain_text("No signal")
    page.close()
    go_online(context)
    page = context.new_page()
    page.goto("/my-week/")
    entry = page.locator(".outbox-item")
    expect(entry).to_contain_text("Not sent")
    page.once("dialog", lambda dialog: dialog.accept())
    entry.get_by_role("button", name="Discard").click()
    expect(page.locator(".outbox-item")).to_have_count(0)
    assert Visit.objects.count() == 1


def test_a_colleague_typed_by_name_with_no_signal_is_found_by_the_server_when_it_is_back(
    page, personas, huasheng
):
    """No signal, no suggestions: a colleague typed by name goes as typed, and the
    server finds them as the form's picker would (bob by his full name)."""
    context = page.context
    open_with_a_signal(page, huasheng)
    go_offline(context)
    page.goto(f"/accounts/{huasheng.pk}/visits/new/")
    earlier = (timezone.localtime() - datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    fill_the_visit(page, when=earlier)
    page.locator('input[name="attendees_name"]').fill("Ben Bao")
    page.get_by_role("button", name="Save the visit").click()
    expect(page.locator("[data-outbox]")).to_contain_text("No signal")

    go_online(context)
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    expect(page.locator(".outbox-item")).to_have_count(0)
    visit = Visit.objects.get()
    assert list(visit.attendees.all()) == [personas.bob]


def test_a_colleague_typed_who_is_nobody_of_the_team_is_refused_beside_the_field(
    page, personas, huasheng
):
    """The server's words for a name nobody of the rep's teams has, on the outbox entry
    and beside the colleagues' box of the form it opens; once refused, "kept, sent when
    there is a signal" no longer stands beside it."""
    context = page.context
    open_with_a_signal(page, huasheng)
    go_offline(context)
    page.goto(f"/accounts/{huasheng.pk}/visits/new/")
    earlier = (timezone.localtime() - datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    fill_the_visit(page, when=earlier)
    page.locator('input[name="attendees_name"]').fill("王五不存在")
    page.get_by_role("button", name="Save the visit").click()
    outbox = page.locator("[data-outbox]")
    expect(outbox).to_contain_text("No signal")

    go_online(context)
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    entry = page.locator(".outbox-item")
    expect(entry).to_contain_text("Not sent: the server refused it.")
    said = "Nobody of your teams is called “王五不存在”: pick someone from the list."
    expect(entry.locator(".outbox-reasons")).to_contain_text(said)
    expect(outbox).not_to_contain_text("No signal")
    assert Visit.objects.count() == 0
    entry.get_by_role("link", name="Fix and send").click()
    typed = page.locator('input[name="attendees_name"]')
    expect(typed).to_have_value("王五不存在")
    expect(typed).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".field.has-error")).to_contain_text(said)


def test_two_visits_typed_on_one_page_with_no_signal_are_both_kept(page, personas, huasheng):
    """Back to the form after keeping a visit offline, a second visit typed there is a
    second entry of the outbox, not the first one overwritten (the form token, which
    keys the entry, is the page's own offline: form_token.js leaves it alone)."""
    context = page.context
    open_with_a_signal(page, huasheng)
    go_offline(context)
    page.goto(f"/accounts/{huasheng.pk}/visits/new/")
    earlier = (timezone.localtime() - datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    fill_the_visit(page, when=earlier)
    page.get_by_role("button", name="Save the visit").click()
    expect(page.locator("[data-outbox]")).to_contain_text("No signal")
    page.go_back()
    page.get_by_label("Main talking points").fill("A second, different meeting")
    page.get_by_role("button", name="Save the visit").click()
    expect(page.locator("[data-outbox]")).to_contain_text("No signal")
    expect(page.locator(".outbox-item")).to_have_count(2)


def test_a_follow_up_logged_with_no_signal_is_sent_when_the_signal_is_back(
    page, personas, huasheng
):
    from visits.tests.factories import VisitFactory

    visit = VisitFactory(
        account=huasheng,
        owner=personas.alice,
        occurred_at=timezone.now() - datetime.timedelta(days=3),
    )
    context = page.context
    open_with_a_signal(page, huasheng)
    kept_by_the_worker(page, f"/visits/{visit.pk}/")  # my week shows its follow-up

    go_offline(context)
    page.goto(f"/visits/{visit.pk}/")
    page.get_by_label("What did the customer say?").fill("客户满意，下月续约")
    page.get_by_label("By visit").check()
    page.get_by_role("button", name="Log the follow-up").click()
    entry = page.locator(".outbox-item")
    expect(entry).to_contain_text("Follow-up · 华盛智能科技有限公司")
    expect(entry).to_contain_text("Waiting to send")
    page.close()

    go_online(context)
    again = context.new_page()
    again.goto("/my-week/")
    expect(again.locator("[data-outbox]")).to_contain_text("Sent now")
    visit.refresh_from_db()
    assert visit.followed_up_on == timezone.localdate()
    assert (visit.follow_up_method, visit.follow_up_feedback) == ("visit", "客户满意，下月续约")
    assert visit.followed_up_by == personas.alice


def test_an_answer_lost_on_the_way_back_creates_the_visit_once(page, personas, huasheng):
    """The server saves the visit but its answer never reaches the phone: the entry stays
    waiting, and sending it again (same key) creates nothing twice."""
    context = page.context
    open_with_a_signal(page, huasheng)
    go_offline(context)
    page.goto(f"/accounts/{huasheng.pk}/visits/new/")
    fill_the_visit(
        page, when=(timezone.localtime() - datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    )
    page.get_by_role("button", name="Save the visit").click()
    expect(page.locator(".outbox-item")).to_contain_text("Waiting to send")
    page.close()

    go_online(context)
    lost = []

    def answer_lost(route):
        route.fetch()  # it reaches the server, which saves the visit ...
        lost.append(route.request.headers.get("idempotency-key"))
        route.abort("connectionreset")  # ... and the answer is lost

    context.route("**/api/v1/visits/", answer_lost)
    again = context.new_page()
    again.goto("/my-week/")
    deadline = time.monotonic() + 15
    while not lost and time.monotonic() < deadline:
        again.wait_for_timeout(100)
    again.wait_for_timeout(500)  # the failed send settles
    expect(again.locator(".outbox-item")).to_contain_text("Waiting to send")
    assert len(lost) == 1 and Visit.objects.count() == 1
    context.unroute("**/api/v1/visits/", answer_lost)

    again.reload()
    expect(again.locator("[data-outbox]")).to_contain_text("Sent now")
    expect(again.locator(".outbox-item")).to_have_count(0)
    assert Visit.objects.count() == 1


def test_a_form_posted_as_the_network_fails_under_the_worker_is_kept(page, personas, huasheng):
    """The browser believes it is online, but the network fails: the service worker
    keeps the posted form in the outbox and opens my week, where it waits."""
    context = page.context
    open_with_a_signal(page, huasheng)
    page.goto(f"/accounts/{huasheng.pk}/visits/new/")
    fill_the_visit(
        page, when=(timezone.localtime() - datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    )
    context.route("**/*", _no_network)  # the page stays "online"
    page.get_by_role("button", name="Save the visit").click()
    expect(page).to_have_url(re.compile(r"/my-week/\?outbox=kept$"))
    expect(page.locator(".outbox-item")).to_contain_text("Waiting to send")
    page.wait_for_timeout(500)  # a send tried now fails too
    expect(page.locator(".outbox-item")).to_contain_text("Waiting to send")
    assert Visit.objects.count() == 0

    context.unroute("**/*", _no_network)
    page.goto("/my-week/")
    expect(page.locator("[data-outbox]")).to_contain_text("Sent now")
    [visit] = Visit.objects.all()
    assert visit.talking_points == "试点预算与上线时间"
    assert [c.name for c in visit.contacts.all()] == ["王芳"]
