"""Stages are data; moving a deal forward needs its exit criteria; closing needs a reason."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from keyaccounts.exceptions import ApplicationError
from opportunities import services
from opportunities.models import CriterionCheck, StageChange
from opportunities.tests.factories import OpportunityFactory, default_stages

pytestmark = pytest.mark.django_db


@pytest.fixture
def stages(db):
    return default_stages()


def tick_all(opportunity, stage, user):
    for criterion in stage.criteria.all():
        services.criterion_set(opportunity=opportunity, criterion=criterion, checked=True, by=user)


def test_default_stages_are_ordered_with_chinese_names_and_probabilities(stages):
    keys = ["qualify", "needs_analysis", "solution", "bid", "negotiation", "won", "lost"]
    assert list(stages) == keys
    assert stages["bid"].name_zh == "招投标"
    assert stages["won"].is_won and stages["lost"].is_lost
    assert stages["qualify"].criteria.exists()


def test_a_new_deal_starts_in_the_first_stage_with_its_probability(personas, stages):
    deal = services.opportunity_create(
        by=personas.alice,
        account=personas.account,
        name="MES phase 1",
        amount=800000,
        expected_close_date="2027-03-31",
    )
    assert (deal.stage, deal.probability, deal.owner) == (stages["qualify"], 10, personas.alice)
    assert StageChange.objects.get(opportunity=deal).from_stage is None


def test_moving_forward_is_refused_until_the_exit_criteria_are_ticked(personas, stages):
    deal = OpportunityFactory(account=personas.account)
    with pytest.raises(ApplicationError) as error:
        services.opportunity_move_stage(
            opportunity=deal, to_stage=stages["needs_analysis"], by=personas.alice
        )
    assert error.value.code == "exit_criteria_missing"
    assert "Decider identified" in error.value.message
    deal.refresh_from_db()
    assert deal.stage == stages["qualify"]
    tick_all(deal, stages["qualify"], personas.alice)
    services.opportunity_move_stage(
        opportunity=deal, to_stage=stages["needs_analysis"], by=personas.alice
    )
    deal.refresh_from_db()
    assert (deal.stage, deal.probability) == (stages["needs_analysis"], 25)
    change = StageChange.objects.filter(opportunity=deal).first()
    assert (change.from_stage, change.to_stage, change.changed_by) == (
        stages["qualify"],
        stages["needs_analysis"],
        personas.alice,
    )


def test_skipping_stages_needs_the_criteria_of_every_stage_passed(personas, stages):
    deal = OpportunityFactory(account=personas.account)
    tick_all(deal, stages["qualify"], personas.alice)
    missing = services.missing_criteria(deal, stages["bid"])
    assert {c.stage.key for c in missing} == {"needs_analysis", "solution"}


def test_going_back_or_losing_the_deal_needs_no_criteria(personas, stages):
    deal = OpportunityFactory(account=personas.account, stage=stages["solution"])
    services.opportunity_move_stage(opportunity=deal, to_stage=stages["qualify"], by=personas.bob)
    services.opportunity_move_stage(
        opportunity=deal, to_stage=stages["lost"], by=personas.bob, close_reason="Budget frozen"
    )
    deal.refresh_from_db()
    assert (deal.stage, deal.probability, deal.close_reason) == (stages["lost"], 0, "Budget frozen")
    assert deal.closed_on is not None


def test_closing_a_deal_requires_the_reason(personas, stages):
    deal = OpportunityFactory(account=personas.account, stage=stages["negotiation"])
    tick_all(deal, stages["negotiation"], personas.alice)
    with pytest.raises(ValidationError) as error:
        services.opportunity_move_stage(opportunity=deal, to_stage=stages["won"], by=personas.alice)
    assert "close_reason" in error.value.error_dict
    services.opportunity_move_stage(
        opportunity=deal,
        to_stage=stages["won"],
        by=personas.alice,
        close_reason="Best TCO; the coach got us the evaluation criteria early.",
    )
    deal.refresh_from_db()
    assert (deal.stage, deal.probability) == (stages["won"], 100)


def test_reopening_a_closed_deal_clears_its_close_date(personas, stages):
    deal = OpportunityFactory(
        account=personas.account, stage=stages["lost"], close_reason="Price", probability=0
    )
    services.opportunity_move_stage(opportunity=deal, to_stage=stages["bid"], by=personas.alice)
    deal.refresh_from_db()
    assert deal.closed_on is None and deal.probability == 60


def test_a_reopened_deal_leaves_its_old_reason_behind_and_a_close_says_its_own(
    personas, stages, api, login
):
    """Lost on price, reopened, later lost again: the reason is said again (it may be
    another); lost on price and then marked won: not won "on price". The reason the deal
    was lost stays in its history."""
    deal = OpportunityFactory(account=personas.account, stage=stages["lost"], close_reason="Price")
    client = api(personas.alice)

    reopened = client.patch(f"/api/v1/opportunities/{deal.pk}/", {"stage": stages["bid"].pk})
    lost_again = client.patch(f"/api/v1/opportunities/{deal.pk}/", {"stage": stages["lost"].pk})
    lost_to_won = OpportunityFactory(
        account=personas.account, stage=stages["lost"], close_reason="Price"
    )
    straight_to_won = client.patch(
        f"/api/v1/opportunities/{lost_to_won.pk}/", {"stage": stages["won"].pk}
    )

    assert reopened.status_code == 200 and reopened.json()["close_reason"] == ""
    assert lost_again.status_code == 400
    assert list(lost_again.json()["errors"]) == ["close_reason"]
    assert straight_to_won.status_code == 400
    assert list(straight_to_won.json()["errors"]) == ["close_reason"]
    lost_to_won.refresh_from_db()
    assert (lost_to_won.stage, lost_to_won.close_reason) == (stages["lost"], "Price")
    # Closed the other way with a reason of its own, in the same PATCH: taken.
    won = client.patch(
        f"/api/v1/opportunities/{lost_to_won.pk}/",
        {"stage": stages["won"].pk, "close_reason": "Best service offer"},
    )
    assert won.status_code == 200, won.json()
    assert won.json()["close_reason"] == "Best service offer"
    # The reason it was lost is kept by the entry of the move that left it behind.
    deal.refresh_from_db()
    reopened_entry = deal.history.filter(stage=stages["bid"]).latest("history_date")
    # The close page of a lost deal asked to close as won offers no reason of its own.
    lost = OpportunityFactory(account=personas.account, stage=stages["lost"], close_reason="Price")
    close_page = login(personas.alice).get(
        reverse("opportunities:close", args=[lost.pk]), {"stage": stages["won"].pk}
    )
    assert close_page.context["form"]["close_reason"].value() in ("", None)
    assert reopened_entry.close_reason == ""
    assert reopened_entry.prev_record.close_reason == "Price"


def test_a_probability_set_by_hand_sticks_until_the_deal_closes(personas, stages):
    deal = services.opportunity_create(
        by=personas.alice,
        account=personas.account,
        name="ERP",
        amount=1,
        expected_close_date="2027-01-01",
        probability=35,
    )
    assert deal.probability_is_custom
    tick_all(deal, stages["qualify"], personas.alice)
    services.opportunity_move_stage(
        opportunity=deal, to_stage=stages["needs_analysis"], by=personas.alice
    )
    deal.refresh_from_db()
    assert deal.probability == 35


def test_ticking_a_criterion_is_a_new_version_of_the_deal_and_ticking_it_again_is_not(
    personas, stages
):
    deal = OpportunityFactory(account=personas.account)
    before = deal.version
    criterion = stages["qualify"].criteria.first()
    services.criterion_set(opportunity=deal, criterion=criterion, checked=True, by=personas.bob)
    services.criterion_set(opportunity=deal, criterion=criterion, checked=True, by=personas.bob)
    deal.refresh_from_db()
    assert CriterionCheck.objects.filter(opportunity=deal).count() == 1
    assert deal.version == before + 1


def test_a_contact_of_another_account_cannot_join_the_deal(personas, stages):
    from accounts.tests.factories import ContactFactory

    deal = OpportunityFactory(account=personas.account)
    stranger = ContactFactory(account=personas.charlies_account)
    with pytest.raises(ValidationError):
        services.opportunity_contact_set(
            opportunity=deal,
            contact=stranger,
            role="decider",
            stance="supporter",
            by=personas.alice,
        )


def test_nobody_opens_deals_at_accounts_they_cannot_see(personas, stages):
    with pytest.raises(ApplicationError):
        services.opportunity_create(
            by=personas.charlie,
            account=personas.account,
            name="x",
            amount=1,
            expected_close_date="2027-01-01",
        )


def test_changing_the_deals_contacts_team_or_competitors_is_a_new_version(personas, stages):
    from accounts.tests.factories import ContactFactory
    from opportunities.models import OpportunityCompetitor

    deal = OpportunityFactory(account=personas.account)
    versions = [deal.version]

    def version_now():
        deal.refresh_from_db()
        return deal.version

    entry = services.opportunity_contact_set(
        opportunity=deal,
        contact=ContactFactory(account=personas.account),
        role="decider",
        stance="supporter",
        by=personas.alice,
    )
    versions.append(version_now())
    member = services.opportunity_team_member_set(
        opportunity=deal, user=personas.bob, role="presales", by=personas.alice
    )
    versions.append(version_now())
    competitor = services.opportunity_competitor_save(
        competitor=OpportunityCompetitor(opportunity=deal, name="SAP"), by=personas.alice
    )
    versions.append(version_now())
    services.opportunity_contact_remove(entry=entry, by=personas.alice)
    services.opportunity_team_member_remove(member=member, by=personas.alice)
    services.opportunity_competitor_remove(competitor=competitor, by=personas.alice)
    versions.append(version_now())
    assert versions == [1, 2, 3, 4, 7]
