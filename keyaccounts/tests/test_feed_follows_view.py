"""The changes feed follows what the caller can see: records come in when their account
is given to the caller, leave as `removed` when it is taken away or they move out of
sight, and deletions reach only those who could see the record."""

import pytest

from accounts.models import AccountTeamMember
from accounts.services import (
    account_delete,
    account_merge,
    account_restore,
    account_update,
    contact_create,
    contact_delete,
    team_member_remove,
    team_member_set,
)
from accounts.tests.factories import AccountFactory, ContactFactory
from opportunities.tests.factories import OpportunityFactory
from scoring.plans.tests.api_records import plan_records
from scoring.receivables.tests.api_records import receivable_records
from visits.complaints.tests.api_records import complaint_records
from visits.services import visit_save
from visits.tests.factories import DevelopmentRecordFactory, VisitFactory

from .api_records import RECORD_TYPES
from .feed_client import Replica, listed, sync

pytestmark = pytest.mark.django_db

KIND = {kind.name: kind for kind in RECORD_TYPES}
each_type = pytest.mark.parametrize("kind", RECORD_TYPES, ids=str)


def fill(account, tag: str) -> dict:
    """One record of every type under `account` (its own id for the account itself)."""
    return {
        "accounts": account.pk,
        "contacts": ContactFactory(account=account, external_id=f"{tag}-C").pk,
        "visits": VisitFactory(account=account, external_id=f"{tag}-V").pk,
        "opportunities": OpportunityFactory(account=account, external_id=f"{tag}-O").pk,
        "development-records": DevelopmentRecordFactory(account=account, external_id=f"{tag}-D").pk,
        **plan_records(account, tag),  # scoring.plans (issue 13)
        **complaint_records(account, tag),  # visits.complaints (issue 13)
        **receivable_records(account, tag),  # scoring.receivables (invoices)
    }


@each_type
def test_an_account_given_to_a_rep_brings_everything_under_it_into_their_feed(personas, api, kind):
    records = fill(personas.charlies_account, "W")
    client = api(personas.alice)
    replica = sync(client, kind, Replica())
    assert records[kind.name] not in replica.rows

    # Charlie puts alice on his account's team.
    team_member_set(
        account=personas.charlies_account, by=personas.charlie, user=personas.alice, role="sales"
    )
    replica = sync(client, kind, replica)

    assert records[kind.name] in replica.rows
    assert replica.rows == listed(client, kind)


@each_type
def test_an_account_taken_from_a_rep_is_removed_from_their_feed_not_deleted(personas, api, kind):
    personas.account.external_id = "E-A"
    personas.account.save()
    records = fill(personas.account, "E")
    client, bob = api(personas.alice), api(personas.bob)
    replica, bobs = sync(client, kind, Replica()), sync(bob, kind, Replica())
    assert records[kind.name] in replica.rows

    account_update(account=personas.account, by=personas.manager, owner=personas.carol)
    page = client.get(f"{kind.path}changes/", {"since": replica.cursor}).json()

    (removed,) = page["removed"]
    assert removed["id"] == records[kind.name]
    assert removed["reason"] == "not_visible"
    assert removed["external_id"] == f"E-{kind.name[0].upper()}"
    assert page["deleted"] == [] and page["results"] == []
    # Bob is still on the account team: nothing left his view.
    bobs = sync(bob, kind, bobs)
    assert bobs.exits == [] and records[kind.name] in bobs.rows


def test_a_record_created_after_the_account_was_taken_never_reaches_the_former_owner(personas, api):
    contacts = KIND["contacts"]
    client = api(personas.alice)
    replica = sync(client, contacts, Replica())
    account_update(account=personas.account, by=personas.manager, owner=personas.carol)
    later = contact_create(account=personas.account, by=personas.carol, name="Li Lei")
    contact_delete(contact=later, by=personas.carol)

    replica = sync(client, contacts, replica)

    assert later.pk not in {pk for pk, _how in replica.exits}
    assert replica.rows == listed(client, contacts) == {}


@each_type
def test_a_deletion_reaches_only_those_who_could_see_the_record(personas, api, kind):
    records = fill(personas.account, "SECRET")
    readers = {
        user: sync(api(user), kind, Replica())
        for user in (
            personas.alice,
            personas.bob,
            personas.manager,
            personas.charlie,
            personas.admin,
        )
    }

    account_delete(account=personas.account, by=personas.alice)

    for user, replica in readers.items():
        replica = sync(api(user), kind, replica)
        got = [pk for pk, how in replica.exits if how == "deleted"]
        if user == personas.charlie:
            assert got == [], "another team's rep learns of the deletion"
        else:
            assert got == [records[kind.name]], user
        assert replica.rows == listed(api(user), kind)


