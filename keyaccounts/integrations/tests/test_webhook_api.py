"""/api/v1/webhooks/: register, change, disable, delete; the delivery log; redelivery;
who may, and what an integration token may do there."""

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.services import account_update
from keyaccounts.integrations.models import DeliveryStatus, Webhook, WebhookDelivery
from keyaccounts.integrations.services import token_create
from keyaccounts.models import IdempotencyKey

pytestmark = pytest.mark.django_db


@pytest.fixture
def hook_body(receiver, allow_private):
    return {"url": receiver.url, "record_types": ["account", "contact"], "description": "ERP"}


def test_a_manager_registers_a_webhook_and_gets_its_secret_once(personas, api, hook_body):
    client = api(personas.manager)

    created = client.post("/api/v1/webhooks/", hook_body)

    assert created.status_code == 201
    secret = created.json()["signing_secret"]
    assert secret.startswith("whsec_") and len(secret) > 30
    assert "secret" not in created.json()
    webhook = Webhook.objects.get()
    assert (webhook.owner, webhook.secret, webhook.record_types) == (
        personas.manager,
        secret,
        ["account", "contact"],
    )
    read = client.get(f"/api/v1/webhooks/{webhook.pk}/").json()
    assert read["signing_secret"] is None
    assert (read["is_active"], read["pending"]) == (True, 0)


def test_a_second_webhook_to_the_same_address_is_refused_naming_the_first(personas, api, hook_body):
    """A registration retried after its answer was lost: not a second webhook sending
    every change twice, nor its secret kept in a stored answer — the first is named, to
    change or to rotate the secret of. Moving another webhook onto it is refused too."""
    client = api(personas.manager)

    first = client.post("/api/v1/webhooks/", hook_body, HTTP_IDEMPOTENCY_KEY="hook-1")
    retry = client.post("/api/v1/webhooks/", hook_body, HTTP_IDEMPOTENCY_KEY="hook-1")
    other = client.post("/api/v1/webhooks/", {**hook_body, "url": hook_body["url"] + "other/"})
    moved = client.patch(f"/api/v1/webhooks/{other.json()['id']}/", {"url": hook_body["url"]})

    hook = first.json()["id"]
    assert (first.status_code, retry.status_code, other.status_code) == (201, 400, 201)
    said = f"Your webhook {hook} already sends to this address: change its record types, "
    assert retry.json()["errors"]["url"][0].startswith(said)
    assert moved.status_code == 400 and moved.json()["errors"]["url"][0].startswith(said)
    assert Webhook.objects.count() == 2
    assert not IdempotencyKey.objects.exists()  # no answer with its secret kept


def test_a_chosen_secret_is_used(personas, api, hook_body):
    chosen = "my-own-secret-of-enough-length-1234"
    created = api(personas.manager).post("/api/v1/webhooks/", {**hook_body, "secret": chosen})
    assert created.status_code == 201
    assert Webhook.objects.get().secret == chosen


def test_a_rep_without_the_permission_gets_403_and_nothing_is_saved(personas, api, hook_body):
    response = api(personas.alice).post("/api/v1/webhooks/", hook_body)

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert "Can add webhook" in response.json()["detail"]
    assert not Webhook.objects.exists()


@pytest.mark.parametrize(
    ("change", "field", "says"),
    [
        ({"record_types": []}, "record_types", "at least one"),
        ({"record_types": ["account", "invoice"]}, "record_types", "Unknown record type invoice"),
        ({"secret": "short"}, "secret", "24 to 100 visible ASCII"),
        ({"url": ""}, "url", "blank"),
    ],
)
def test_bad_webhook_input_answers_400_on_the_field(personas, api, hook_body, change, field, says):
    response = api(personas.manager).post("/api/v1/webhooks/", {**hook_body, **change})

    assert response.status_code == 400
    assert says in " ".join(response.json()["errors"][field])
    assert not Webhook.objects.exists()


def test_webhooks_are_changed_disabled_enabled_and_deleted(personas, api, hook_body):
    client = api(personas.manager)
    webhook_id = client.post("/api/v1/webhooks/", hook_body).json()["id"]
    url = f"/api/v1/webhooks/{webhook_id}/"

    changed = client.patch(url, {"record_types": ["opportunity"], "description": "BI"})
    assert changed.status_code == 200
    assert changed.json()["record_types"] == ["opportunity"]
    disabled = client.patch(url, {"is_active": False}).json()
    assert (disabled["is_active"], disabled["disabled_reason"]) == (False, "owner")
    assert client.patch(url, {"is_active": True}).json()["is_active"] is True
    rotated = client.post(f"{url}rotate-secret/").json()["signing_secret"]
    assert Webhook.objects.get().secret == rotated
    assert client.delete(url).status_code == 204
    assert not Webhook.objects.exists()


def test_another_users_webhook_answers_404(personas, api, hook_body):
    webhook_id = api(personas.manager).post("/api/v1/webhooks/", hook_body).json()["id"]
    other = api(personas.other_manager)
    for method in ("get", "patch", "delete"):
        assert getattr(other, method)(f"/api/v1/webhooks/{webhook_id}/").status_code == 404
    assert other.get(f"/api/v1/webhooks/{webhook_id}/deliveries/").status_code == 404
    assert other.get("/api/v1/webhooks/").json()["results"] == []


