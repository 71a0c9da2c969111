"""The account picker: suggestions from /accounts/search/, the field that resolves what
was typed or picked, and pages that pick an account without listing them all."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.tests.factories import AccountFactory
from opportunities.tests.factories import OpportunityFactory, default_stages
from visits.forms import VisitStartForm
from visits.tests.factories import DevelopmentRecordFactory

pytestmark = pytest.mark.django_db

SEARCH = reverse("accounts:search")


def suggested(client, q) -> list[str]:
    response = client.get(SEARCH, {"q": q})
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    return [row["label"] for row in response.json()["results"]]


def test_search_suggests_names_that_start_with_the_text_first(personas, login):
    for name in ["Steelworks North", "Big Steel Co", "Shanghai Steel", "Cement Group"]:
        AccountFactory(name=name, owner=personas.alice)
    client = login(personas.alice)
    assert suggested(client, "steel") == ["Steelworks North", "Big Steel Co", "Shanghai Steel"]
    assert suggested(client, "  cem ") == ["Cement Group"]
    assert suggested(client, "") == []


def test_search_answers_ids_names_and_labels(personas, login):
    response = login(personas.alice).get(SEARCH, {"q": "alice"})
    assert response.json() == {
        "results": [
            {
                "id": personas.account.pk,
                "name": "Alice's Customer Co",
                "label": "Alice's Customer Co",
            }
        ]
    }


def test_two_accounts_of_one_name_are_told_apart_by_their_id(personas, login):
    first = AccountFactory(name="Twin Trading", owner=personas.alice)
    second = AccountFactory(name="Twin Trading", owner=personas.alice)
    assert suggested(login(personas.alice), "twin") == [
        f"Twin Trading (#{first.pk})",
        f"Twin Trading (#{second.pk})",
    ]


@pytest.mark.parametrize(
    "who, expected",
    [
        ("alice", ["Alice's Customer Co"]),
        ("bob", ["Alice's Customer Co"]),  # on its account team
        ("carol", []),
        ("charlie", ["Charlie's Customer Co"]),
        ("manager", ["Alice's Customer Co"]),
        ("other_manager", ["Charlie's Customer Co"]),
        ("admin", ["Alice's Customer Co", "Charlie's Customer Co"]),
    ],
)
def test_search_never_suggests_an_account_the_user_cannot_see(personas, login, who, expected):
    assert suggested(login(getattr(personas, who)), "customer co") == expected


def test_search_suggests_at_most_twenty_in_one_query_however_many_match(personas, login):
    client = login(personas.alice)

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            names = suggested(client, "Match")
        return names, len(ctx.captured_queries)

    for i in range(5):
        AccountFactory(name=f"Match {i:03}", owner=personas.alice)
    few, few_queries = queries()
    for i in range(5, 60):
        AccountFactory(name=f"Match {i:03}", owner=personas.alice)
    many, many_queries = queries()
    assert few == [f"Match {i:03}" for i in range(5)]
    assert many == [f"Match {i:03}" for i in range(20)]
    assert many_queries == few_queries


def test_search_needs_a_signed_in_user_and_a_get(personas, client, login):
    response = client.get(SEARCH, {"q": "alice"})
    assert response.status_code == 302 and "Alice" not in response.content.decode()
    assert login(personas.alice).post(SEARCH, {"q": "alice"}).status_code == 405


# --- the field ------------------------------------------------------------------------


def picked(user, **data):
    form = VisitStartForm(data, user=user)
    return form.cleaned_data["account"] if form.is_valid() else form.errors["account"][0]


def test_a_suggestion_picked_with_javascript_is_the_account_even_among_namesakes(personas):
    AccountFactory(name="Twin Trading", owner=personas.alice)
    twin = AccountFactory(name="Twin Trading", owner=personas.alice)
    alice = personas.alice
    assert picked(alice, account=str(twin.pk), account_name="Twin Trading") == twin
    assert picked(alice, account="", account_name=f"Twin Trading (#{twin.pk})") == twin
    assert picked(alice, account="", account_name="twin trading").startswith(
        "Several of your accounts match “twin trading”"
    )


def test_text_typed_over_a_picked_account_wins_over_its_stale_id(personas):
    beta = AccountFactory(name="Beta Works", owner=personas.alice)
    # Without JavaScript the hidden id keeps the account shown first; the text changed.
    assert picked(personas.alice, account=str(personas.account.pk), account_name="beta") == beta


def test_an_id_outside_the_users_accounts_is_refused_however_it_comes(personas):
    hidden = personas.charlies_account
    refusal = "Choose one of your accounts: type two letters of its name and pick it"
    alice = personas.alice
    assert picked(alice, account=str(hidden.pk)).startswith(refusal)
    assert picked(alice, account="", account_name=f"{hidden.name} (#{hidden.pk})").startswith(
        refusal
    )
    # Its id with its name: still not hers, and not named either.
    assert picked(alice, account=str(hidden.pk), account_name=hidden.name).startswith(
        "None of your accounts is called"
    )


def test_the_field_sent_back_suggests_the_matching_names(personas):
    AccountFactory(name="Beta Works", owner=personas.alice)
    AccountFactory(name="Betamax Trading", owner=personas.alice)
    AccountFactory(name="Bethlehem Steel", owner=personas.charlie)
    form = VisitStartForm({"account": "", "account_name": "bet"}, user=personas.alice)
    assert not form.is_valid()
    html = str(form["account"])
    assert 'name="account_name" value="bet"' in html
    assert '<option value="Beta Works"' in html and '<option value="Betamax Trading"' in html
    assert "Bethlehem" not in html


# --- pages that pick an account ---------------------------------------------------------


PAGES = [
    reverse("opportunities:board"),
    reverse("visits:my_week"),
    reverse("visits:start"),
    reverse("visits:record_list"),
]


@pytest.mark.parametrize("url", PAGES)
def test_pages_that_pick_an_account_stay_small_with_hundreds_of_them(personas, login, url):
    """With 300 accounts each page weighs what it did with 3, asks as many queries and
    offers no account as an <option>: the picker suggests names as the user types."""
    default_stages()
    client = login(personas.alice)

    def grow_to(n):
        while personas.alice.owned_accounts.count() < n:
            account = AccountFactory(owner=personas.alice)
            if "pipeline" in url:
                OpportunityFactory(account=account)
            if "development-records" in url:
                DevelopmentRecordFactory(account=account)

    def fetch():
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200
        return response.content.decode(), len(ctx.captured_queries)

    grow_to(3)
    few, few_queries = fetch()
    grow_to(300)
    many, many_queries = fetch()
    assert many_queries == few_queries
    assert many.count("<option") == few.count("<option") < 20
    for account in personas.alice.owned_accounts.order_by("pk")[:50]:
        assert f">{account.name}</option>" not in many
        assert f'<option value="{account.name}"' not in many
    # Lists on these pages are paged (25 rows, 20 cards a column): they stop growing.
    assert len(many) < len(few) + 25_000 < 60_000
