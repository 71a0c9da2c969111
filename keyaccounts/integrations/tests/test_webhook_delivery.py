"""Webhooks against a real HTTP receiver on 127.0.0.1: signed, at least once, in order
per record, retried while the receiver is down, disabled after a day of failures."""

import datetime
import uuid

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from accounts.services import (
    account_update,
    contact_create,
    contact_delete,
    contact_restore,
    contact_update,
)
from keyaccounts.integrations.delivery import deliver_pending
from keyaccounts.integrations.models import DeliveryStatus, WebhookDelivery
from keyaccounts.integrations.tasks import webhook_deliver_due

from .receiver import verify

pytestmark = pytest.mark.django_db


def deliver_all(webhook, now):
    """Passes until one delivers nothing more (a pass stops at its first failure)."""
    while deliver_pending(webhook_id=webhook.pk, now=now).delivered:
        pass


def test_a_change_is_posted_signed_with_the_record_as_the_api_shows_it(
    personas, receiver, make_webhook, api
):
    webhook, secret = make_webhook(personas.alice, receiver.url)
    account = personas.account

    account_update(account=account, by=personas.alice, region="North China")
    deliver_all(webhook, timezone.now())

    [request] = receiver.received
    assert request.path == "/hooks/keyaccounts?source=test"
    assert request.headers["Content-Type"] == "application/json"
    assert verify(secret, request.headers["X-Keyaccounts-Signature"], request.body)
    assert not verify("whsec_another", request.headers["X-Keyaccounts-Signature"], request.body)
    body = request.json
    assert set(body) == {"id", "type", "event", "record", "change", "occurred_at"}
    assert body["type"] == "account"
    assert body["event"] == "updated"
    uuid.UUID(body["id"])
    account.refresh_from_db()
    assert body["change"] == account.change_seq
    assert body["record"] == api(personas.alice).get(f"/api/v1/accounts/{account.pk}/").json()
    assert body["record"]["region"] == "North China"
    row = WebhookDelivery.objects.get()
    assert (row.status, row.attempts, row.response_code) == (DeliveryStatus.DELIVERED, 1, 200)


def received_for(receiver, record_type, object_id) -> list[dict]:
    return [
        event
        for event in receiver.events()
        if event["type"] == record_type and event["record"]["id"] == object_id
    ]


def test_the_receiver_down_for_a_while_then_back_gets_every_change_once_in_order(
    personas, receiver, make_webhook
):
    webhook, secret = make_webhook(personas.alice, receiver.url)
    account, alice = personas.account, personas.alice

    account_update(account=account, by=alice, region="North China")
    deliver_all(webhook, timezone.now())
    assert len(receiver.received) == 1

    receiver.stop()
    contact = contact_create(account=account, by=alice, name="Wang Wei", title="CTO")
    contact_update(contact=contact, by=alice, title="CIO")
    account_update(account=account, by=alice, region="South China")
    contact_update(contact=contact, by=alice, title="CEO")
    contact_delete(contact=contact, by=alice)
    contact_restore(contact=contact, by=alice)
    waiting = WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING)
    assert waiting.count() == 6
    start = timezone.now()

    # Down: each pass tries one row, fails, and stops; the failed rows back off.
    for minutes in (0, 1, 3, 7):
        result = deliver_pending(
            webhook_id=webhook.pk, now=start + datetime.timedelta(minutes=minutes)
        )
        assert (result.delivered, result.failed) == (0, 1)
    assert waiting.count() == 6
    assert len(receiver.received) == 1
    tried = waiting.filter(attempts__gt=0)
    assert tried.exists()
    assert all("refused" in row.last_error for row in tried)

    receiver.start()
    deliver_all(webhook, start + datetime.timedelta(hours=2))

    assert waiting.count() == 0
    requests = receiver.received
    events = receiver.events()
    # None lost, none twice: one request per outbox row, each event once.
    rows = WebhookDelivery.objects.all()
    assert sorted(e["id"] for e in events) == sorted(str(r.event_id) for r in rows)
    assert len({e["id"] for e in events}) == len(events) == 7
    assert all(verify(secret, r.headers["X-Keyaccounts-Signature"], r.body) for r in requests)
    # In order per record: change numbers grow, events follow the record's story.
    contact_events = received_for(receiver, "contact", contact.pk)
    assert [e["event"] for e in contact_events] == [
        "created",
        "updated",
        "updated",
        "deleted",
        "restored",
    ]
    for record_events in (contact_events, received_for(receiver, "account", account.pk)):
        changes = [e["change"] for e in record_events]
        assert changes == sorted(changes) and len(set(changes)) == len(changes)
    assert [e["record"]["region"] for e in received_for(receiver, "account", account.pk)][
        0
    ] == "North China"


