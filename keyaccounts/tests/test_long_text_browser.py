"""What people type without a space (a pasted address, a long code, a name in one word)
wraps on a phone: no page that shows it scrolls sideways at 390 px."""

import pytest

from accounts.tests.factories import CompetitorFactory, ContactFactory
from keyaccounts.pytest_plugin import browser_log_in
from opportunities.tests.factories import OpportunityFactory
from visits.complaints.services import complaint_create
from visits.tests.factories import VisitFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG = "https://example.com/" + "a" * 150  # 170 characters, no space
ONE_WORD = "Z" * 80


def test_long_unbroken_text_wraps_on_every_page_that_shows_it(page, personas):
    account = personas.account
    contact = ContactFactory(account=account, name=ONE_WORD, title="T" * 100)  # at most 100
    CompetitorFactory(account=account, name=ONE_WORD, strengths=LONG, weaknesses=LONG)
    visit = VisitFactory(
        account=account, owner=personas.alice, talking_points=LONG, next_steps=LONG
    )
    visit.place = LONG[:120]  # a meeting link as the place
    visit.save(update_fields=["place"])
    deal = OpportunityFactory(account=account, owner=personas.alice, description=LONG)
    complaint = complaint_create(by=personas.alice, account=account, subject=LONG, description=LONG)
    browser_log_in(page, "alice")

    for path in (
        f"/accounts/{account.pk}/",
        f"/accounts/{account.pk}/brief/",
        f"/visits/{visit.pk}/",
        f"/pipeline/{deal.pk}/",
        f"/complaints/{complaint.pk}/",
        "/my-week/",
        # Forms that list the contacts to check, and the contact's history.
        f"/accounts/{account.pk}/visits/new/",
        f"/visits/{visit.pk}/edit/",
        f"/accounts/{account.pk}/contacts/{contact.pk}/history/",
    ):
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} is {width} px wide"


def test_an_account_named_in_one_word_wraps_in_my_weeks_lists(page, personas):
    """A company name typed without spaces (ShenzhenHuaxinMicroelectronics…) in the
    follow-ups, the next best actions and the notifications, where it sits beside a
    badge or a button: it wraps, and the badge stays on the screen."""
    from accounts.models import Account

    Account.objects.filter(pk=personas.account.pk).update(name=ONE_WORD)
    VisitFactory(account=personas.account, owner=personas.alice)  # its follow-up is due
    browser_log_in(page, "alice")

    for path in ("/", "/my-week/", "/my-week/follow-ups/", "/notifications/"):
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} is {width} px wide"
    page.goto("/my-week/follow-ups/")
    assert page.get_by_text(ONE_WORD).first.is_visible()


def test_long_unbroken_text_stays_within_a_desktop_page(page, personas):
    """At 1280 px too: a table cell or a heading holding a long name or a pasted link
    wraps, so the page never scrolls sideways."""
    from accounts.models import Account

    page.set_viewport_size({"width": 1280, "height": 900})
    Account.objects.filter(pk=personas.account.pk).update(name=ONE_WORD * 2)
    account = personas.account
    contact = ContactFactory(account=account, name=ONE_WORD, title="T" * 100)
    CompetitorFactory(account=account, name=ONE_WORD, strengths=LONG, weaknesses=LONG)
    visit = VisitFactory(
        account=account, owner=personas.alice, talking_points=LONG, next_steps=LONG
    )
    visit.place = LONG[:120]
    visit.save(update_fields=["place"])
    deal = OpportunityFactory(
        account=account, owner=personas.alice, name=ONE_WORD, description=LONG
    )
    complaint = complaint_create(by=personas.alice, account=account, subject=LONG, description=LONG)
    browser_log_in(page, "alice")

    widths = {}
    for path in (
        "/accounts/",
        f"/accounts/{account.pk}/",
        f"/accounts/{account.pk}/brief/",
        f"/accounts/{account.pk}/contacts/",
        f"/accounts/{account.pk}/contacts/{contact.pk}/history/",
        "/visits/",
        f"/visits/{visit.pk}/",
        "/pipeline/",
        f"/pipeline/{deal.pk}/",
        "/complaints/",
        f"/complaints/{complaint.pk}/",
        "/my-week/",
        "/dashboard/",
        "/relationships/",
        "/notifications/",
    ):
        page.goto(path)
        widths[path] = page.evaluate("document.documentElement.scrollWidth")
    assert {path: width for path, width in widths.items() if width > 1280} == {}


def test_a_message_repeating_a_long_value_wraps_on_a_phone(page, personas):
    """A link's value the page cannot read is said back in its message (a group of
    follow-ups, 50 characters of it): it wraps inside the message."""
    browser_log_in(page, "alice")
    for path in (f"/my-week/follow-ups/?due={'x' * 80}", f"/my-week/planned/?when={'y' * 80}"):
        page.goto(path)
        assert page.locator(".msg-warning").is_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} is {width} px wide"
