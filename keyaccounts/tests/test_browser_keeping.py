"""End to end in the real Chromium, as a key-account manager keeps a group customer
(issue 13): the group page names the subsidiary nobody with the final word is known
at; an overdue complaint is opened from the dashboard's breach number; and a deal at
an account over its credit limit, stopped on its way to a closing stage and sent for
approval by the rep, is approved with a reason and moves on, the reason in its history."""

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import BuyingRole
from accounts.tests.factories import AccountFactory, ContactFactory
from keyaccounts.pytest_plugin import browser_log_in
from keyaccounts.tests.test_accessibility_browser import axe_violations
from opportunities import services as deal_services
from opportunities.tests.factories import OpportunityFactory, default_stages
from scoring import services as scoring_services
from scoring.models import MonthlySales
from visits.complaints.tests.helpers import record

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def group_customer(personas):
    """Huadong Group (alice's) with two subsidiaries: the Ningbo plant (bob's) knows its
    decider, the Suzhou works (carol's) only an engineer."""
    parent = AccountFactory(name="Huadong Group", owner=personas.alice)
    ningbo = AccountFactory(name="Huadong Ningbo Plant", owner=personas.bob, parent=parent)
    suzhou = AccountFactory(name="Huadong Suzhou Works", owner=personas.carol, parent=parent)
    ContactFactory(account=parent, name="Zhang Wei", buying_role=BuyingRole.DECIDER)
    ContactFactory(account=ningbo, name="Li Na", buying_role=BuyingRole.DECIDER)
    ContactFactory(account=suzhou, name="Wang Fang", buying_role=BuyingRole.USER)
    return parent, ningbo, suzhou


def over_its_credit_limit(account):
    """¥150,000 owed at the end of this month against a ¥100,000 limit."""
    account.credit_limit = Decimal(100_000)
    account.save()
    MonthlySales.objects.create(
        account=account,
        month=timezone.localdate().replace(day=1),
        sales=Decimal(150_000),
        receivables=Decimal(150_000),
    )


def deal_ready_to_leave_bid(account, owner, stages):
    """A deal in the bid stage with its bid outcomes ticked: only the money gate stops it."""
    deal = OpportunityFactory(
        account=account,
        owner=owner,
        name="Line 3 retrofit",
        stage=stages["bid"],
        probability=60,
        amount=Decimal(480_000),
        expected_close_date=timezone.localdate() + datetime.timedelta(days=30),
    )
    for criterion in stages["bid"].criteria.all():
        deal_services.criterion_set(opportunity=deal, criterion=criterion, checked=True, by=owner)
    return deal


def accessible(page) -> None:
    """The page as it is now (these records in the states the route walk's world does
    not reach: flags raised, deadlines passed, a request waiting) meets WCAG AA by axe."""
    assert axe_violations(page) == [], page.url