def test_a_records_later_change_waits_for_its_earlier_one_others_go_on(
    personas, receiver, make_webhook
):
    webhook, _secret = make_webhook(personas.alice, receiver.url)
    alice = personas.alice
    first = contact_create(account=personas.account, by=alice, name="Li Na")
    contact_update(contact=first, by=alice, title="Buyer")
    other = contact_create(account=personas.account, by=alice, name="Zhao Lei")
    refuse = {"on": True}
    receiver.answer = lambda body: 503 if refuse["on"] and body["record"]["id"] == first.pk else 200
    now = timezone.now()

    deliver_pending(webhook_id=webhook.pk, now=now)  # first's creation: refused
    deliver_all(webhook, now)

    assert [e["record"]["id"] for e in receiver.events()[1:]] == [other.pk]
    waiting = WebhookDelivery.objects.filter(object_id=first.pk, status=DeliveryStatus.PENDING)
    created, updated = waiting.order_by("pk")
    assert (created.attempts, created.response_code) == (1, 503)
    assert "503" in created.last_error
    assert updated.attempts == 0  # never tried while its earlier change waits
    assert created.next_attempt_at == now + datetime.timedelta(seconds=30)

    refuse["on"] = False
    deliver_all(webhook, now + datetime.timedelta(seconds=30))

    mine = received_for(receiver, "contact", first.pk)
    assert [e["event"] for e in mine[-2:]] == ["created", "updated"]


def test_failed_attempts_back_off_exponentially(personas, receiver, make_webhook, settings):
    webhook, _secret = make_webhook(personas.alice, receiver.url)
    receiver.status = 500
    account_update(account=personas.account, by=personas.alice, region="West China")
    row = WebhookDelivery.objects.get()
    now = timezone.now()
    waits = []
    for _ in range(9):
        deliver_pending(webhook_id=webhook.pk, now=now)
        row.refresh_from_db()
        waits.append((row.next_attempt_at - now).total_seconds())
        now = row.next_attempt_at

    assert waits == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]
    assert row.attempts == 9
    assert len(receiver.received) == 9
    # Every retry sends the same bytes (same event id), signed anew.
    assert len({r.body for r in receiver.received}) == 1


def test_a_day_of_failures_disables_the_webhook_and_tells_its_owner(
    personas, receiver, make_webhook, django_capture_on_commit_callbacks
):
    webhook, _secret = make_webhook(personas.alice, receiver.url)
    receiver.status = 503
    account_update(account=personas.account, by=personas.alice, region="West China")
    start = timezone.now()

    deliver_pending(webhook_id=webhook.pk, now=start)
    deliver_pending(webhook_id=webhook.pk, now=start + datetime.timedelta(hours=23))
    webhook.refresh_from_db()
    assert webhook.is_active
    with django_capture_on_commit_callbacks(execute=True):
        deliver_pending(webhook_id=webhook.pk, now=start + datetime.timedelta(hours=24))

    webhook.refresh_from_db()
    assert not webhook.is_active
    assert webhook.disabled_reason == "failing"
    [email] = mail.outbox
    assert email.to == [personas.alice.email]
    assert webhook.url in email.body
    assert f"/webhooks/{webhook.pk}/" in email.body
    # Disabled: nothing more is sent, and new changes are not queued for it.
    account_update(account=personas.account, by=personas.alice, region="East China")
    assert WebhookDelivery.objects.count() == 1
    tries = len(receiver.received)
    deliver_pending(webhook_id=webhook.pk, now=start + datetime.timedelta(hours=30))
    assert len(receiver.received) == tries

    # Enabled again: what waited goes out, with a fresh window.
    from keyaccounts.integrations.services import webhook_enable

    receiver.status = 200
    webhook_enable(webhook=webhook, by=personas.alice, now=start + datetime.timedelta(hours=30))
    deliver_all(webhook, start + datetime.timedelta(hours=30))
    assert WebhookDelivery.objects.get().status == DeliveryStatus.DELIVERED


