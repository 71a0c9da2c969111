"""The one visibility rule on every pipeline page: 404 for a deal one cannot see."""

import pytest
from django.urls import reverse

from accounts.tests.factories import ContactFactory
from keyaccounts.pytest_plugin import assert_not_found_for, assert_pages_open_for
from opportunities.models import (
    CriterionCheck,
    Opportunity,
    OpportunityCompetitor,
    OpportunityContact,
    OpportunityTeamMember,
    StageChange,
)
from opportunities.tests.factories import OpportunityFactory, default_stages

pytestmark = pytest.mark.django_db


def alices_pages(personas):
    """Every page and form about a deal at alice's account (GET and POST)."""
    stages = default_stages()
    account = personas.account
    deal = OpportunityFactory(account=account, name="Secret deal", description="Secret notes")
    contact = ContactFactory(account=account, name="Secret Contact")
    entry = OpportunityContact.objects.create(
        opportunity=deal, contact=contact, role="decider", stance="supporter"
    )
    member = OpportunityTeamMember.objects.create(
        opportunity=deal, user=personas.bob, role="presales"
    )
    rival = OpportunityCompetitor.objects.create(opportunity=deal, name="Secret Rival")
    criterion = stages["qualify"].criteria.first()
    deal_form = {
        "name": "Hijack",
        "kind": "new_customer",
        "amount": "1",
        "currency": "CNY",
        "expected_close_date": "2027-01-01",
        "version": deal.version,
    }
    on = {"pk": deal.pk}
    return [
        ("get", reverse("opportunities:create", args=[account.pk]), None),
        ("post", reverse("opportunities:create", args=[account.pk]), deal_form),
        ("get", reverse("opportunities:detail", kwargs=on), None),
        ("get", reverse("opportunities:edit", kwargs=on), None),
        ("post", reverse("opportunities:edit", kwargs=on), deal_form),
        ("get", reverse("opportunities:move", kwargs=on), None),
        ("post", reverse("opportunities:move", kwargs=on), {"stage": stages["lost"].pk}),
        ("post", reverse("opportunities:move", kwargs=on), {"stage": stages["qualify"].pk}),
        ("get", reverse("opportunities:close", kwargs=on), None),
        (
            "post",
            reverse("opportunities:close", kwargs=on),
            {"stage": stages["lost"].pk, "close_reason": "Hijack"},
        ),
        ("post", reverse("opportunities:criteria", kwargs=on), {"ticked": [criterion.pk]}),
        (
            "post",
            reverse("opportunities:contact_add", kwargs=on),
            {"contact-contact": contact.pk, "contact-role": "user"},
        ),
        ("post", reverse("opportunities:contact_remove", args=[deal.pk, entry.pk]), None),
        (
            "post",
            reverse("opportunities:team_add", kwargs=on),
            {"team-user": personas.carol.pk, "team-role": "presales"},
        ),
        ("post", reverse("opportunities:team_remove", args=[deal.pk, member.pk]), None),
        ("get", reverse("opportunities:competitor_create", kwargs=on), None),
        ("post", reverse("opportunities:competitor_create", kwargs=on), {"name": "Hijack"}),
        ("get", reverse("opportunities:competitor_edit", args=[deal.pk, rival.pk]), None),
        (
            "post",
            reverse("opportunities:competitor_edit", args=[deal.pk, rival.pk]),
            {"name": "Hijack", "threat": "high"},
        ),
        ("post", reverse("opportunities:competitor_remove", args=[deal.pk, rival.pk]), None),
    ]


def snapshot():
    return [
        list(model.objects.order_by("pk").values())
        for model in [
            Opportunity,
            OpportunityContact,
            OpportunityTeamMember,
            OpportunityCompetitor,
            CriterionCheck,
            StageChange,
        ]
    ]


@pytest.mark.parametrize("outsider", ["carol", "charlie", "other_manager"])
def test_every_pipeline_page_answers_404_to_those_who_cannot_see_the_account(
    personas, login, outsider
):
    pages = alices_pages(personas)
    before = snapshot()
    assert_not_found_for(login(getattr(personas, outsider)), pages)
    assert snapshot() == before


@pytest.mark.parametrize("insider", ["alice", "bob", "manager", "admin"])
def test_those_who_see_the_account_open_every_pipeline_page(personas, login, insider):
    assert_pages_open_for(login(getattr(personas, insider)), alices_pages(personas))


@pytest.mark.parametrize("outsider", ["carol", "charlie", "other_manager"])
def test_the_board_never_shows_a_deal_the_user_cannot_see(personas, login, outsider):
    OpportunityFactory(account=personas.account, name="Secret deal")
    mine = OpportunityFactory(account=personas.charlies_account, name="West coast deal")
    client = login(getattr(personas, outsider))
    for query in ["", "?q=secret", f"?account={personas.account.pk}"]:
        response = client.get(reverse("opportunities:board") + query)
        assert response.status_code == 200
        html = response.content.decode()
        assert "Secret deal" not in html and "Alice&#x27;s" not in html, query
    if outsider == "charlie":
        assert mine.name in client.get(reverse("opportunities:board")).content.decode()


def test_a_contact_of_another_account_is_refused_with_a_clear_message(personas, login):
    deal = OpportunityFactory(account=personas.account)
    theirs = ContactFactory(account=personas.charlies_account, name="Their Contact")
    response = login(personas.alice).post(
        reverse("opportunities:contact_add", args=[deal.pk]),
        {"contact-contact": theirs.pk, "contact-role": "decider", "contact-stance": "supporter"},
    )
    assert response.status_code == 200
    errors = response.context["contact_form"].errors["contact"]
    assert errors == [
        "Choose one of Alice's Customer Co's contacts: only its buying center can be in this deal."
    ]
    assert "Their Contact" not in response.content.decode()
    assert not OpportunityContact.objects.exists()


@pytest.mark.parametrize(
    "url",
    ["/pipeline/", "/pipeline/1/", "/pipeline/1/edit/", "/accounts/1/opportunities/new/"],
)
def test_anonymous_visitors_are_sent_to_the_login_page(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert "/login/" in response["Location"]
