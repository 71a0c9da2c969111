"""Deals filtered by their account's grade, on the board and in the API."""

import pytest
from django.urls import reverse

from accounts.tests.factories import AccountFactory
from opportunities.tests.factories import OpportunityFactory, default_stages
from scoring import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def graded_deals(personas):
    default_stages()
    pinned = AccountFactory(name="Pinned A Co", owner=personas.alice)
    ungraded = AccountFactory(name="Ungraded Co", owner=personas.alice)
    deals = {
        "a": OpportunityFactory(account=pinned, owner=personas.alice, name="Deal at A"),
        "d": OpportunityFactory(account=personas.account, owner=personas.alice, name="Deal at D"),
        "none": OpportunityFactory(account=ungraded, owner=personas.alice, name="Deal ungraded"),
    }
    OpportunityFactory(account=personas.charlies_account, name="Charlie's deal")
    services.rescore([pinned.pk, personas.account.pk, personas.charlies_account.pk])
    services.grade_pin(
        account=pinned,
        by=personas.manager,
        grade="A",
        reason="Strategic",
        expires_on=pinned.created_at.date().replace(year=pinned.created_at.year + 1),
    )
    return deals


@pytest.mark.parametrize(
    ("grades", "expected"),
    [(["A"], {"a"}), (["D"], {"d"}), (["none"], {"none"}), (["A", "none"], {"a", "none"})],
)
def test_the_api_filters_deals_by_their_accounts_grade(
    personas, api, graded_deals, grades, expected
):
    response = api(personas.alice).get("/api/v1/opportunities/", {"account_grade": grades})
    assert response.status_code == 200
    got = {r["id"] for r in response.json()["results"]}
    assert got == {graded_deals[key].pk for key in expected}


def test_the_board_filters_deals_by_their_accounts_grade(personas, login, graded_deals):
    html = login(personas.alice).get(reverse("opportunities:board"), {"grade": "A"}).content
    assert b"Deal at A" in html
    assert b"Deal at D" not in html and b"Deal ungraded" not in html


def test_an_unknown_grade_is_explained_not_a_500(personas, login, graded_deals):
    response = login(personas.alice).get(reverse("opportunities:board"), {"grade": "Z"})
    assert response.status_code == 200
    assert b"Z is not one of the available choices" in response.content