def test_a_tombstone_never_shows_another_teams_external_id(personas, api):
    contact = ContactFactory(account=personas.account, external_id="ERP-ALICE-1")
    page = api(personas.charlie).get("/api/v1/contacts/changes/").json()
    cursor = page["next_cursor"]

    contact_delete(contact=contact, by=personas.alice)
    page = api(personas.charlie).get("/api/v1/contacts/changes/", {"since": cursor}).json()

    assert page == {**page, "deleted": [], "removed": [], "results": []}
    assert "ERP-ALICE-1" not in str(api(personas.charlie).get("/api/v1/contacts/changes/").json())


def test_a_restored_record_comes_back_to_who_sees_it(personas, api):
    contacts = KIND["contacts"]
    client = api(personas.alice)
    contact = ContactFactory(account=personas.account)
    replica = sync(client, contacts, Replica())
    account_delete(account=personas.account, by=personas.alice)
    replica = sync(client, contacts, replica)
    assert contact.pk not in replica.rows

    account_restore(account=personas.account, by=personas.alice)
    replica = sync(client, contacts, replica)

    assert contact.pk in replica.rows
    assert replica.rows == listed(client, contacts)


def test_a_visit_moved_to_an_account_the_rep_cannot_see_is_removed(personas, api):
    visits = KIND["visits"]
    visit = VisitFactory(account=personas.account)
    alice, charlie = api(personas.alice), api(personas.charlie)
    mine, theirs = sync(alice, visits, Replica()), sync(charlie, visits, Replica())

    visit_save(by=personas.admin, account=personas.charlies_account, visit=visit)
    mine, theirs = sync(alice, visits, mine), sync(charlie, visits, theirs)

    assert (visit.pk, "removed") in mine.exits
    assert visit.pk in theirs.rows and theirs.exits == []
    assert mine.rows == listed(alice, visits)
    assert theirs.rows == listed(charlie, visits)


def test_a_merge_removes_what_moved_from_those_who_saw_only_the_merged_account(personas, api):
    contacts = KIND["contacts"]
    twin = AccountFactory(owner=personas.carol, name="Twin Co")
    contact = ContactFactory(account=twin)
    carol = api(personas.carol)
    replica = sync(carol, contacts, Replica())
    assert contact.pk in replica.rows

    # Alice's account survives; carol sees neither it nor, now, the contact.
    account_merge(survivor=personas.account, merged=twin, by=personas.manager, values={})
    replica = sync(carol, contacts, replica)

    assert (contact.pk, "removed") in replica.exits
    assert replica.rows == listed(carol, contacts) == {}
    alice = sync(api(personas.alice), contacts, Replica())
    assert contact.pk in alice.rows


def test_leaving_the_account_team_removes_and_rejoining_brings_back(personas, api):
    kind = KIND["opportunities"]
    deal = OpportunityFactory(account=personas.account)
    bob = api(personas.bob)
    replica = sync(bob, kind, Replica())
    member = AccountTeamMember.objects.get(account=personas.account, user=personas.bob)

    team_member_remove(member=member, by=personas.alice)
    replica = sync(bob, kind, replica)
    assert (deal.pk, "removed") in replica.exits and deal.pk not in replica.rows

    team_member_set(account=personas.account, by=personas.alice, user=personas.bob, role="sales")
    replica = sync(bob, kind, replica)
    assert replica.rows == listed(bob, kind) == {deal.pk: 1}


def test_a_grant_larger_than_a_page_is_paged_without_a_gap(personas, api):
    contacts = KIND["contacts"]
    many = {ContactFactory(account=personas.charlies_account).pk for _ in range(7)}
    client = api(personas.alice)
    replica = sync(client, contacts, Replica())

    team_member_set(
        account=personas.charlies_account, by=personas.charlie, user=personas.alice, role="sales"
    )
    replica = sync(client, contacts, replica, limit=2)

    assert many <= set(replica.rows)
    assert replica.pages >= 4  # seven contacts, two a page: the grant was cut
    assert replica.rows == listed(client, contacts)


def test_a_record_back_in_view_by_the_next_sync_is_not_removed(personas, api):
    kind = KIND["opportunities"]
    deal = OpportunityFactory(account=personas.account)
    bob = api(personas.bob)
    replica = sync(bob, kind, Replica())
    member = AccountTeamMember.objects.get(account=personas.account, user=personas.bob)

    team_member_remove(member=member, by=personas.alice)
    team_member_set(account=personas.account, by=personas.alice, user=personas.bob, role="sales")
    replica = sync(bob, kind, replica, limit=1)  # the removal and the return on two pages

    assert replica.exits == []
    assert replica.rows == listed(bob, kind) == {deal.pk: 1}
