"""Deliveries on PostgreSQL with several senders at once, and through a real Celery
worker on the `webhooks` queue (services tests: PostgreSQL, Redis)."""

import threading
import time

import pytest
from django.db import connections
from django.utils import timezone

from accounts.services import contact_create, contact_update
from keyaccounts.integrations.delivery import deliver_pending
from keyaccounts.integrations.models import DeliveryStatus, WebhookDelivery


def test_webhook_tasks_go_to_the_webhooks_queue():
    from keyaccounts.celery import app

    for name in (
        "keyaccounts.integrations.tasks.webhook_deliver",
        "keyaccounts.integrations.tasks.webhook_deliver_due",
        "keyaccounts.integrations.tasks.webhook_outbox_purge",
    ):
        assert app.amqp.router.route({}, name)["queue"].name == "webhooks"


@pytest.mark.django_db(transaction=True)
def test_three_senders_at_once_send_each_event_once_in_order_per_record(
    require_postgres, personas, receiver, make_webhook
):
    webhook, _secret = make_webhook(personas.alice, receiver.url, types=["contact"])
    contacts = [
        contact_create(account=personas.account, by=personas.alice, name=f"Person {n}")
        for n in range(12)
    ]
    for round_ in range(3):
        for contact in contacts:
            contact_update(contact=contact, by=personas.alice, title=f"Title {round_}")

    def slow(body):
        time.sleep(0.005)
        return 200

    receiver.answer = slow
    now = timezone.now()

    def sender():
        try:
            while deliver_pending(webhook_id=webhook.pk, now=now).delivered:
                pass
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sender) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert not WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING).exists()
    events = receiver.events()
    assert len(events) == len({e["id"] for e in events}) == 12 * 4
    for contact in contacts:
        mine = [e for e in events if e["record"]["id"] == contact.pk]
        assert [e["event"] for e in mine] == ["created", "updated", "updated", "updated"]
        assert [e["change"] for e in mine] == sorted(e["change"] for e in mine)


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_on_the_webhooks_queue_sends_a_committed_change(
    celery_worker_process, personas, receiver, make_webhook
):
    from accounts.services import account_update

    webhook, _secret = make_webhook(personas.alice, receiver.url)

    account_update(account=personas.account, by=personas.alice, region="Through Redis")

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not receiver.received:
        time.sleep(0.2)
    assert [e["record"]["region"] for e in receiver.events()] == ["Through Redis"]
    row = WebhookDelivery.objects.get(webhook=webhook)
    assert row.status == DeliveryStatus.DELIVERED


@pytest.fixture
def celery_worker_env():
    return {"WEBHOOK_ALLOW_PRIVATE": "1"}