def test_the_delivery_log_and_a_redelivery(personas, api, hook_body, receiver):
    client = api(personas.manager)
    webhook_id = client.post("/api/v1/webhooks/", hook_body).json()["id"]
    receiver.status = 500
    account_update(account=personas.account, by=personas.alice, region="Fujian")
    from keyaccounts.integrations.delivery import deliver_pending

    deliver_pending(webhook_id=webhook_id, now=timezone.now())

    log = client.get(f"/api/v1/webhooks/{webhook_id}/deliveries/").json()["results"]
    [entry] = log
    assert entry["record_type"] == "account"
    assert entry["object_id"] == personas.account.pk
    assert (entry["event"], entry["status"], entry["attempts"]) == ("updated", "pending", 1)
    assert entry["response_code"] == 500
    assert entry["next_attempt_at"] is not None
    assert (
        client.get(f"/api/v1/webhooks/{webhook_id}/deliveries/?status=delivered").json()["results"]
        == []
    )
    bad = client.get(f"/api/v1/webhooks/{webhook_id}/deliveries/?status=lost")
    assert bad.status_code == 400 and "status" in bad.json()["errors"]

    receiver.status = 200
    again = client.post(f"/api/v1/webhooks/{webhook_id}/deliveries/{entry['id']}/redeliver/")
    assert again.status_code == 202
    row = WebhookDelivery.objects.get()
    assert row.next_attempt_at <= timezone.now()
    deliver_pending(webhook_id=webhook_id, now=timezone.now())
    row.refresh_from_db()
    assert row.status == DeliveryStatus.DELIVERED

    client.patch(f"/api/v1/webhooks/{webhook_id}/", {"is_active": False})
    refused = client.post(f"/api/v1/webhooks/{webhook_id}/deliveries/{entry['id']}/redeliver/")
    assert refused.status_code == 409
    assert refused.json()["code"] == "disabled"


def test_an_integration_token_manages_webhooks_only_within_its_scope(personas, hook_body):
    _token, key = token_create(
        user=personas.manager,
        name="ERP",
        access="read_write",
        record_types=["account"],
        expires_at=timezone.now() + datetime.timedelta(days=5),
    )
    client = APIClient(HTTP_AUTHORIZATION=f"Bearer {key}")

    refused = client.post("/api/v1/webhooks/", hook_body)  # account and contact
    assert refused.status_code == 403
    assert refused.json()["code"] == "token_scope"
    assert not Webhook.objects.exists()
    created = client.post("/api/v1/webhooks/", {**hook_body, "record_types": ["account"]})
    assert created.status_code == 201

    # A webhook of other types, made by its owner himself: the token does not see it,
    # nor its deliveries (their record types, ids and change numbers).
    other = Webhook.objects.create(
        owner=personas.manager, url="https://hooks.example.com/c", record_types=["contact"]
    )
    listed = client.get("/api/v1/webhooks/").json()
    ids = [hook["id"] for hook in (listed["results"] if isinstance(listed, dict) else listed)]
    assert ids == [created.json()["id"]]
    for path in (f"/api/v1/webhooks/{other.pk}/", f"/api/v1/webhooks/{other.pk}/deliveries/"):
        assert client.get(path).status_code == 404, path
    # Nor do writes tell it exists (403 naming its types): as an id nobody has.
    assert client.delete(f"/api/v1/webhooks/{other.pk}/").status_code == 404
    assert client.post(f"/api/v1/webhooks/{other.pk}/rotate-secret/").status_code == 404
    assert client.patch(f"/api/v1/webhooks/{other.pk}/", {"description": "x"}).status_code == 404
    assert Webhook.objects.filter(pk=other.pk, description="").exists()
    assert client.get(f"/api/v1/webhooks/{created.json()['id']}/deliveries/").status_code == 200


def test_the_schema_documents_webhooks_and_integration_tokens(api):
    schema = api().get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    paths = schema["paths"]
    assert {
        "/api/v1/webhooks/",
        "/api/v1/webhooks/{id}/",
        "/api/v1/webhooks/{id}/deliveries/",
        "/api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver/",
        "/api/v1/webhooks/{id}/rotate-secret/",
        "/api/v1/integration-tokens/",
        "/api/v1/integration-tokens/{id}/",
    } <= set(paths)
    assert "integrationToken" in schema["components"]["securitySchemes"]
    assert schema["components"]["securitySchemes"]["integrationToken"]["scheme"] == "bearer"
    assert (
        "409"
        in paths["/api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver/"]["post"]["responses"]
    )


def test_an_owner_who_lost_the_permission_can_still_stop_their_webhook(personas, api, hook_body):
    from keyaccounts.integrations.services import webhook_create

    from .conftest import grant_webhooks

    grant_webhooks(personas.alice)
    webhook, _secret = webhook_create(owner=personas.alice, **hook_body)
    personas.alice.user_permissions.clear()
    client = api(personas.alice)
    url = f"/api/v1/webhooks/{webhook.pk}/"

    assert client.patch(url, {"description": "changed"}).status_code == 403
    assert client.patch(url, {"is_active": False}).json()["is_active"] is False
    assert client.patch(url, {"is_active": True}).status_code == 403
    assert client.delete(url).status_code == 204
