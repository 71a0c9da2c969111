"""The account brief for a visit (拜访简报, /accounts/<pk>/brief/): what it shows, that it
answers 404 outside the visibility rule, that it costs the same queries for a small or a
busy account, and that it prints on A4.

"Latest attitude" (accounts/brief.py): a person's attitude is their contact record's;
a later visit that noted a different customer attitude is shown beside it, never instead.
"""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Contact
from accounts.tests.factories import ContactFactory
from keyaccounts.pytest_plugin import assert_not_found_for
from opportunities.models import CriterionCheck, ExitCriterion
from opportunities.services import missing_criteria_for
from opportunities.tests.factories import OpportunityFactory, default_stages
from scoring.models import AccountScore
from scoring.services import rescore
from visits.complaints.models import Complaint
from visits.complaints.services import complaint_create, complaint_respond
from visits.models import VisitStatus
from visits.tests.factories import PlannedVisitFactory, VisitFactory

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def brief_url(account) -> str:
    return reverse("accounts:brief", args=[account.pk])


def squashed(response) -> str:
    assert response.status_code == 200
    return re.sub(r"\s+", " ", response.content.decode())


def section(html: str, title_id: str) -> str:
    """The HTML of the brief's section whose heading has the id `title_id`."""
    start = html.index(f'aria-labelledby="{title_id}"')
    end = html.find("</section>", start)
    return html[start:end]


def ids(html: str, attribute: str) -> list[int]:
    return [int(pk) for pk in re.findall(rf'{attribute}="(\d+)"', html)]


@pytest.fixture
def stages(db):
    return default_stages()


def ago(days: int) -> datetime.datetime:
    return timezone.now() - days * DAY


# --- what it shows -----------------------------------------------------------------------


def test_the_brief_names_the_account_its_owner_team_and_buying_center(personas, login):
    account = personas.account
    account.address = "88 Century Avenue, Shanghai"
    account.save()
    ContactFactory(account=account, name="王建国", buying_role="decider", attitude="supporter")
    ContactFactory(
        account=account, name="李娜", buying_role="evaluator", attitude="champion", is_coach=True
    )
    ContactFactory(account=account, name="Gone Person", buying_role="user", is_active=False)

    html = squashed(login(personas.alice).get(brief_url(account)))

    assert "Visit brief: Alice&#x27;s Customer Co" in html
    assert "88 Century Avenue, Shanghai" in html
    identity = section(html, "brief-account-title")
    assert str(personas.alice) in identity
    assert f"{personas.bob} (Presales consultant)" in identity
    center = section(html, "brief-bc-title")
    assert "王建国" in center and "李娜" in center
    assert "Coach" in center
    # Someone who left the customer fills no role: not on the map.
    assert "Gone Person" not in center
    # The user and purchaser roles are empty: said in words, with the warning.
    assert center.count("Nobody yet") == 2
    assert 'data-flag="no_user"' in center and "Warning:" in center


def test_each_person_shows_their_latest_attitude_and_a_later_visits_differing_note(personas, login):
    account = personas.account
    decider = ContactFactory(
        account=account, name="王建国", buying_role="decider", attitude="supporter"
    )
    evaluator = ContactFactory(
        account=account, name="李娜", buying_role="evaluator", attitude="neutral"
    )
    # The decider's record was last saved ten days ago; a visit three days ago met him
    # and noted a sceptical customer. The evaluator's record is newer than her last visit.
    Contact.objects.filter(pk=decider.pk).update(updated_at=ago(10))
    met_decider = VisitFactory(account=account, occurred_at=ago(3), customer_attitude="skeptic")
    met_decider.contacts.set([decider])
    met_evaluator = VisitFactory(account=account, occurred_at=ago(5), customer_attitude="opponent")
    met_evaluator.contacts.set([evaluator])

    html = squashed(login(personas.alice).get(brief_url(account)))

    decider_row = re.search(rf'<tr data-contact="{decider.pk}">(.*?)</tr>', html).group(1)
    assert "Supporter" in decider_row  # the record's attitude stays the headline
    day = timezone.localdate(met_decider.occurred_at).isoformat()
    assert f"(the visit of {day} noted: Skeptic)" in decider_row
    assert day in decider_row  # last met
    evaluator_row = re.search(rf'<tr data-contact="{evaluator.pk}">(.*?)</tr>', html).group(1)
    assert "Neutral" in evaluator_row
    assert "data-visit-attitude" not in evaluator_row  # her record is newer than the visit
    assert timezone.localdate(met_evaluator.occurred_at).isoformat() in evaluator_row


