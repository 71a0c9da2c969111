"""End to end in the real Chromium, at phone width: a visit, its follow-up, my week."""

import re

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import ContactFactory
from keyaccounts.pytest_plugin import browser_log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_rep_logs_a_visit_sees_its_follow_up_on_my_week_logs_it_and_it_is_gone(page, personas):
    ContactFactory(account=personas.account, name="王芳", title="总经理", buying_role="decider")
    ContactFactory(account=personas.account, name="李娜", title="IT", buying_role="evaluator")
    browser_log_in(page, "alice")
    expect(page.get_by_text("No follow-up is open.")).to_be_visible()

    page.get_by_role("link", name="Accounts", exact=True).click()
    page.get_by_role("link", name="Alice's Customer Co").click()
    page.get_by_role("link", name="Log a visit").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Log a visit")
    page.get_by_label("王芳 · 总经理 · Decider").check()
    page.get_by_label("Main talking points").fill("Budget for the pilot")
    page.get_by_label("Next steps and suggestions").fill("Send the proposal")
    page.get_by_role("button", name="Save the visit").click()

    expect(page.get_by_text(re.compile(r"Visit recorded\. Follow up by"))).to_be_visible()
    expect(page.get_by_text("Budget for the pilot")).to_be_visible()

    page.get_by_role("link", name="My week", exact=True).click()
    follow_ups = page.locator("#follow-ups")
    item = follow_ups.locator(".followup")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("Alice's Customer Co")
    expect(item).to_contain_text("王芳")

    item.get_by_role("link").click()
    page.get_by_label("What did the customer say?").fill("Likes the proposal, wants a call")
    page.get_by_role("button", name="Log the follow-up").click()

    expect(page).to_have_url(re.compile(r"/my-week/$"))
    expect(page.get_by_text("Follow-up logged.")).to_be_visible()
    expect(follow_ups.locator(".followup")).to_have_count(0)
    expect(page.get_by_text("No follow-up is open.")).to_be_visible()


def test_a_visit_dated_in_the_future_is_refused_and_the_notes_are_kept(page, personas):
    browser_log_in(page, "alice")
    page.goto(f"/accounts/{personas.account.pk}/visits/new/")
    page.get_by_label("Main talking points").fill("Long notes typed on the road")
    page.get_by_label("Took place").fill("2099-01-01T10:00")
    page.get_by_role("button", name="Save the visit").click()
    expect(
        page.get_by_text("A recorded visit cannot be in the future.", exact=False)
    ).to_be_visible()
    expect(page.get_by_label("Main talking points")).to_have_value("Long notes typed on the road")


def test_a_rep_on_a_phone_in_chinese_logs_a_visit_in_two_page_loads_and_sees_its_follow_up(
    page, personas
):
    """Issue 15: at 375 px in zh-hans, "log a visit" from my week — two characters typed,
    the account picked, the visit saved — takes two page loads, and the follow-up it
    creates is on my week within one screen's scroll, with fifteen overdue before it."""
    from django.utils import timezone

    from accounts.tests.factories import AccountFactory
    from visits.tests.factories import VisitFactory

    account = AccountFactory(owner=personas.alice, name="华盛智能科技有限公司")
    ContactFactory(account=account, name="王芳", title="总经理", buying_role="decider")
    today = timezone.localdate()
    for days in range(20, 35):  # fifteen overdue follow-ups elsewhere
        VisitFactory(
            account=personas.account,
            owner=personas.alice,
            follow_up_due=today - timezone.timedelta(days=days),
        )
    page.set_viewport_size({"width": 375, "height": 740})
    browser_log_in(page, "alice")
    page.get_by_role("combobox", name="Language").select_option("zh-hans")
    page.get_by_role("button", name="Switch").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("我的一周")

    loads = []
    page.on("load", lambda loaded: loads.append(loaded.url))
    box = page.get_by_label("选择要记录拜访的客户")
    box.fill("华盛")  # two characters; the only account whose name holds them
    page.get_by_role("button", name="记录拜访", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("记录拜访")
    page.get_by_label(re.compile("王芳")).check()
    page.get_by_label("主要谈话内容").fill("试点预算")
    page.get_by_role("button", name="保存拜访记录").click()
    expect(page.get_by_text(re.compile("拜访已记录"))).to_be_visible()
    assert len(loads) == 2, loads

    page.get_by_role("link", name="我的一周", exact=True).click()
    item = page.locator('#follow-ups [data-group="week"] .followup', has_text="华盛智能")
    expect(item).to_have_count(1)
    top = item.bounding_box()["y"]
    assert top + item.bounding_box()["height"] <= 2 * 740, f"the follow-up is {top} px down"


def test_back_after_saving_a_visit_then_saving_again_creates_one_visit(page, personas):
    """The browser's Back button brings the saved form back filled in (the page is
    fetched again, its typed values restored): saving it again lands on the visit the
    first save created, with no second one."""
    from visits.models import Visit

    browser_log_in(page, "alice")
    page.goto(f"/accounts/{personas.account.pk}/visits/new/")
    page.get_by_label("Main talking points").fill("Pilot budget agreed")
    page.get_by_role("button", name="Save the visit").click()
    expect(page.get_by_text(re.compile(r"Visit recorded\."))).to_be_visible()
    first = page.url

    page.go_back()
    expect(page.get_by_label("Main talking points")).to_have_value("Pilot budget agreed")
    page.get_by_role("button", name="Save the visit").click()

    expect(page.get_by_text("Already saved: this is the visit you created.")).to_be_visible()
    assert page.url == first
    assert Visit.objects.filter(account=personas.account).count() == 1

    # The form opened anew (a link, not Back) is a new visit, even reached again by Back
    # from another page before it was sent: its entry never sent the first token.
    page.goto(f"/accounts/{personas.account.pk}/visits/new/")
    page.get_by_label("Main talking points").fill("Second meeting")
    page.goto("/my-week/")
    page.go_back()
    expect(page.get_by_label("Main talking points")).to_have_value("Second meeting")
    page.get_by_role("button", name="Save the visit").click()
    expect(page.get_by_text(re.compile(r"Visit recorded\."))).to_be_visible()
    assert page.url != first
    assert Visit.objects.filter(account=personas.account).count() == 2


def test_a_past_time_sent_back_with_an_error_keeps_what_the_rep_typed(page, personas):
    """The form sent back with its errors holds the rep's own time, three days ago: the
    script that freshens a stale default (a form kept on the phone for days) leaves it,
    and the visit is saved at that time once the error is fixed."""
    import datetime

    from django.utils import timezone

    from visits.models import Visit

    when = timezone.localtime() - datetime.timedelta(days=3)
    typed = when.strftime("%Y-%m-%dT10:00")
    browser_log_in(page, "alice")
    page.goto(f"/accounts/{personas.account.pk}/visits/new/")
    page.get_by_label("Main talking points").fill("Met the plant manager")
    page.get_by_label("Took place").fill(typed)
    page.get_by_label("Our attendees").fill("Nobody of that name")
    page.get_by_role("button", name="Save the visit").click()
    expect(page.get_by_text("Nobody of your teams is called", exact=False)).to_be_visible()
    expect(page.get_by_label("Took place")).to_have_value(typed)

    page.get_by_label("Our attendees").fill("")
    page.get_by_role("button", name="Save the visit").click()
    expect(page.get_by_text(re.compile(r"Visit recorded\."))).to_be_visible()
    visit = Visit.objects.get(account=personas.account)
    assert timezone.localtime(visit.occurred_at).strftime("%Y-%m-%dT%H:%M") == typed
