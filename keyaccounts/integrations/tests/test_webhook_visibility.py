"""A webhook carries only what its owner can see, when the change is made and when it
is sent."""

import pytest
from django.utils import timezone

from accounts.services import account_update, contact_create
from keyaccounts.integrations.delivery import deliver_pending
from keyaccounts.integrations.models import DeliveryStatus, WebhookDelivery
from opportunities.tests.factories import OpportunityFactory

pytestmark = pytest.mark.django_db


def send_everything(*webhooks):
    now = timezone.now()
    for webhook in webhooks:
        while deliver_pending(webhook_id=webhook.pk, now=now).delivered:
            pass


def received_by(receiver, who) -> list[dict]:
    return [item.json for item in receiver.received if item.path.endswith(f"who={who}")]


def test_each_owner_gets_the_changes_they_can_see_and_no_others(personas, receiver, make_webhook):
    names = ["alice", "bob", "carol", "charlie", "manager", "other_manager", "admin"]
    hooks = {
        name: make_webhook(getattr(personas, name), f"{receiver.url}&who={name}")[0]
        for name in names
    }

    contact = contact_create(account=personas.account, by=personas.alice, name="Qian Yu")
    account_update(account=personas.charlies_account, by=personas.charlie, region="West")
    send_everything(*hooks.values())

    # Counted by hand from the personas: alice owns the account, bob is on its team, the
    # manager manages their team, the admin sees all; charlie's account is his team's.
    sees_alices = {"alice", "bob", "manager", "admin"}
    sees_charlies = {"charlie", "other_manager", "admin"}
    for name in names:
        got = {(e["type"], e["record"]["id"]) for e in received_by(receiver, name)}
        expected = set()
        if name in sees_alices:
            expected.add(("contact", contact.pk))
        if name in sees_charlies:
            expected.add(("account", personas.charlies_account.pk))
        assert got == expected, name


def test_a_record_that_left_the_owners_view_before_it_was_sent_is_not_sent(
    personas, receiver, make_webhook
):
    webhook, _secret = make_webhook(personas.alice, f"{receiver.url}&who=alice")
    account = personas.account
    account_update(account=account, by=personas.alice, region="Before the move")
    # The manager gives the account to carol: alice no longer sees it.
    account_update(account=account, by=personas.manager, owner=personas.carol)

    send_everything(webhook)

    assert receiver.received == []
    row = WebhookDelivery.objects.get(webhook=webhook)  # the move itself was never queued
    assert row.status == DeliveryStatus.SKIPPED
    assert row.body == ""


def test_only_the_record_types_a_webhook_names_are_queued(personas, receiver, make_webhook):
    webhook, _secret = make_webhook(personas.alice, receiver.url, types=["opportunity"])

    account_update(account=personas.account, by=personas.alice, region="Somewhere")
    deal = OpportunityFactory(account=personas.account, owner=personas.alice)
    send_everything(webhook)

    assert [(e["type"], e["event"], e["record"]["id"]) for e in receiver.events()] == [
        ("opportunity", "created", deal.pk)
    ]


def test_an_inactive_owners_webhook_gets_nothing(personas, receiver, make_webhook):
    webhook, _secret = make_webhook(personas.alice, receiver.url)
    personas.alice.is_active = False
    personas.alice.save()

    account_update(account=personas.account, by=personas.manager, region="Quiet")
    send_everything(webhook)

    assert WebhookDelivery.objects.filter(webhook=webhook).count() == 0
    assert receiver.received == []
