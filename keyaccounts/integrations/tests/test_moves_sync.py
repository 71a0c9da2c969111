"""A record moved to another account, and an account merged into another, as the sync
side tells it: whoever no longer sees a record gets its removal (never its new data),
whoever sees it now gets it, in the changes feed and by webhook; lists and exports of the
old account no longer hold it. A merge settles who sees the survivor before its records
move in, so an owner it loses is told only of what they saw, and a member of the merged
account's team gets the records they see now (a reviewer's cases)."""

import pytest
from django.utils import timezone

from accounts.services import account_merge
from accounts.tests.factories import (
    AccountFactory,
    ContactFactory,
    TeamMemberFactory,
    UserFactory,
)
from keyaccounts.integrations.delivery import deliver_pending
from keyaccounts.tests.api_records import RECORD_TYPES
from keyaccounts.tests.feed_client import Replica, listed, sync
from opportunities.models import OpportunityContact
from opportunities.services import opportunity_update
from opportunities.tests.factories import OpportunityFactory, default_stages
from visits.tests.factories import VisitFactory

pytestmark = pytest.mark.django_db

KIND = {kind.name: kind for kind in RECORD_TYPES}
CONTACTS, DEALS, VISITS = KIND["contacts"], KIND["opportunities"], KIND["visits"]


@pytest.fixture
def stages(db):
    return default_stages()


@pytest.fixture
def carols(personas):
    """An account of carol's: alice and bob do not see it."""
    return AccountFactory(name="Carol Co", owner=personas.carol)


def page_after(client, kind, cursor) -> dict:
    response = client.get(f"{kind.path}changes/", {"since": cursor})
    assert response.status_code == 200, response.content
    return response.json()


def send_everything(*webhooks) -> None:
    now = timezone.now()
    for webhook in webhooks:
        while deliver_pending(webhook_id=webhook.pk, now=now).delivered:
            pass


# --- a deal or a visit moved ------------------------------------------------------------


@pytest.mark.parametrize("mover", ["manager_api", "admin_service"])
def test_a_deal_moved_out_of_view_is_a_removal_and_in_view_an_update(
    personas, api, stages, carols, mover
):
    deal = OpportunityFactory(account=personas.account, name="Moving Deal", external_id="MV-1")
    contact = ContactFactory(account=personas.account, name="Old Contact")
    OpportunityContact.objects.create(opportunity=deal, contact=contact, role="decider")
    new_contact = ContactFactory(account=carols, name="New Contact")
    readers = {
        name: sync(api(getattr(personas, name)), DEALS, Replica())
        for name in ("alice", "bob", "carol", "manager", "admin")
    }
    assert deal.pk in readers["alice"].rows and deal.pk not in readers["carol"].rows

    if mover == "manager_api":
        response = api(personas.manager).patch(
            f"{DEALS.path}{deal.pk}/",
            {"account": carols.pk, "contacts": [{"contact": new_contact.pk}], "name": "NEWNAME"},
            format="json",
        )
        assert response.status_code == 200, response.content
    else:
        deal.refresh_from_db()
        opportunity_update(
            opportunity=deal,
            by=personas.admin,
            account=carols,
            contacts=[{"contact": new_contact, "role": "user", "stance": "neutral"}],
            name="NEWNAME",
        )

    for name in ("alice", "bob"):
        client = api(getattr(personas, name))
        raw = page_after(client, DEALS, readers[name].cursor)
        assert "NEWNAME" not in str(raw) and "New Contact" not in str(raw), (name, raw)
        assert [(e["id"], e["reason"]) for e in raw["removed"]] == [(deal.pk, "not_visible")]
        assert raw["results"] == [] and raw["deleted"] == []
        assert sync(client, DEALS, readers[name]).rows == listed(client, DEALS), name
    for name in ("carol", "manager", "admin"):
        client = api(getattr(personas, name))
        replica = sync(client, DEALS, readers[name])
        assert deal.pk in replica.rows and replica.exits == [], name
        assert replica.rows == listed(client, DEALS), name
    alice = api(personas.alice)
    rows = alice.get(DEALS.path, {"account": personas.account.pk}).json()["results"]
    assert deal.pk not in [row["id"] for row in rows]
    assert alice.get(f"{DEALS.path}{deal.pk}/").status_code == 404
    assert alice.get(f"{DEALS.path}{deal.pk}/history/").status_code == 404


def test_a_visit_moved_out_of_view_is_a_removal_and_in_view_an_update(personas, api, carols):
    visit = VisitFactory(account=personas.account, purpose="Old purpose")
    readers = {
        name: sync(api(getattr(personas, name)), VISITS, Replica())
        for name in ("alice", "bob", "carol", "manager")
    }
    met = ContactFactory(account=carols, name="Met At Carol")

    response = api(personas.manager).patch(
        f"{VISITS.path}{visit.pk}/",
        {"account": carols.pk, "contacts": [met.pk], "purpose": "NEWPURPOSE"},
        format="json",
    )

    assert response.status_code == 200, response.content
    for name in ("alice", "bob"):
        raw = page_after(api(getattr(personas, name)), VISITS, readers[name].cursor)
        assert "NEWPURPOSE" not in str(raw), (name, raw)
        assert [(e["id"], e["reason"]) for e in raw["removed"]] == [(visit.pk, "not_visible")]
    for name in ("carol", "manager"):
        client = api(getattr(personas, name))
        replica = sync(client, VISITS, readers[name])
        assert visit.pk in replica.rows and replica.exits == [], name
        assert replica.rows == listed(client, VISITS)