def test_an_open_deal_shows_its_stage_and_the_criteria_missing_for_the_next(
    personas, login, stages
):
    account = personas.account
    deal = OpportunityFactory(
        account=account, name="ERP rollout", stage=stages["needs_analysis"], amount=1280000
    )
    criteria = list(ExitCriterion.objects.filter(stage=stages["needs_analysis"]).order_by("order"))
    CriterionCheck.objects.create(opportunity=deal, criterion=criteria[0], checked_by=None)
    ready = OpportunityFactory(account=account, name="Pilot", stage=stages["qualify"])
    for criterion in ExitCriterion.objects.filter(stage=stages["qualify"]):
        CriterionCheck.objects.create(opportunity=ready, criterion=criterion)
    OpportunityFactory(account=account, name="Old win", stage=stages["won"])

    html = squashed(login(personas.alice).get(brief_url(account)))

    deals = section(html, "brief-deals-title")
    assert ids(deals, "data-deal") == sorted([deal.pk, ready.pk])  # same close date: by id
    row = re.search(rf'<tr data-deal="{deal.pk}">(.*?)</tr>', deals).group(1)
    assert "Needs analysis" in row and "¥1,280,000" in row
    assert "Before Solution design and presentation:" in row
    assert criteria[0].name not in row  # ticked
    assert criteria[1].name in row and criteria[2].name in row
    assert "Ready to move to Needs analysis." in deals
    assert "Old win" not in deals  # closed deals are not in the brief


def test_the_brief_lists_the_last_five_recorded_visits_with_their_next_steps(personas, login):
    account = personas.account
    visits = [
        VisitFactory(account=account, occurred_at=ago(days), next_steps=f"Next step {n}")
        for n, days in enumerate([1, 2, 3, 4, 5, 9], start=1)
    ]
    PlannedVisitFactory(account=account, purpose="Planned, not a record")
    VisitFactory(account=account, occurred_at=ago(1), status=VisitStatus.CANCELLED)

    html = squashed(login(personas.alice).get(brief_url(account)))

    listed = section(html, "brief-visits-title")
    assert ids(listed, "data-visit") == [visit.pk for visit in visits[:5]]  # newest first
    for n in range(1, 6):
        assert f"Next step {n}" in listed
    assert "Next step 6" not in listed  # the oldest of six is left out
    assert "Planned, not a record" not in listed


def test_the_brief_lists_the_accounts_open_follow_ups_soonest_first(personas, login):
    account = personas.account
    done = VisitFactory(account=account, occurred_at=ago(2))
    done.followed_up_on = timezone.localdate()
    done.save()
    recent = VisitFactory(account=account, occurred_at=ago(1))
    overdue = VisitFactory(account=account, occurred_at=ago(10))  # due three days ago
    by_bob = VisitFactory(account=account, owner=personas.bob, occurred_at=ago(3))

    html = squashed(login(personas.alice).get(brief_url(account)))

    follow_ups = section(html, "brief-fu-title")
    # Soonest due first, whoever logged the visit: due -3, +4 and +6 days.
    assert ids(follow_ups, "data-follow-up") == [overdue.pk, by_bob.pk, recent.pk]
    assert follow_ups.count("Overdue") == 1
    assert f"Follow-up due {overdue.follow_up_due.isoformat()}" in follow_ups


def test_the_brief_lists_ten_open_follow_ups_and_counts_the_rest(personas, login):
    account = personas.account
    visits = [VisitFactory(account=account, occurred_at=ago(30 - n)) for n in range(13)]

    html = squashed(login(personas.alice).get(brief_url(account)))

    follow_ups = section(html, "brief-fu-title")
    assert ids(follow_ups, "data-follow-up") == [visit.pk for visit in visits[:10]]
    rest = reverse("visits:account_visits", args=[account.pk])
    assert f'<a href="{rest}">3 more open follow-ups – the account' in follow_ups


def test_the_grade_shows_with_its_strongest_and_weakest_factors(personas, login):
    account = personas.account
    account.annual_budget = 20000  # the budget factor: 100 points
    account.save()
    rescore([account.pk])
    grade = AccountScore.objects.get(account=account).grade

    html = squashed(login(personas.alice).get(brief_url(account)))

    card = section(html, "brief-grade-title")
    assert f"Grade {grade}" in card
    assert "Customer size and budget (100)" in card
    # Unrated, the two factors of weight 15 score nothing: what costs the grade most.
    held_back = card[card.index("Held back by") :]
    assert "Need fit (unknown, 0)" in held_back
    assert "Relationship closeness (unknown, 0)" in held_back


def test_an_ungraded_account_says_so(personas, login):
    html = squashed(login(personas.alice).get(brief_url(personas.account)))
    assert "Not graded yet." in section(html, "brief-grade-title")


