"""A webhook's URL: http(s) only, and a public address unless WEBHOOK_ALLOW_PRIVATE;
checked when saved (page, API) and again when sent."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.services import account_update
from keyaccounts.exceptions import ApplicationError
from keyaccounts.integrations.delivery import deliver_pending
from keyaccounts.integrations.models import Webhook, WebhookDelivery
from keyaccounts.integrations.outbound import check_url
from keyaccounts.integrations.services import webhook_create

from .conftest import grant_webhooks

pytestmark = pytest.mark.django_db

PRIVATE = [
    "http://127.0.0.1:8500/hook",
    "http://localhost/hook",
    "https://10.1.2.3/hook",
    "http://172.16.0.9/",
    "http://192.168.1.20:8080/in",
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata
    "http://100.64.0.1/",  # shared (carrier-grade NAT)
    "http://0.0.0.0/",
    "http://[::1]/hook",
    "http://[fe80::1]/hook",
    "http://[fd00::5]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://224.0.0.1/",
]


@pytest.mark.parametrize("url", PRIVATE)
def test_a_loopback_private_or_link_local_address_is_refused(url, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    with pytest.raises(ApplicationError) as refused:
        check_url(url)
    assert refused.value.code == "invalid_url"
    assert "public addresses only" in refused.value.message


@pytest.mark.parametrize("url", [u for u in PRIVATE if "224.0.0.1" not in u and "0.0.0.0" not in u])
def test_private_addresses_are_allowed_when_the_setting_says_so(url, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    assert check_url(url).address


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("ftp://93.184.215.14/hook", "must start with http:// or https://"),
        ("javascript:alert(1)", "must start with http:// or https://"),
        ("file:///etc/passwd", "must start with http:// or https://"),
        ("93.184.215.14/hook", "must start with http:// or https://"),
        ("https:///hook", "names no host"),
        ("https://user:pw@93.184.215.14/hook", "user name and password"),
        ("https://93.184.215.14/a b", "spaces"),
        ("https://93.184.215.14:99999/", "port must be a number from 1 to 65535"),
        ("http://93.184.215.14:0/", "port must be a number from 1 to 65535"),
        ("http://93.184.215.14:http/", "port must be a number from 1 to 65535"),
        ("http://[::1/", "This is not a URL"),
        ("https://no-such-host.invalid/hook", "cannot be found"),
        ("https://93.184.215.14/" + "x" * 2000, "at most 2000 characters"),
    ],
)
def test_a_url_that_is_not_http_or_cannot_be_used_says_why(url, says):
    with pytest.raises(ApplicationError) as refused:
        check_url(url)
    assert says in refused.value.message


def test_a_public_address_is_accepted_with_its_parts():
    target = check_url("https://93.184.215.14:8443/in/keyaccounts?k=1")
    assert (target.scheme, target.host, target.port, target.path, target.address) == (
        "https",
        "93.184.215.14",
        8443,
        "/in/keyaccounts?k=1",
        "93.184.215.14",
    )


def test_the_service_refuses_a_private_url_on_its_field_and_saves_nothing(personas, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    grant_webhooks(personas.alice)
    with pytest.raises(ValidationError) as refused:
        webhook_create(owner=personas.alice, url="http://127.0.0.1/x", record_types=["account"])
    assert "public addresses only" in refused.value.message_dict["url"][0]
    assert not Webhook.objects.exists()


def test_the_api_answers_400_on_the_url_field_and_saves_nothing(personas, api, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    response = api(personas.manager).post(
        "/api/v1/webhooks/",
        {"url": "http://169.254.169.254/latest/", "record_types": ["account"]},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "link-local" in response.json()["errors"]["url"][0]
    assert not Webhook.objects.exists()

    response = api(personas.manager).post(
        "/api/v1/webhooks/", {"url": "gopher://93.184.215.14/", "record_types": ["account"]}
    )
    assert response.status_code == 400
    assert "http:// or https://" in response.json()["errors"]["url"][0]


def test_the_address_is_checked_again_when_sending(personas, receiver, make_webhook, settings):
    webhook, _secret = make_webhook(personas.alice, receiver.url)  # allowed then
    settings.WEBHOOK_ALLOW_PRIVATE = False  # the name now points somewhere private
    account_update(account=personas.account, by=personas.alice, region="Rebound")

    deliver_pending(webhook_id=webhook.pk, now=timezone.now())

    assert receiver.received == []
    row = WebhookDelivery.objects.get()
    assert row.attempts == 1
    assert "public addresses only" in row.last_error
