"""A deal's page and its forms: open, edit, outcomes, contacts, team, competitors; and
the account page's list of deals."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccountStatus, Contact
from accounts.tests.factories import AccountFactory, CompetitorFactory, ContactFactory
from keyaccounts.tests.section_helpers import section_context
from opportunities import services
from opportunities.models import (
    CriterionCheck,
    Opportunity,
    OpportunityCompetitor,
    OpportunityContact,
    OpportunityTeamMember,
    StageChange,
)
from opportunities.tests.factories import OpportunityFactory, default_stages

DEALS = "opportunities/includes/account_opportunities.html"  # the account page's section
pytestmark = pytest.mark.django_db


@pytest.fixture
def stages(db):
    return default_stages()


def deal_data(**overrides):
    data = {
        "name": "MES phase 2",
        "kind": "expansion",
        "amount": "1280000",
        "currency": "CNY",
        "expected_close_date": "2027-06-30",
        "probability": "",
        "tender_published_on": "",
        "bid_submitted_on": "",
        "bid_opened_on": "",
        "bid_result": "",
        "description": "Phase 2 covers the plants",
        "external_id": "",
    }
    data.update(overrides)
    return data


def edit_data(deal, **overrides):
    return deal_data(version=deal.version, **overrides)


# --- opening a deal ------------------------------------------------------------------------


def test_new_opportunity_starts_at_the_account_in_the_first_stage(personas, login, stages):
    personas.account.status = AccountStatus.ACTIVE
    personas.account.save()
    client = login(personas.alice)
    url = reverse("opportunities:create", args=[personas.account.pk])
    page = client.get(url)
    form = page.context["form"]
    assert "account" not in form.fields and "stage" not in form.fields
    assert form["kind"].value() == "expansion"  # an active customer: a deeper sale
    html = page.content.decode()
    assert 'placeholder="10"' in html and "Leave blank to follow the stage" in html
    assert "It starts in Qualify" in html

    response = client.post(url, deal_data())

    deal = Opportunity.objects.get()
    assert response["Location"] == deal.get_absolute_url()
    assert (deal.account, deal.stage, deal.owner) == (
        personas.account,
        stages["qualify"],
        personas.alice,
    )
    assert (deal.probability, deal.probability_is_custom) == (10, False)
    assert StageChange.objects.get(opportunity=deal).from_stage is None


def test_a_rep_cannot_hand_a_deal_to_someone_else_but_a_manager_can(personas, login, stages):
    url = reverse("opportunities:create", args=[personas.account.pk])
    assert "owner" not in login(personas.alice).get(url).context["form"].fields
    client = login(personas.manager)
    owners = client.get(url).context["form"].fields["owner"].queryset
    assert {u.username for u in owners} == {"manager", "alice", "bob", "carol"}
    client.post(url, deal_data(owner=personas.bob.pk))
    assert Opportunity.objects.get().owner == personas.bob


def test_the_form_keeps_the_input_and_explains_what_is_wrong(personas, login, stages):
    client = login(personas.alice)
    url = reverse("opportunities:create", args=[personas.account.pk])
    response = client.post(
        url, deal_data(amount="-5", probability="140", expected_close_date="someday")
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"amount", "probability", "expected_close_date"}
    html = response.content.decode()
    assert 'value="MES phase 2"' in html and "Phase 2 covers the plants" in html
    assert not Opportunity.objects.exists()


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "Enter at most 999,999,999,999.99."),
        ("zh-hans", "请输入不超过 999,999,999,999.99 的数。"),
    ],
)
def test_an_amount_too_large_says_the_largest_the_deal_takes(
    personas, login, stages, language, message
):
    """Not "no more than 14 digits in total", which leaves the user counting digits."""
    client = login(personas.alice)
    url = reverse("opportunities:create", args=[personas.account.pk])
    response = client.post(
        url, deal_data(amount="99999999999999999999"), HTTP_ACCEPT_LANGUAGE=language
    )
    errors = response.context["form"].errors["amount"]
    assert len(errors) == 1 and message in errors[0]
    assert "14" not in errors[0]


def test_probability_follows_the_stage_unless_set_by_hand(personas, login, stages):
    client = login(personas.alice)
    url = reverse("opportunities:create", args=[personas.account.pk])
    client.post(url, deal_data(name="Follows"))
    client.post(url, deal_data(name="By hand", probability="35"))
    follows = Opportunity.objects.get(name="Follows")
    by_hand = Opportunity.objects.get(name="By hand")
    assert (by_hand.probability, by_hand.probability_is_custom) == (35, True)

    for deal in [follows, by_hand]:
        for criterion in stages["qualify"].criteria.all():
            services.criterion_set(
                opportunity=deal, criterion=criterion, checked=True, by=personas.alice
            )
        client.post(
            reverse("opportunities:move", args=[deal.pk]), {"stage": stages["needs_analysis"].pk}
        )
    follows.refresh_from_db()
    by_hand.refresh_from_db()
    assert (follows.probability, by_hand.probability) == (25, 35)

    # Edit: the field is blank while it follows, and clearing it follows the stage again.
    edit = reverse("opportunities:edit", args=[follows.pk])
    assert client.get(edit).context["form"]["probability"].value() is None
    edit = reverse("opportunities:edit", args=[by_hand.pk])
    assert client.get(edit).context["form"]["probability"].value() == 35
    client.post(edit, edit_data(by_hand, probability=""))
    by_hand.refresh_from_db()
    assert (by_hand.probability, by_hand.probability_is_custom) == (25, False)


# --- editing ---------------------------------------------------------------------------------


def test_editing_saves_the_details_and_bid_dates(personas, login, stages):
    deal = OpportunityFactory(account=personas.account, name="Old name")
    client = login(personas.bob)
    response = client.post(
        reverse("opportunities:edit", args=[deal.pk]),
        edit_data(
            deal,
            tender_published_on="2027-01-05",
            bid_submitted_on="2027-01-20",
            bid_result="pending",
        ),
    )
    assert response["Location"] == deal.get_absolute_url()
    deal.refresh_from_db()
    assert deal.name == "MES phase 2"
    assert deal.bid_submitted_on == datetime.date(2027, 1, 20)
    assert deal.bid_result == "pending"
    assert deal.stage == stages["qualify"]  # the edit form never moves a deal


def test_tender_dates_out_of_order_are_refused_beside_the_later_one(personas, login, stages):
    deal = OpportunityFactory(account=personas.account)
    response = login(personas.bob).post(
        reverse("opportunities:edit", args=[deal.pk]),
        edit_data(
            deal,
            tender_published_on="2027-03-01",
            bid_submitted_on="2027-02-01",
            bid_opened_on="2027-01-01",
        ),
    )
    errors = response.context["form"].errors
    assert errors["bid_submitted_on"] == [
        "This comes after “Tender published” (2027-03-01): a day on or after it."
    ]
    assert errors["bid_opened_on"] == [
        "This comes after “Tender published” (2027-03-01): a day on or after it."
    ]
    assert 'value="2027-02-01"' in response.content.decode()  # what was typed is kept
    deal.refresh_from_db()
    assert deal.tender_published_on is None


def test_an_open_deal_expected_to_close_in_the_past_is_refused_unless_left_as_it_was(
    personas, login, stages
):
    client = login(personas.alice)
    yesterday = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    new = client.post(
        reverse("opportunities:create", args=[personas.account.pk]),
        deal_data(expected_close_date=yesterday),
    )
    assert "expected_close_date" in new.context["form"].errors
    assert not Opportunity.objects.exists()

    # A deal already overdue keeps its day through an edit of something else.
    overdue = OpportunityFactory(
        account=personas.account,
        owner=personas.alice,
        expected_close_date=timezone.localdate() - datetime.timedelta(days=30),
    )
    data = edit_data(overdue, expected_close_date=overdue.expected_close_date.isoformat())
    edited = client.post(reverse("opportunities:edit", args=[overdue.pk]), data)
    assert edited.status_code == 302
    moved = client.post(
        reverse("opportunities:edit", args=[overdue.pk]),
        edit_data(Opportunity.objects.get(pk=overdue.pk), expected_close_date=yesterday),
    )
    assert (
        moved.context["form"]
        .errors["expected_close_date"][0]
        .startswith("An open deal is expected to close today or later")
    )


def test_a_save_from_a_stale_tab_is_refused_and_the_input_kept(personas, login, stages):
    deal = OpportunityFactory(account=personas.account, name="Original")
    stale_version = deal.version
    services.opportunity_update(opportunity=deal, by=personas.bob, name="Bob's edit")
    client = login(personas.alice)
    url = reverse("opportunities:edit", args=[deal.pk])

    response = client.post(url, deal_data(name="Alice's edit", version=stale_version))

    assert response.status_code == 200
    assert "Someone else saved this record" in str(response.context["form"].non_field_errors())
    assert "Alice&#x27;s edit" in response.content.decode()
    deal.refresh_from_db()
    assert deal.name == "Bob's edit"
    # Saving again is the user's informed choice, and it goes through.
    response = client.post(url, response.context["form"].data)
    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.name == "Alice's edit"


def test_a_closed_deal_keeps_a_reason(personas, login, stages):
    deal = OpportunityFactory(
        account=personas.account, stage=stages["lost"], probability=0, close_reason="Price"
    )
    client = login(personas.alice)
    url = reverse("opportunities:edit", args=[deal.pk])
    response = client.post(url, edit_data(deal, close_reason=""))
    assert response.status_code == 200
    assert "close_reason" in response.context["form"].errors
    client.post(url, edit_data(deal, close_reason="Price, and a late bid"))
    deal.refresh_from_db()
    assert deal.close_reason == "Price, and a late bid"


# --- the deal's page -----------------------------------------------------------------------


def test_the_page_shows_the_deal_its_outcomes_and_its_history(personas, login, stages):
    deal = services.opportunity_create(
        by=personas.alice,
        account=personas.account,
        name="ERP rollout",
        amount=2_500_000,
        expected_close_date=datetime.date(2027, 3, 31),
        tender_published_on=datetime.date(2027, 1, 5),
        bid_result="pending",
    )
    client = login(personas.alice)
    criteria = list(stages["qualify"].criteria.all())
    for criterion in criteria:
        client.post(reverse("opportunities:criteria", args=[deal.pk]), {"ticked": [criterion.pk]})
    client.post(
        reverse("opportunities:move", args=[deal.pk]), {"stage": stages["needs_analysis"].pk}
    )

    response = client.get(deal.get_absolute_url())

    html = response.content.decode()
    assert "ERP rollout" in html and "¥2,500,000" in html and "2027-01-05" in html
    assert "Stage: Needs analysis" in html
    assert "Save and move to Solution design and presentation" in html
    groups = response.context["checklist"]
    assert [g["stage"].key for g in groups if g["is_current"]] == ["needs_analysis"]
    assert [g["stage"].key for g in groups if g["is_passed"]] == ["qualify"]
    history = [(c.from_stage, c.to_stage) for c in response.context["history"]]
    assert history == [(stages["qualify"], stages["needs_analysis"]), (None, stages["qualify"])]
    assert "Qualify → Needs analysis" in html and "Opened in Qualify" in html


def test_ticking_writes_only_what_changed_so_two_tabs_do_not_undo_each_other(
    personas, login, stages
):
    deal = OpportunityFactory(account=personas.account)
    first, second, third = stages["qualify"].criteria.all()
    services.criterion_set(opportunity=deal, criterion=first, checked=True, by=personas.bob)
    # Alice's tab was drawn before bob ticked `first`: she ticks `second` only.
    login(personas.alice).post(
        reverse("opportunities:criteria", args=[deal.pk]), {"ticked": [second.pk]}
    )
    ticked = set(CriterionCheck.objects.values_list("criterion", flat=True))
    assert ticked == {first.pk, second.pk}
    # Unticking is what was ticked on the page and is no more.
    login(personas.alice).post(
        reverse("opportunities:criteria", args=[deal.pk]),
        {"ticked": [first.pk], "were_ticked": [first.pk, second.pk]},
    )
    assert set(CriterionCheck.objects.values_list("criterion", flat=True)) == {first.pk}
    assert CriterionCheck.objects.get().checked_by == personas.bob
    assert third.pk not in ticked


def test_save_and_move_ticks_then_moves_in_one_go(personas, login, stages):
    deal = OpportunityFactory(account=personas.account)
    criteria = [c.pk for c in stages["qualify"].criteria.all()]
    response = login(personas.alice).post(
        reverse("opportunities:criteria", args=[deal.pk]),
        {"ticked": criteria, "move_to": stages["needs_analysis"].pk},
    )
    assert response["Location"] == deal.get_absolute_url()
    deal.refresh_from_db()
    assert deal.stage == stages["needs_analysis"]


def test_a_closed_stage_has_no_criteria_to_tick(personas, login, stages):
    deal = OpportunityFactory(account=personas.account)
    login(personas.alice).post(reverse("opportunities:criteria", args=[deal.pk]), {"ticked": [999]})
    assert not CriterionCheck.objects.exists()


def test_contacts_join_the_deal_with_their_role_and_stance_and_leave_it(personas, login, stages):
    deal = OpportunityFactory(account=personas.account)
    wang = ContactFactory(
        account=personas.account, name="王芳", buying_role="decider", attitude="supporter"
    )
    li = ContactFactory(account=personas.account, name="李娜", buying_role="evaluator")
    client = login(personas.alice)
    add = reverse("opportunities:contact_add", args=[deal.pk])
    page = client.get(deal.get_absolute_url())
    assert list(page.context["contact_form"].fields["contact"].queryset) == [li, wang]

    client.post(add, {"contact-contact": wang.pk})  # blanks: as in the buying center
    client.post(
        add, {"contact-contact": li.pk, "contact-role": "user", "contact-stance": "skeptic"}
    )

    roles = {e.contact.name: (e.role, e.stance) for e in OpportunityContact.objects.all()}
    assert roles == {"王芳": ("decider", "supporter"), "李娜": ("user", "skeptic")}
    entry = OpportunityContact.objects.get(contact=li)
    response = client.post(reverse("opportunities:contact_remove", args=[deal.pk, entry.pk]))
    assert response["Location"].endswith("#contacts")
    assert list(OpportunityContact.objects.values_list("contact__name", flat=True)) == ["王芳"]


def test_a_decider_who_left_the_company_is_marked_in_the_deal_with_who_took_over(
    personas, login, stages
):
    deal = OpportunityFactory(account=personas.account)
    gone = ContactFactory(account=personas.account, name="杨永刚", buying_role="decider")
    deal.contact_roles.create(contact=gone, role="decider", stance="champion")
    Contact.objects.filter(pk=gone.pk).update(is_active=False, left_on=datetime.date(2026, 12, 4))

    page = login(personas.alice).get(deal.get_absolute_url()).content.decode()

    section = page[
        page.index('id="contacts"') : page.index("</section>", page.index('id="contacts"'))
    ]
    assert "Left the company on 2026-12-04" in section
    took_over = reverse("accounts:contacts", args=[personas.account.pk])
    assert (
        f'href="{took_over}?buying_role=decider&amp;is_active=true">who took over?</a>' in section
    )


def test_the_deal_team_is_added_to_and_removed_from(personas, login, stages):
    deal = OpportunityFactory(account=personas.account)
    client = login(personas.alice)
    client.post(
        reverse("opportunities:team_add", args=[deal.pk]),
        {"team-user": personas.bob.pk, "team-role": "presales"},
    )
    member = OpportunityTeamMember.objects.get()
    assert (member.user, member.role) == (personas.bob, "presales")
    response = client.post(reverse("opportunities:team_add", args=[deal.pk]), {"team-role": "x"})
    assert response.status_code == 200
    assert set(response.context["team_form"].errors) == {"user", "role"}
    client.post(reverse("opportunities:team_remove", args=[deal.pk, member.pk]))
    assert not OpportunityTeamMember.objects.exists()


def test_competitors_are_added_edited_and_removed(personas, login, stages):
    deal = OpportunityFactory(account=personas.account)
    CompetitorFactory(account=personas.account, name="Rival Soft")
    client = login(personas.alice)
    create = reverse("opportunities:competitor_create", args=[deal.pk])
    page = client.get(create)
    assert '<option value="Rival Soft">' in page.content.decode()  # the account's, to pick

    client.post(create, {"name": "Rival Soft", "threat": "high", "strengths": "Local team"})
    rival = OpportunityCompetitor.objects.get()
    assert (rival.opportunity, rival.threat, rival.strengths) == (deal, "high", "Local team")

    response = client.post(create, {"name": "Rival Soft", "threat": "low"})
    assert response.status_code == 200  # one entry per competitor and deal
    assert response.context["form"].errors

    edit = reverse("opportunities:competitor_edit", args=[deal.pk, rival.pk])
    client.post(edit, {"name": "Rival Soft", "threat": "medium", "weaknesses": "Slow"})
    rival.refresh_from_db()
    assert (rival.threat, rival.weaknesses) == ("medium", "Slow")

    client.post(reverse("opportunities:competitor_remove", args=[deal.pk, rival.pk]))
    assert not OpportunityCompetitor.objects.exists()


def test_there_is_no_delete_page_a_deal_is_closed_as_lost(personas, login, stages):
    deal = OpportunityFactory(account=personas.account)
    html = login(personas.alice).get(deal.get_absolute_url()).content.decode()
    assert "Delete" not in html
    assert f"/pipeline/{deal.pk}/close/?stage={stages['lost'].pk}" in html


def count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_deal_page_runs_the_same_queries_however_much_hangs_off_it(personas, login, stages):
    deal = OpportunityFactory(account=personas.account)
    client = login(personas.alice)
    few = count_queries(client, deal.get_absolute_url())
    for i in range(6):
        contact = ContactFactory(account=personas.account)
        OpportunityContact.objects.create(opportunity=deal, contact=contact, role="user")
        OpportunityCompetitor.objects.create(opportunity=deal, name=f"Rival {i}")
    OpportunityTeamMember.objects.create(opportunity=deal, user=personas.bob, role="presales")
    OpportunityTeamMember.objects.create(opportunity=deal, user=personas.carol, role="sales_rep")
    for criterion in stages["qualify"].criteria.all():
        services.criterion_set(opportunity=deal, criterion=criterion, checked=True, by=personas.bob)
    for key in ["needs_analysis", "qualify", "needs_analysis"]:
        services.opportunity_move_stage(opportunity=deal, to_stage=stages[key], by=personas.bob)
    assert count_queries(client, deal.get_absolute_url()) == few


# --- the account page ------------------------------------------------------------------------


def test_the_account_page_lists_its_deals_open_first(personas, login, stages):
    OpportunityFactory(
        account=personas.account,
        name="Lost one",
        stage=stages["lost"],
        close_reason="Price",
        closed_on=datetime.date(2026, 5, 1),
        amount=300_000,
    )
    OpportunityFactory(
        account=personas.account,
        name="Later one",
        expected_close_date=datetime.date(2027, 9, 1),
        amount=1_200_000,
    )
    OpportunityFactory(
        account=personas.account,
        name="Sooner one",
        stage=stages["bid"],
        expected_close_date=datetime.date(2027, 2, 1),
        amount=800_000,
    )
    OpportunityFactory(account=personas.charlies_account, name="Not this account's")
    response = login(personas.bob).get(personas.account.get_absolute_url())
    assert [d.name for d in section_context(response, DEALS)["opportunities"]] == [
        "Sooner one",
        "Later one",
        "Lost one",
    ]
    html = response.content.decode()
    assert "¥1,200,000" in html and "2027-09-01" in html and "Bid / tender" in html
    assert reverse("opportunities:create", args=[personas.account.pk]) in html
    assert "New deal" in html


def test_the_account_page_runs_the_same_queries_for_2_or_25_deals(personas, login, stages):
    client = login(personas.alice)
    OpportunityFactory.create_batch(2, account=personas.account)
    few = count_queries(client, personas.account.get_absolute_url())
    other_owner = AccountFactory().owner
    for i in range(23):
        OpportunityFactory(
            account=personas.account,
            owner=other_owner if i % 2 else personas.bob,
            stage=stages["needs_analysis" if i % 3 else "bid"],
        )
    assert count_queries(client, personas.account.get_absolute_url()) == few


def test_the_deal_page_query_count_has_a_hard_ceiling(
    personas, login, stages, django_assert_max_num_queries
):
    deal = OpportunityFactory(account=personas.account)
    client = login(personas.alice)
    with django_assert_max_num_queries(18):
        client.get(deal.get_absolute_url())


def test_saving_again_after_a_conflict_keeps_a_probability_set_meanwhile(personas, login):
    """A probability that follows the stage is shown blank: left blank after someone set
    one by hand, it is not the person's change, and theirs stays."""
    from opportunities import services as deal_services
    from opportunities.models import Opportunity
    from opportunities.tests.factories import OpportunityFactory
    from visits.tests.test_admin_people import form_of

    deal = OpportunityFactory(account=personas.account, owner=personas.alice, name="Pilot")
    assert not deal.probability_is_custom
    url = reverse("opportunities:edit", args=[deal.pk])
    alice = login(personas.alice)
    mine = form_of(alice.get(url), "record-form")
    assert mine["probability"] == ""  # follows the stage
    deal_services.opportunity_update(
        opportunity=Opportunity.objects.get(pk=deal.pk), by=personas.bob, probability=55
    )
    mine["name"] = "Pilot, phase 1"
    response = alice.post(url, mine)
    page = response.content.decode()
    assert "Someone else saved this record" in page
    assert "You both changed" not in page
    assert alice.post(url, form_of(response, "record-form")).status_code == 302
    deal.refresh_from_db()
    assert (deal.name, deal.probability, deal.probability_is_custom) == ("Pilot, phase 1", 55, True)