def test_opened_from_a_planned_visit_the_brief_starts_with_that_visit(personas, login):
    account = personas.account
    decider = ContactFactory(account=account, name="王建国", buying_role="decider")
    planned = PlannedVisitFactory(account=account, purpose="Present the pilot results")
    planned.contacts.set([decider])
    client = login(personas.alice)

    html = squashed(client.get(brief_url(account) + f"?visit={planned.pk}"))

    top = section(html, "brief-visit-title")
    assert "Present the pilot results" in top and "王建国" in top
    # Another account's visit, or a recorded one, is not put at the top.
    other = PlannedVisitFactory(account=personas.charlies_account, purpose="Charlie's plan")
    recorded = VisitFactory(account=account, purpose="Already done")
    for pk in (other.pk, recorded.pk, "junk", "²", "9" * 30):
        html = squashed(client.get(brief_url(account) + f"?visit={pk}"))
        assert 'id="brief-visit-title"' not in html
        assert "Charlie&#x27;s plan" not in html


def test_the_account_page_and_a_planned_visit_link_to_the_brief(personas, login):
    planned = PlannedVisitFactory(account=personas.account)
    recorded = VisitFactory(account=personas.account)
    client = login(personas.alice)

    assert brief_url(personas.account) in squashed(client.get(personas.account.get_absolute_url()))
    assert f"{brief_url(personas.account)}?visit={planned.pk}" in squashed(
        client.get(planned.get_absolute_url())
    )
    assert brief_url(personas.account) not in squashed(client.get(recorded.get_absolute_url()))


def test_the_brief_renders_in_chinese(personas, login, stages):
    OpportunityFactory(account=personas.account, stage=stages["needs_analysis"])
    ContactFactory(account=personas.account, name="王建国", buying_role="decider")

    response = login(personas.alice).get(
        brief_url(personas.account), HTTP_ACCEPT_LANGUAGE="zh-hans"
    )

    html = squashed(response)
    assert '<html lang="zh-hans">' in html
    for heading in ("采购决策链", "等级", "客户团队"):  # buying center, grade, account team
        assert heading in html
    assert "决策者" in html  # the decider's role
    assert "需求分析" in html  # the stage, in its Chinese name
    assert "客户内部已有内线支持我方" in html  # a missing criterion, in Chinese


def test_the_brief_links_a_print_stylesheet_and_script_no_inline_code(personas, login):
    html = squashed(login(personas.alice).get(brief_url(personas.account)))
    assert re.search(r'<link rel="stylesheet" href="[^"]*css/print\.css" media="print">', html)
    assert re.search(r'<script src="[^"]*js/print\.js" defer>', html)
    assert "<script>" not in html and "onclick" not in html and "style=" not in html


# --- who may see it ------------------------------------------------------------------------


def test_the_brief_answers_404_outside_the_visibility_rule(personas, login):
    pages = [("get", brief_url(personas.account), None)]
    assert_not_found_for(login(personas.charlie), pages)
    assert_not_found_for(login(personas.carol), pages)
    assert login(personas.bob).get(brief_url(personas.account)).status_code == 200
    assert login(personas.manager).get(brief_url(personas.account)).status_code == 200


# --- cost ----------------------------------------------------------------------------------


def fill(account, n: int, stages) -> None:
    """`n` contacts, open deals and recorded visits (each meeting two contacts)."""
    keys = ["qualify", "needs_analysis", "solution", "bid", "negotiation"]
    contacts = [
        ContactFactory(account=account, buying_role=["decider", "user", "other"][i % 3])
        for i in range(n)
    ]
    for i in range(n):
        deal = OpportunityFactory(account=account, stage=stages[keys[i % len(keys)]])
        first = ExitCriterion.objects.filter(stage=deal.stage).first()
        CriterionCheck.objects.create(opportunity=deal, criterion=first)
        visit = VisitFactory(account=account, occurred_at=ago(i + 1), next_steps=f"Step {i}")
        visit.contacts.set(contacts[i : i + 2])
        complaint_create(
            by=account.owner,
            account=account,
            subject=f"Complaint {i}",
            severity="medium",
            channel="phone",
            received_at=ago(i + 1),
            description="",
        )


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


def test_the_brief_costs_the_same_queries_for_2_or_10_of_everything(
    personas, login, stages, django_assert_max_num_queries
):
    account = personas.account
    account.annual_budget = 20000
    account.save()
    rescore([account.pk])
    client = login(personas.alice)
    fill(account, 2, stages)
    for i in range(3):  # five open complaints: the brief shows five and counts the rest
        complaint_create(
            by=account.owner,
            account=account,
            subject=f"Complaint more {i}",
            severity="low",
            channel="email",
            received_at=ago(1),
            description="",
        )
    client.get(brief_url(account))  # the scoring table's spec is kept after the first read
    few = count_queries(client, brief_url(account))

    fill(account, 8, stages)
    with django_assert_max_num_queries(few):
        html = squashed(client.get(brief_url(account)))
    assert len(ids(section(html, "brief-deals-title"), "data-deal")) == 10
    assert len(ids(section(html, "brief-visits-title"), "data-visit")) == 5
    assert len(ids(section(html, "brief-complaints-title"), "data-complaint")) == 5  # first 5


