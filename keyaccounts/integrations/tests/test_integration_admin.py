"""The admin: tokens, webhooks and deliveries to look at, revoke, disable, resend; no
secret shown, nothing created there."""

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.services import account_update
from keyaccounts.integrations.delivery import deliver_pending
from keyaccounts.integrations.models import IntegrationToken, Webhook, WebhookDelivery

from .test_integration_tokens import make_token

pytestmark = pytest.mark.django_db


def test_the_admin_shows_each_model_without_its_secrets(personas, login, make_webhook, receiver):
    token, key = make_token(personas.alice)
    webhook, secret = make_webhook(personas.alice, receiver.url)
    account_update(account=personas.account, by=personas.alice, region="Admin")
    deliver_pending(webhook_id=webhook.pk, now=timezone.now())
    delivery = WebhookDelivery.objects.get()
    client = login(personas.admin)

    for model, obj in [
        ("integrationtoken", token),
        ("webhook", webhook),
        ("webhookdelivery", delivery),
    ]:
        listing = client.get(reverse(f"admin:integrations_{model}_changelist"))
        change = client.get(reverse(f"admin:integrations_{model}_change", args=[obj.pk]))
        assert listing.status_code == change.status_code == 200, model
        for page in (listing, change):
            html = page.content.decode()
            assert key not in html and secret not in html and token.key_hash not in html
        assert client.get(reverse(f"admin:integrations_{model}_add")).status_code == 403
    history = client.get(reverse("admin:integrations_webhook_history", args=[webhook.pk]))
    assert history.status_code == 200


def test_admin_actions_revoke_disable_and_resend(personas, login, make_webhook, receiver):
    token, _key = make_token(personas.alice)
    webhook, _secret = make_webhook(personas.alice, receiver.url)
    receiver.status = 500
    account_update(account=personas.account, by=personas.alice, region="Admin")
    deliver_pending(webhook_id=webhook.pk, now=timezone.now())
    client = login(personas.admin)

    client.post(
        reverse("admin:integrations_webhookdelivery_changelist"),
        {"action": "redeliver", "_selected_action": [WebhookDelivery.objects.get().pk]},
    )
    assert WebhookDelivery.objects.get().next_attempt_at <= timezone.now()
    client.post(
        reverse("admin:integrations_integrationtoken_changelist"),
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    client.post(
        reverse("admin:integrations_webhook_changelist"),
        {"action": "disable", "_selected_action": [webhook.pk]},
    )

    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_by == personas.admin
    assert not Webhook.objects.get().is_active
    assert IntegrationToken.history.filter(id=token.pk).count() == 2  # created, revoked
