"""The feed-equals-list property: for every persona and record type, after each step of a
story of reassignments, account-team and sales-team changes, manager changes, moves,
deletes, restores and merges, a client that applies the changes feed holds exactly what
the list endpoint shows (ids and versions) — whether it follows the feed step by step,
replays it from the beginning, or picks it up from the cursor of any earlier step onto
the list it had then. And a deletion or removal never reaches someone who never saw the
record. Runs on SQLite and PostgreSQL alike."""

import pytest

from accounts.models import AccountTeamMember, Contact
from accounts.services import (
    account_delete,
    account_merge,
    account_restore,
    account_update,
    contact_create,
    contact_delete,
    contact_merge,
    contact_restore,
    contact_update,
    team_member_remove,
    team_member_set,
)
from accounts.tests.factories import AccountFactory, ContactFactory
from opportunities.models import Opportunity
from opportunities.services import opportunity_delete
from opportunities.tests.factories import OpportunityFactory
from visits.models import Visit
from visits.services import visit_save
from visits.tests.factories import DevelopmentRecordFactory, VisitFactory

from .api_records import RECORD_TYPES
from .feed_client import Replica, listed, sync

pytestmark = pytest.mark.django_db


def fill(account) -> None:
    ContactFactory(account=account)
    ContactFactory(account=account)
    VisitFactory(account=account)
    OpportunityFactory(account=account)
    DevelopmentRecordFactory(account=account)


def story(p):
    """The steps, each (what happens, a function that makes it happen through the
    services and saves the pages and the admin use)."""
    a1, a2 = p.account, p.charlies_account
    a3 = AccountFactory(owner=p.bob, name="Bob's Customer Co")
    a4 = AccountFactory(owner=p.carol, name="Carol's Customer Co")
    for account in (a1, a2, a3, a4):
        fill(account)

    def contact_of(account, index=0) -> Contact:
        return Contact.all_objects.filter(account=account).order_by("pk")[index]

    def set_team(user, team):
        user.sales_team = team
        user.save()

    def set_manager(team, manager):
        team.manager = manager
        team.save()

    return [
        (
            "manager gives A1 to carol",
            lambda: account_update(account=a1, by=p.manager, owner=p.carol),
        ),
        (
            "carol adds a contact at A1",
            lambda: contact_create(account=a1, by=p.carol, name="Li Lei"),
        ),
        (
            "manager merges two contacts of A1",
            lambda: contact_merge(
                survivor=contact_of(a1, 0), merged=contact_of(a1, 1), by=p.manager, values={}
            ),
        ),
        (
            "manager takes bob off A1's team",
            lambda: team_member_remove(
                member=AccountTeamMember.objects.get(account=a1, user=p.bob), by=p.manager
            ),
        ),
        ("charlie moves to the East team", lambda: set_team(p.charlie, p.east)),
        (
            "manager puts alice on A2's team",
            lambda: team_member_set(account=a2, by=p.manager, user=p.alice, role="sales"),
        ),
        ("bob deletes a contact of A3", lambda: contact_delete(contact=contact_of(a3), by=p.bob)),
        ("other_manager takes over the East team", lambda: set_manager(p.east, p.other_manager)),
        ("bob restores it", lambda: contact_restore(contact=contact_of(a3), by=p.bob)),
        ("carol deletes A4", lambda: account_delete(account=a4, by=p.carol)),
        ("manager gets the East team back", lambda: set_manager(p.east, p.manager)),
        ("carol restores A4", lambda: account_restore(account=a4, by=p.carol)),
        (
            "admin moves A3's visit to A2",
            lambda: visit_save(
                by=p.admin, account=a2, visit=Visit.objects.filter(account=a3).first()
            ),
        ),
        (
            "manager merges A3 into A2",
            lambda: account_merge(survivor=a2, merged=a3, by=p.manager, values={}),
        ),
        ("bob leaves the East team", lambda: set_team(p.bob, None)),
        (
            "carol changes her contact",
            lambda: contact_update(
                contact=Contact.objects.get(name="Li Lei"), by=p.carol, title="CTO"
            ),
        ),
        ("charlie goes back to the West team", lambda: set_team(p.charlie, p.west)),
        (
            "alice deletes a deal at A2",
            lambda: opportunity_delete(
                opportunity=Opportunity.objects.filter(account=a2).first(), by=p.alice
            ),
        ),
        (
            "manager gives A1 back to alice",
            lambda: account_update(account=a1, by=p.manager, owner=p.alice),
        ),
    ]


def test_every_personas_feed_equals_their_list_after_every_step_and_from_every_cursor(
    personas, api
):
    people = {
        "rep1 (alice)": personas.alice,
        "rep2 (bob)": personas.bob,
        "manager": personas.manager,
        "another team (charlie)": personas.charlie,
        "superuser": personas.admin,
    }
    steps = story(personas)
    clients = {name: api(user) for name, user in people.items()}
    follow = {(name, kind.name): Replica() for name in people for kind in RECORD_TYPES}
    seen = {key: set() for key in follow}  # every id the list ever showed them
    snapshots = {key: [] for key in follow}  # (cursor, list) after each step

    def observe(step: str):
        for name, client in clients.items():
            for kind in RECORD_TYPES:
                key = (name, kind.name)
                shown = listed(client, kind)
                seen[key] |= set(shown)
                follow[key] = sync(client, kind, follow[key])
                assert follow[key].rows == shown, (step, key)
                snapshots[key].append((follow[key].cursor, shown))

    observe("the start")
    for step, act in steps:
        act()
        observe(step)

    exits = {key: list(replica.exits) for key, replica in follow.items()}
    for name, client in clients.items():
        for kind in RECORD_TYPES:
            key = (name, kind.name)
            final = snapshots[key][-1][1]
            from_start = sync(client, kind, Replica(), limit=3)
            assert from_start.rows == final, (key, "from the start")
            exits[key] += from_start.exits
            for index, (cursor, shown) in enumerate(snapshots[key]):
                replayed = sync(client, kind, Replica(dict(shown), cursor), limit=4)
                assert replayed.rows == final, (key, "from the cursor after", index)
                exits[key] += replayed.exits

    for key, told in exits.items():
        strangers = {pk for pk, _how in told} - seen[key]
        assert not strangers, (key, "told of records they never saw", strangers)
    # The story did take things out of view, not only in.
    assert any(how == "removed" for told in exits.values() for _pk, how in told)
    assert any(how == "deleted" for told in exits.values() for _pk, how in told)
