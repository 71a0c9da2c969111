"""/api/v1/accounts/ and /api/v1/contacts/: the visibility rule, filters, the owner
rule, deletes, and a constant number of queries per page."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Account, Contact
from accounts.tests.factories import AccountFactory, ContactFactory
from keyaccounts.models import Tombstone
from visits.tests.factories import DevelopmentRecordFactory, VisitFactory

pytestmark = pytest.mark.django_db


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


# --- visibility ----------------------------------------------------------------------


def test_each_persona_lists_exactly_the_accounts_the_pages_show_them(personas, api):
    mine, theirs = personas.account.pk, personas.charlies_account.pk

    assert ids(api(personas.alice).get("/api/v1/accounts/")) == {mine}
    assert ids(api(personas.bob).get("/api/v1/accounts/")) == {mine}
    assert ids(api(personas.carol).get("/api/v1/accounts/")) == set()
    assert ids(api(personas.charlie).get("/api/v1/accounts/")) == {theirs}
    assert ids(api(personas.manager).get("/api/v1/accounts/")) == {mine}
    assert ids(api(personas.admin).get("/api/v1/accounts/")) == {mine, theirs}


def test_contacts_of_accounts_one_cannot_see_are_not_listed(personas, api):
    ContactFactory(account=personas.account)
    hidden = ContactFactory(account=personas.charlies_account)

    assert hidden.pk not in ids(api(personas.alice).get("/api/v1/contacts/"))
    assert api(personas.alice).get(f"/api/v1/contacts/{hidden.pk}/").status_code == 404


def test_a_contact_cannot_be_put_on_an_account_one_cannot_see(personas, api):
    client = api(personas.charlie)

    invisible = client.post("/api/v1/contacts/", {"account": personas.account.pk, "name": "X"})
    missing = client.post("/api/v1/contacts/", {"account": 999999, "name": "X"})

    assert invisible.status_code == missing.status_code == 400
    assert "account" in invisible.json()["errors"]
    # The same message as for an account that does not exist: nothing leaks.
    assert invisible.json()["errors"]["account"] == [
        message.replace("999999", str(personas.account.pk))
        for message in missing.json()["errors"]["account"]
    ]
    assert not Contact.objects.exists()


def test_a_contact_cannot_be_moved_to_an_account_one_cannot_see(personas, api):
    contact = ContactFactory(account=personas.account)

    response = api(personas.alice).patch(
        f"/api/v1/contacts/{contact.pk}/", {"account": personas.charlies_account.pk}
    )

    assert response.status_code == 400
    assert "account" in response.json()["errors"]
    contact.refresh_from_db()
    assert contact.account_id == personas.account.pk


def test_reports_to_must_be_a_contact_of_the_same_account(personas, api):
    other_account = AccountFactory(owner=personas.alice)
    boss_elsewhere = ContactFactory(account=other_account)
    contact = ContactFactory(account=personas.account)

    response = api(personas.alice).patch(
        f"/api/v1/contacts/{contact.pk}/", {"reports_to": boss_elsewhere.pk}
    )

    assert response.status_code == 400
    assert "reports_to" in response.json()["errors"]


# --- the owner rule ------------------------------------------------------------------


def test_a_new_account_belongs_to_its_creator(personas, api):
    response = api(personas.bob).post("/api/v1/accounts/", {"name": "B", "industry": "energy"})

    assert response.status_code == 201
    assert response.json()["owner"] == personas.bob.pk


def test_a_rep_cannot_give_an_account_to_a_colleague(personas, api):
    response = api(personas.alice).patch(
        f"/api/v1/accounts/{personas.account.pk}/", {"owner": personas.bob.pk}
    )

    assert response.status_code == 400
    assert "owner" in response.json()["errors"]
    personas.account.refresh_from_db()
    assert personas.account.owner == personas.alice


def test_a_rep_cannot_hand_their_account_to_the_owner_of_one_they_work_on(personas, api):
    bobs = AccountFactory(owner=personas.bob)

    response = api(personas.bob).patch(f"/api/v1/accounts/{bobs.pk}/", {"owner": personas.alice.pk})

    assert response.status_code == 400
    assert response.json()["code"] == "owner_not_allowed"
    assert response.json()["errors"]["owner"]


def test_a_manager_gives_an_account_to_a_member_of_the_team(personas, api):
    response = api(personas.manager).patch(
        f"/api/v1/accounts/{personas.account.pk}/", {"owner": personas.carol.pk}
    )

    assert response.status_code == 200
    assert response.json()["owner"] == personas.carol.pk


def test_a_teammate_may_send_the_whole_account_back_with_its_owner_unchanged(personas, api):
    client = api(personas.bob)
    account = client.get(f"/api/v1/accounts/{personas.account.pk}/").json()

    response = client.put(f"/api/v1/accounts/{personas.account.pk}/", {**account, "region": "X"})

    assert response.status_code == 200, response.json()


def test_an_owner_from_another_team_is_refused_like_an_unknown_one(personas, api):
    response = api(personas.alice).post(
        "/api/v1/accounts/", {"name": "B", "industry": "energy", "owner": personas.charlie.pk}
    )

    assert response.status_code == 400
    assert "owner" in response.json()["errors"]


# --- deleting ------------------------------------------------------------------------


def test_the_owner_deletes_an_account_and_its_contacts_go_with_it(personas, api):
    contact = ContactFactory(account=personas.account)

    response = api(personas.alice).delete(f"/api/v1/accounts/{personas.account.pk}/")

    assert response.status_code == 204
    assert not Account.objects.filter(pk=personas.account.pk).exists()
    assert set(Tombstone.objects.values_list("model", "object_id")) == {
        ("accounts.account", personas.account.pk),
        ("accounts.contact", contact.pk),
    }


def test_a_teammate_cannot_delete_the_account(personas, api):
    response = api(personas.bob).delete(f"/api/v1/accounts/{personas.account.pk}/")

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert Account.objects.filter(pk=personas.account.pk).exists()


def test_an_account_with_reviewed_development_records_is_kept(personas, api):
    DevelopmentRecordFactory(
        account=personas.account,
        reviewed_by=personas.manager,
        reviewed_on=datetime.date(2026, 3, 1),
    )

    response = api(personas.alice).delete(f"/api/v1/accounts/{personas.account.pk}/")

    assert response.status_code == 409
    assert response.json()["code"] == "protected"
    assert Account.objects.filter(pk=personas.account.pk).exists()
    assert not Tombstone.objects.exists()


def test_a_teammate_deletes_a_contact(personas, api):
    contact = ContactFactory(account=personas.account, external_id="C-1")

    assert api(personas.bob).delete(f"/api/v1/contacts/{contact.pk}/").status_code == 204
    assert Tombstone.objects.get().external_id == "C-1"


# --- filters and ordering ------------------------------------------------------------


@pytest.fixture
def many_accounts(personas):
    alice = personas.alice
    return {
        "steel": AccountFactory(
            owner=alice, name="Hangzhou Steel", industry="manufacturing", region="East"
        ),
        "bank": AccountFactory(
            owner=alice, name="Ningbo Bank", industry="finance", status="active", region="East"
        ),
        "grid": AccountFactory(owner=alice, name="State Grid", industry="energy", region="North"),
    }


@pytest.mark.parametrize(
    "query, expected",
    [
        ({"industry": "finance"}, {"bank"}),
        ({"status": "active"}, {"bank"}),
        ({"region": "North"}, {"grid"}),
        ({"q": "steel"}, {"steel"}),
        ({"q": "ningbo", "industry": "energy"}, set()),
    ],
)
def test_account_filters(personas, api, many_accounts, query, expected):
    found = ids(api(personas.alice).get("/api/v1/accounts/", query))

    assert found == {many_accounts[key].pk for key in expected}


def test_accounts_filter_by_owner_and_by_change_time(personas, api, many_accounts):
    client = api(personas.manager)
    later = timezone.now()
    Account.objects.filter(pk=many_accounts["grid"].pk).update(
        updated_at=later + timezone.timedelta(minutes=1)
    )

    by_owner = ids(client.get("/api/v1/accounts/", {"owner": personas.alice.pk}))
    by_stranger = ids(client.get("/api/v1/accounts/", {"owner": personas.charlie.pk}))
    recent = ids(client.get("/api/v1/accounts/", {"updated_after": later.isoformat()}))

    assert by_owner == {a.pk for a in many_accounts.values()} | {personas.account.pk}
    assert by_stranger == set()
    assert recent == {many_accounts["grid"].pk}


def test_accounts_are_ordered_as_asked(personas, api, many_accounts):
    client = api(personas.alice)

    by_name = client.get("/api/v1/accounts/", {"ordering": "-name"}).json()["results"]

    assert [row["name"] for row in by_name] == sorted((r["name"] for r in by_name), reverse=True)


def test_contact_filters(personas, api):
    decider = ContactFactory(account=personas.account, buying_role="decider", is_coach=True)
    ContactFactory(account=personas.account, buying_role="user")
    other = AccountFactory(owner=personas.alice)
    elsewhere = ContactFactory(account=other)
    client = api(personas.alice)

    assert ids(client.get("/api/v1/contacts/", {"buying_role": "decider"})) == {decider.pk}
    assert ids(client.get("/api/v1/contacts/", {"is_coach": "true"})) == {decider.pk}
    assert ids(client.get("/api/v1/contacts/", {"account": other.pk})) == {elsewhere.pk}


def test_pages_hold_page_size_rows_up_to_200(personas, api, many_accounts):
    client = api(personas.alice)

    first = client.get("/api/v1/accounts/", {"page_size": 2}).json()
    second = client.get("/api/v1/accounts/", {"page_size": 2, "page": 2}).json()

    assert first["count"] == 4
    assert len(first["results"]) == 2 and len(second["results"]) == 2
    assert not {r["id"] for r in first["results"]} & {r["id"] for r in second["results"]}
    assert first["next"] and second["next"] is None


# --- a constant number of queries ----------------------------------------------------


def queries_for(client, path, page_size) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, {"page_size": page_size})
    assert response.status_code == 200
    assert len(response.json()["results"]) == page_size
    return len(captured)


@pytest.mark.parametrize("path", ["/api/v1/accounts/", "/api/v1/contacts/"])
def test_a_list_costs_the_same_queries_at_any_page_size(personas, api, path):
    for _ in range(50):
        account = AccountFactory(owner=personas.alice)
        ContactFactory(account=account)
        VisitFactory(account=account)
    client = api(personas.manager)
    client.get(path)  # the token's first use

    assert queries_for(client, path, 2) == queries_for(client, path, 50)


def test_a_contact_stays_with_their_account(personas, api):
    """Their account's visits name them: moved, they would stay on those visits, shown to
    people who may not see the account they went to (the import refuses it too)."""
    other = AccountFactory(owner=personas.alice)
    contact = ContactFactory(account=personas.account, name="Wang Wei")
    visit = VisitFactory(account=personas.account, owner=personas.alice)
    visit.contacts.set([contact])

    response = api(personas.alice).patch(f"/api/v1/contacts/{contact.pk}/", {"account": other.pk})

    assert response.status_code == 400, response.content
    assert "stays with their account" in response.json()["errors"]["account"][0]
    stored = Contact.objects.get(pk=contact.pk)
    assert (stored.account_id, stored.version) == (personas.account.pk, contact.version)
    # Their own account again, as a PUT of the whole contact sends it, is no move.
    response = api(personas.alice).patch(
        f"/api/v1/contacts/{contact.pk}/", {"account": personas.account.pk, "title": "CFO"}
    )
    assert response.status_code == 200, response.content
    assert Contact.objects.get(pk=contact.pk).title == "CFO"