def test_a_change_commits_even_when_the_queue_is_down_and_beat_sends_it_later(
    personas, receiver, make_webhook, monkeypatch, django_capture_on_commit_callbacks
):
    from keyaccounts.integrations.tasks import webhook_deliver

    webhook, _secret = make_webhook(personas.alice, receiver.url)

    def broker_down(*args, **kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(webhook_deliver, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        account_update(account=personas.account, by=personas.alice, region="Hainan")
    assert receiver.received == []
    assert WebhookDelivery.objects.get().status == DeliveryStatus.PENDING

    monkeypatch.undo()
    assert webhook_deliver_due() == 1
    assert WebhookDelivery.objects.get().status == DeliveryStatus.DELIVERED
    assert receiver.events()[0]["record"]["region"] == "Hainan"


def test_after_the_commit_the_change_is_sent_at_once(
    personas, receiver, make_webhook, monkeypatch, django_capture_on_commit_callbacks
):
    from keyaccounts.integrations.tasks import webhook_deliver

    make_webhook(personas.alice, receiver.url)
    nudges = []
    send = webhook_deliver.apply_async
    monkeypatch.setattr(
        webhook_deliver, "apply_async", lambda *a, **k: nudges.append(a) or send(*a, **k)
    )

    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            account_update(account=personas.account, by=personas.alice, region="Tibet")
            contact_create(account=personas.account, by=personas.alice, name="Sun Li")

    assert len(nudges) == 1  # one nudge per webhook and transaction
    assert [e["event"] for e in receiver.events()] == ["updated", "created"]


def test_a_change_rolled_back_leaves_nothing_in_the_outbox(personas, receiver, make_webhook):
    make_webhook(personas.alice, receiver.url)

    with pytest.raises(RuntimeError), transaction.atomic():
        account_update(account=personas.account, by=personas.alice, region="Gansu")
        assert WebhookDelivery.objects.count() == 1
        raise RuntimeError("the request failed after the save")

    assert WebhookDelivery.objects.count() == 0


def test_a_redelivery_sends_the_same_event_again(personas, receiver, make_webhook):
    from keyaccounts.integrations.services import delivery_redeliver

    webhook, secret = make_webhook(personas.alice, receiver.url)
    account_update(account=personas.account, by=personas.alice, region="Jilin")
    deliver_all(webhook, timezone.now())
    row = WebhookDelivery.objects.get()

    again = delivery_redeliver(delivery=row, by=personas.alice)
    deliver_all(webhook, timezone.now())

    first, second = receiver.received
    assert first.body == second.body
    assert verify(secret, second.headers["X-Keyaccounts-Signature"], second.body)
    again.refresh_from_db()
    assert (again.status, again.redelivery_of, again.event_id) == (
        DeliveryStatus.DELIVERED,
        row.pk,
        row.event_id,
    )


def test_delivered_rows_are_purged_after_thirty_days(personas, receiver, make_webhook):
    from keyaccounts.integrations.delivery import purge_outbox

    webhook, _secret = make_webhook(personas.alice, receiver.url)
    for region in ("Anhui", "Hubei"):
        account_update(account=personas.account, by=personas.alice, region=region)
    deliver_all(webhook, timezone.now())
    account_update(account=personas.account, by=personas.alice, region="Hunan")
    old, recent, waiting = WebhookDelivery.objects.order_by("pk")
    now = timezone.now()
    WebhookDelivery.objects.filter(pk=old.pk).update(finished_at=now - datetime.timedelta(days=31))
    WebhookDelivery.objects.filter(pk=recent.pk).update(
        finished_at=now - datetime.timedelta(days=29)
    )

    assert purge_outbox(now) == 1
    assert set(WebhookDelivery.objects.values_list("pk", flat=True)) == {recent.pk, waiting.pk}


def test_every_way_a_record_changes_is_announced(personas, receiver, make_webhook):
    from accounts.services import account_create, account_merge
    from opportunities.services import criterion_set
    from opportunities.tests.factories import OpportunityFactory, default_stages
    from visits.services import visit_save

    manager = personas.manager
    webhook, _secret = make_webhook(
        manager, receiver.url, types=["account", "contact", "visit", "opportunity"]
    )
    survivor = personas.account
    merged = account_create(
        by=personas.alice, name="Alice Customer Dup Holding", industry="finance"
    )
    moved = contact_create(account=merged, by=personas.alice, name="Moved Person")
    met = contact_create(account=survivor, by=personas.alice, name="Met Person")
    deal = OpportunityFactory(account=survivor, owner=personas.alice)
    criterion_set(  # a part of the deal: a new version, announced as an update
        opportunity=deal,
        criterion=default_stages()["qualify"].criteria.first(),
        checked=True,
        by=personas.alice,
    )
    visit = visit_save(
        by=personas.alice,
        account=survivor,
        contacts=[met],
        purpose="Kick-off",
        status="planned",
        planned_at=timezone.now() + datetime.timedelta(days=2),
    )
    account_merge(survivor=survivor, merged=merged, by=manager, values={})
    deliver_all(webhook, timezone.now())

    seen = [(e["type"], e["record"]["id"], e["event"]) for e in receiver.events()]
    assert seen == [
        ("account", merged.pk, "created"),
        ("contact", moved.pk, "created"),
        ("contact", met.pk, "created"),
        ("opportunity", deal.pk, "created"),
        ("opportunity", deal.pk, "updated"),
        ("visit", visit.pk, "created"),
        # The merge: the survivor saved first (who sees it settled), then what moved into
        # it, then the merged account to the recycle bin.
        ("account", survivor.pk, "updated"),
        ("contact", moved.pk, "updated"),  # moved to the survivor by the merge
        ("account", merged.pk, "deleted"),
    ]
    events = receiver.events()
    # The body is built when sent: the visit's people, set after its first save, are in.
    assert events[5]["record"]["contacts"] == [met.pk]
    assert events[7]["record"]["account"] == survivor.pk  # the moved contact


def test_a_record_that_cannot_be_read_fails_alone_and_the_others_go_on(
    personas, receiver, make_webhook, monkeypatch
):
    from keyaccounts.integrations import delivery

    webhook, _secret = make_webhook(personas.alice, receiver.url)
    broken = contact_create(account=personas.account, by=personas.alice, name="Broken")
    fine = contact_create(account=personas.account, by=personas.alice, name="Fine")
    real = delivery.representation

    def representation(kind, user, pk):
        if pk == broken.pk:
            raise RuntimeError("a bug in a serializer")
        return real(kind, user, pk)

    monkeypatch.setattr(delivery, "representation", representation)
    now = timezone.now()
    deliver_pending(webhook_id=webhook.pk, now=now)  # the broken one: fails, stops the pass
    deliver_all(webhook, now)

    assert [e["record"]["id"] for e in receiver.events()] == [fine.pk]
    row = WebhookDelivery.objects.get(object_id=broken.pk)
    assert row.status == DeliveryStatus.PENDING and row.attempts >= 1
    assert "could not be read" in row.last_error