def test_webhooks_send_a_moved_deal_to_who_sees_it_now_only(
    personas,
    api,
    stages,
    carols,
    receiver,
    make_webhook,
):
    deal = OpportunityFactory(account=personas.account, name="Moving Deal")
    hooks = {
        name: make_webhook(
            getattr(personas, name), f"{receiver.url}&who={name}", types=["opportunity"]
        )[0]
        for name in ("alice", "bob", "carol", "manager")
    }

    response = api(personas.manager).patch(
        f"{DEALS.path}{deal.pk}/", {"account": carols.pk, "contacts": [], "name": "NEWNAME"}
    )

    assert response.status_code == 200, response.content
    send_everything(*hooks.values())
    got = {}
    for item in receiver.received:
        who = item.path.rsplit("who=", 1)[1]
        record = item.json["record"]
        got.setdefault(who, []).append((item.json["event"], record["id"], record["name"]))
    assert "alice" not in got and "bob" not in got, got
    assert got["carol"] == got["manager"] == [("updated", deal.pk, "NEWNAME")]


def test_a_moved_deal_leaves_the_old_accounts_exports_and_pages(personas, api, login, carols):
    deal = OpportunityFactory(account=personas.account, name="Moving Deal")
    response = api(personas.manager).patch(
        f"{DEALS.path}{deal.pk}/", {"account": carols.pk, "contacts": [], "name": "NEWNAME"}
    )
    assert response.status_code == 200
    client = login(personas.alice)
    for params in ({}, {"account": personas.account.pk}):
        export = client.get("/export/deals/", {"format": "csv", **params})
        assert export.status_code == 200
        body = b"".join(export.streaming_content).decode("utf-8-sig")
        assert "NEWNAME" not in body and "Moving Deal" not in body
    assert "NEWNAME" not in client.get(personas.account.get_absolute_url()).content.decode()
    assert client.get(deal.get_absolute_url()).status_code == 404


# --- an account merged ------------------------------------------------------------------


def test_a_merge_tells_the_owner_it_loses_only_of_what_they_saw(personas, api, stages):
    """Given to the merged account's owner, the survivor leaves alice's view with its own
    records: the merged account's, which she never saw, are not named to her (not even
    their external IDs)."""
    twin = AccountFactory(owner=personas.carol, name="Twin Co")
    contact = ContactFactory(account=twin, name="Twin Contact", external_id="TWIN-SECRET-C")
    deal = OpportunityFactory(account=twin, name="Twin Deal", external_id="TWIN-SECRET-D")
    own = ContactFactory(account=personas.account, name="Alice's Own")
    alice = api(personas.alice)
    replicas = {kind.name: sync(alice, kind, Replica()) for kind in (CONTACTS, DEALS)}
    assert contact.pk not in replicas["contacts"].rows
    assert deal.pk not in replicas["opportunities"].rows

    account_merge(
        survivor=personas.account,
        merged=twin,
        by=personas.manager,
        values={"owner": personas.carol.pk},
    )

    pages = {name: page_after(alice, KIND[name], replicas[name].cursor) for name in replicas}
    assert "TWIN-SECRET" not in str(pages), pages
    assert [e["id"] for e in pages["contacts"]["removed"]] == [own.pk]
    for name, replica in replicas.items():
        assert sync(alice, KIND[name], replica).rows == listed(alice, KIND[name])


def test_a_merge_sends_the_moved_records_to_a_member_of_the_merged_accounts_team(
    personas,
    api,
    stages,
    receiver,
    make_webhook,
):
    dave = UserFactory(username="dave", sales_team=personas.east)
    twin = AccountFactory(owner=personas.carol, name="Twin Co")
    TeamMemberFactory(account=twin, user=dave)
    contact = ContactFactory(account=twin, name="Twin Contact")
    deal = OpportunityFactory(account=twin, name="Twin Deal")
    dave_api = api(dave)
    replicas = {kind.name: sync(dave_api, kind, Replica()) for kind in (CONTACTS, DEALS)}
    hook, _secret = make_webhook(
        dave, f"{receiver.url}&who=dave", types=["contact", "opportunity", "account"]
    )

    account_merge(survivor=personas.account, merged=twin, by=personas.manager, values={})

    # On the survivor's team now, dave sees all three, and his feeds say so.
    assert dave_api.get(f"/api/v1/contacts/{contact.pk}/").status_code == 200
    assert dave_api.get(f"{DEALS.path}{deal.pk}/").status_code == 200
    for name, replica in replicas.items():
        assert sync(dave_api, KIND[name], replica).rows == listed(dave_api, KIND[name])
    send_everything(hook)
    got = {(e["type"], e["record"]["id"], e["event"]) for e in receiver.events()}
    assert ("contact", contact.pk, "updated") in got, got
    assert ("opportunity", deal.pk, "updated") in got, got
    assert ("account", personas.account.pk, "updated") in got, got