def test_a_manager_keeps_a_group_customer(page, personas):
    scoring_services.active_model()  # a transactional test starts from a flushed database
    stages = default_stages()
    parent, ningbo, suzhou = group_customer(personas)
    over_its_credit_limit(parent)
    deal = deal_ready_to_leave_bid(parent, personas.alice, stages)
    # Received six weeks ago and never answered: past both deadlines.
    record(
        personas,
        account=ningbo,
        by=personas.bob,
        subject="Wrong labels on the pallets",
        received_at=timezone.now() - datetime.timedelta(days=45),
    )

    # The rep tries to move the deal on; the money risk sends her to ask a manager.
    browser_log_in(page, "alice")
    page.goto(f"/pipeline/{deal.pk}/")
    page.get_by_role("button", name="Save and move to Negotiation").click()
    expect(page.get_by_role("heading", name="Request approval")).to_be_visible()
    expect(page.locator("main")).to_contain_text(
        "Huadong Group is over its credit limit (¥150,000 owed, limit ¥100,000)"
    )
    expect(page.get_by_label("Negotiation")).to_be_checked()
    accessible(page)
    page.get_by_label("Why the move should go ahead").fill(
        "Finance agreed a payment plan: ¥60,000 by the 15th"
    )
    page.get_by_role("button", name="Request approval").click()
    expect(
        page.get_by_text("Approval requested: a manager of the team has been notified.")
    ).to_be_visible()
    expect(page.get_by_role("heading", name="Stage: Bid / tender")).to_be_visible()
    page.context.clear_cookies()

    # The manager opens the group from its parent company's page.
    browser_log_in(page, "manager")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Accounts").click()
    page.get_by_role("link", name="Huadong Group", exact=True).click()
    expect(page.get_by_role("list", name="Money warnings")).to_contain_text(
        "Over its credit limit: ¥150,000 owed, limit ¥100,000."
    )
    accessible(page)
    page.get_by_role("region", name="Group").get_by_role("link", name="2 subsidiaries").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Group Huadong Group")
    tree = page.locator("#tree")
    # Three companies; on this phone width each is a card whose figures carry their own
    # labels, so the header row is not shown.
    expect(tree.get_by_role("row")).to_have_count(3)
    expect(tree.get_by_role("row").first).to_contain_text("Huadong Group")
    expect(tree.get_by_role("row", name=re.compile("Huadong Suzhou Works"))).to_contain_text(
        "No decider"
    )
    expect(tree.get_by_role("row", name=re.compile("Huadong Ningbo Plant"))).not_to_contain_text(
        "No decider"
    )
    centers = page.get_by_role("region", name="Buying centers")
    expect(centers).to_contain_text("1 company without an active decider")
    expect(centers.get_by_role("listitem")).to_have_text(["Huadong Suzhou Works No decider"])
    accessible(page)

    # An overdue complaint, from the dashboard's breach number to its page.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    complaints = page.get_by_role("region", name="Complaints")
    not_answered = complaints.get_by_role("link", name=re.compile("Not answered in time"))
    expect(not_answered).to_contain_text("1")
    accessible(page)
    not_answered.click()
    expect(page.get_by_role("heading", name="Complaints", level=1)).to_be_visible()
    expect(page.get_by_text("1 complaint", exact=True)).to_be_visible()
    row = page.get_by_role("row", name=re.compile("Wrong labels on the pallets"))
    expect(row).to_contain_text("Huadong Ningbo Plant")
    expect(row).to_contain_text(re.compile(r"Overdue by [\d.]+ working days"))
    accessible(page)
    row.get_by_role("link", name="Wrong labels on the pallets").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Complaint: Wrong labels on the pallets"
    )
    service_level = page.get_by_role("region", name="Service level")
    expect(service_level.get_by_role("term")).to_have_text(["Answer due by", "Resolution due by"])
    expect(service_level.get_by_role("definition")).to_have_text(
        [
            re.compile(r"Overdue by [\d.]+ working days"),
            re.compile(r"Overdue by [\d.]+ working days"),
        ]
    )
    accessible(page)

    # The deal waiting for approval, from the manager's week.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My week").click()
    waiting = page.get_by_role("region", name="Approvals waiting for you")
    expect(waiting.get_by_role("listitem")).to_have_text(
        re.compile(
            r"Line 3 retrofit · Huadong Group · Bid / tender → Negotiation · ¥480,000\s+"
            + re.escape(f"asked by {personas.alice}")
        )
    )
    accessible(page)
    waiting.get_by_role("link", name="Line 3 retrofit").click()
    expect(page).to_have_url(re.compile(rf"/pipeline/{deal.pk}/#approvals$"))
    section = page.get_by_role("region", name="Approvals to close")
    request = section.get_by_role("listitem").filter(has_text="Move to Negotiation")
    expect(request).to_contain_text("Waiting for a manager")
    expect(request).to_contain_text(f"Move to Negotiation, asked by {personas.alice}")
    expect(request).to_contain_text("over its credit limit")
    expect(request).to_contain_text("Finance agreed a payment plan: ¥60,000 by the 15th")
    accessible(page)
    request.get_by_label("Note to the rep (optional)").fill(
        "Approved against the payment plan; hold the next order if it slips"
    )
    request.get_by_role("button", name="Approve and move").click()

    expect(page.get_by_text("Approved: “Line 3 retrofit” moved to Negotiation.")).to_be_visible()
    expect(page.get_by_role("heading", name="Stage: Negotiation")).to_be_visible()
    decided = page.get_by_role("region", name="Approvals to close").get_by_role("listitem")
    expect(decided).to_contain_text("Approved")
    expect(decided).to_contain_text(
        "Approved against the payment plan; hold the next order if it slips"
    )
    expect(page.get_by_role("region", name="Stage history").get_by_role("listitem")).to_have_text(
        [re.compile(r"Bid / tender → Negotiation\s+Mona Manager · ")]
    )
    accessible(page)

    page.get_by_role("link", name="Change history").click()
    history = page.locator("main")
    expect(history).to_contain_text("Approved")
    expect(history).to_contain_text("Finance agreed a payment plan: ¥60,000 by the 15th")
    expect(history).to_contain_text(
        "Approved against the payment plan; hold the next order if it slips"
    )
    expect(history).to_contain_text("Negotiation")
    accessible(page)