def test_the_brief_lists_the_accounts_open_complaints_with_their_deadlines(personas, login):
    account = personas.account
    late = complaint_create(
        by=personas.alice,
        account=account,
        subject="Spare parts came late",
        severity="high",
        channel="phone",
        received_at=ago(30),
        description="Promised for Monday, came on Thursday.",
    )
    answered = complaint_create(
        by=personas.alice,
        account=account,
        subject="Invoice sent twice",
        severity="low",
        channel="email",
        received_at=ago(1),
        description="",
    )
    complaint_respond(
        complaint=Complaint.objects.get(pk=answered.pk), by=personas.alice, response="Sorry."
    )
    complaint_create(  # another account's: not in this brief
        by=personas.charlie,
        account=personas.charlies_account,
        subject="Not ours",
        severity="low",
        channel="phone",
        received_at=ago(1),
        description="",
    )
    html = squashed(login(personas.alice).get(brief_url(account)))
    part = section(html, "brief-complaints-title")
    assert ids(part, "data-complaint") == sorted([late.pk, answered.pk]) or set(
        ids(part, "data-complaint")
    ) == {late.pk, answered.pk}
    assert "Promised for Monday, came on Thursday." in part
    assert "Service level breached" in part  # 30 days past: both deadlines passed
    assert "Not ours" not in html


# --- missing_criteria_for: many deals at once, the same answer as one at a time ---------------


def test_missing_criteria_for_many_deals_matches_each_deal_on_its_own(personas, stages):
    qualify = ExitCriterion.objects.filter(stage=stages["qualify"]).order_by("order")
    analysis = ExitCriterion.objects.filter(stage=stages["needs_analysis"]).order_by("order")
    early = OpportunityFactory(account=personas.account, stage=stages["qualify"])
    CriterionCheck.objects.create(opportunity=early, criterion=qualify[1])
    later = OpportunityFactory(account=personas.account, stage=stages["needs_analysis"])
    CriterionCheck.objects.create(opportunity=later, criterion=analysis[0])
    losing = OpportunityFactory(account=personas.account, stage=stages["bid"])

    missing = missing_criteria_for(
        [(early, stages["solution"]), (later, stages["solution"]), (losing, stages["lost"])]
    )

    # By hand: qualify's 1st and 3rd, then all of needs analysis; needs analysis' 2nd and
    # 3rd; losing needs nothing.
    assert missing[early.pk] == [qualify[0], qualify[2], *analysis]
    assert missing[later.pk] == [analysis[1], analysis[2]]
    assert missing[losing.pk] == []


# --- in the browser: a phone's width, and A4 paper ----------------------------------------


def busy_account(account, stages) -> None:
    """An account with a full buying center, three open deals and five visits with notes."""
    roles = ["decider", "evaluator", "user", "purchaser", "user", "other"]
    contacts = [
        ContactFactory(
            account=account,
            name=f"联系人 {n}",
            title="Director of Procurement and Supply Chain",
            buying_role=role,
            attitude="supporter",
            is_coach=n == 1,
        )
        for n, role in enumerate(roles)
    ]
    for key in ("qualify", "solution", "negotiation"):
        OpportunityFactory(account=account, stage=stages[key], name=f"Deal at {key}")
    for n in range(5):
        visit = VisitFactory(
            account=account,
            occurred_at=ago(n * 7 + 1),
            talking_points="Reviewed the pilot, the rollout plan and the budget for next year. "
            * 2,
            next_steps="Send the revised quote; arrange a site visit for the evaluator. " * 3,
        )
        visit.contacts.set(contacts[n : n + 2])


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_brief_fits_a_phone_and_prints_on_one_or_two_a4_pages(page, personas):
    from playwright.sync_api import expect

    from keyaccounts.pytest_plugin import browser_log_in

    busy_account(personas.account, default_stages())
    page.set_viewport_size({"width": 375, "height": 800})
    browser_log_in(page, "alice")
    page.goto(brief_url(personas.account))

    expect(page.get_by_role("heading", level=1)).to_contain_text("Visit brief")
    expect(page.get_by_role("button", name="Print")).to_be_visible()  # print.js ran
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # no sideways scroll

    pdf = page.pdf(prefer_css_page_size=True)

    pages = re.findall(rb"/Type\s*/Page\b", pdf)
    assert 1 <= len(pages) <= 2
    # A4 is 595 × 842 points.
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert boxes and all(
        abs(float(w) - 595.3) < 1.5 and abs(float(h) - 841.9) < 1.5 for w, h in boxes
    )
