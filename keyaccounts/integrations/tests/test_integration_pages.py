"""The pages: your profile and integration tokens, your webhooks and their delivery
logs — in both languages, labelled, your own only."""

import hashlib
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.services import account_update
from keyaccounts.integrations.delivery import deliver_pending
from keyaccounts.integrations.models import DeliveryStatus, IntegrationToken, Webhook

from .conftest import grant_webhooks

pytestmark = pytest.mark.django_db


class Controls(HTMLParser):
    """Form controls, labels and fieldsets of a page, to check that each control a
    person fills has a name (WCAG 1.3.1, 4.1.2)."""

    def __init__(self):
        super().__init__()
        self.controls, self.label_for, self.fieldsets, self.legends = [], set(), 0, 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "label" and attrs.get("for"):
            self.label_for.add(attrs["for"])
        elif tag in ("input", "select", "textarea") and attrs.get("type") not in (
            "hidden",
            "submit",
        ):
            self.controls.append(attrs)
        elif tag == "fieldset":
            self.fieldsets += 1
        elif tag == "legend":
            self.legends += 1


def assert_labelled(html: str) -> None:
    page = Controls()
    page.feed(html)
    for control in page.controls:
        named = control.get("id") in page.label_for or control.get("aria-label")
        assert named, control
    assert page.fieldsets == page.legends


def test_the_profile_lists_the_users_tokens_and_nobody_elses(personas, login):
    from .test_integration_tokens import make_token

    make_token(personas.alice)
    make_token(personas.bob, types=["visit"])
    page = login(personas.alice).get(reverse("integrations:profile"))

    html = page.content.decode()
    assert page.status_code == 200
    assert 'href="/profile/"' in html  # the header's link to it
    assert "ERP read account+contact" in html
    assert "Accounts, Contacts" in html
    assert "ERP read visit" not in html
    assert "Never" in html  # not used yet
    assert "Your webhooks" not in html  # a rep cannot register webhooks


def test_a_token_is_created_on_the_profile_and_its_secret_shown_once(personas, login):
    client = login(personas.alice)
    form = client.get(reverse("integrations:token_create"))
    assert_labelled(form.content.decode())
    token = form.context["form_token"]
    data = {
        "name": "ERP sync",
        "access": "read_write",
        "record_types": ["account", "opportunity"],
        "expires_in": "90",
        "form_token": token,
    }

    shown = client.post(reverse("integrations:token_create"), data)

    assert shown.status_code == 200
    assert "no-store" in shown["Cache-Control"]
    key = shown.context["secret"]
    created = IntegrationToken.objects.get()
    assert created.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert f'value="{key}"' in shown.content.decode()
    assert (created.name, created.access, created.record_types) == (
        "ERP sync",
        "read_write",
        ["account", "opportunity"],
    )
    assert 89 <= (created.expires_at - timezone.now()).days <= 90
    # The same form sent twice (a double tap): one token, and the secret not shown again.
    again = client.post(reverse("integrations:token_create"), data)
    assert again.status_code == 302 and again["Location"] == "/profile/"
    assert IntegrationToken.objects.count() == 1
    assert key not in client.get("/profile/").content.decode()


def test_a_token_form_with_mistakes_says_where(personas, login):
    client = login(personas.alice)
    page = client.post(
        reverse("integrations:token_create"), {"name": "", "access": "read", "expires_in": "90"}
    )

    html = page.content.decode()
    assert page.status_code == 200
    assert "This field is required." in html
    assert "Choose at least one record type." in html
    assert 'id="id_record_types_error"' in html
    assert not IntegrationToken.objects.exists()


def test_a_name_taken_is_said_with_the_other_mistakes_at_once(personas, login):
    from .test_integration_tokens import make_token

    taken = make_token(personas.alice)[0].name
    page = login(personas.alice).post(
        reverse("integrations:token_create"),
        {"name": taken, "access": "read", "expires_in": "90"},
    )

    assert page.context["form"].errors == {
        "name": [f"You already have a token named “{taken}”: choose another name."],
        "record_types": ["Choose at least one record type."],
    }
    assert IntegrationToken.objects.count() == 1


def test_a_token_is_revoked_after_asking(personas, login):
    from .test_integration_tokens import make_token

    token, _key = make_token(personas.alice)
    client = login(personas.alice)
    url = reverse("integrations:token_revoke", args=[token.pk])

    asked = client.get(url)
    assert "cannot be undone" in asked.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is None
    done = client.post(url, follow=True)

    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_by == personas.alice
    assert "revoked" in done.content.decode()


def test_a_rep_sees_why_they_cannot_register_webhooks(personas, login):
    client = login(personas.alice)

    page = client.get(reverse("integrations:webhook_list")).content.decode()

    assert "ask an administrator" in page
    assert reverse("integrations:webhook_create") not in page
    assert client.get(reverse("integrations:webhook_create")).status_code == 403


def test_a_manager_registers_a_webhook_on_the_page(personas, login, receiver, allow_private):
    client = login(personas.manager)
    form = client.get(reverse("integrations:webhook_create"))
    assert_labelled(form.content.decode())
    data = {
        "url": receiver.url,
        "description": "ERP",
        "record_types": ["account"],
        "secret": "",
        "form_token": form.context["form_token"],
    }

    shown = client.post(reverse("integrations:webhook_create"), data)

    webhook = Webhook.objects.get()
    assert shown.status_code == 200
    assert shown.context["secret"] == webhook.secret
    assert webhook.record_types == ["account"] and webhook.owner == personas.manager


def test_a_private_url_is_refused_on_the_page_with_the_reason(personas, login, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    client = login(personas.manager)

    page = client.post(
        reverse("integrations:webhook_create"),
        {"url": "http://192.168.0.10/in", "record_types": ["account"]},
    )

    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="id_url_error"' in html
    assert "public addresses only" in html
    assert not Webhook.objects.exists()


def test_every_mistake_of_a_webhook_form_is_said_at_once(personas, login, settings):
    """No record type, a private address, a secret too short: all three on one send (the
    address and the secret came only after the record types were mended)."""
    settings.WEBHOOK_ALLOW_PRIVATE = False
    page = login(personas.manager).post(
        reverse("integrations:webhook_create"), {"url": "http://192.168.0.10/in", "secret": "x"}
    )

    assert set(page.context["form"].errors) == {"record_types", "url", "secret"}
    assert "public addresses only" in page.context["form"].errors["url"][0]
    assert not Webhook.objects.exists()


@pytest.fixture
def logged_webhook(personas, make_webhook, receiver):
    """alice's webhook (given the permission) with one delivery sent and one failing."""
    webhook, _secret = make_webhook(personas.alice, receiver.url)
    account_update(account=personas.account, by=personas.alice, region="One")
    deliver_pending(webhook_id=webhook.pk, now=timezone.now())
    receiver.status = 502
    account_update(account=personas.account, by=personas.alice, region="Two")
    deliver_pending(webhook_id=webhook.pk, now=timezone.now())
    return webhook


def test_the_delivery_log_shows_each_delivery_and_redelivers(personas, login, logged_webhook):
    client = login(personas.alice)

    page = client.get(logged_webhook.get_absolute_url())

    html = page.content.decode()
    assert_labelled(html)
    rows = list(page.context["page"].object_list)
    assert [row.status for row in rows] == [DeliveryStatus.PENDING, DeliveryStatus.DELIVERED]
    assert "Failing" in html and "502" in html and "Delivered" in html
    assert 'aria-label="Redeliver change' in html
    # The change as a person names it, in either language (not "account … · 更新时间").
    assert f"Account {personas.account.pk} · updated" in html
    chinese = client.get(logged_webhook.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert f"客户 {personas.account.pk} · 已更新" in chinese.content.decode()
    failing = rows[0]
    client.post(reverse("integrations:delivery_redeliver", args=[logged_webhook.pk, failing.pk]))
    failing.refresh_from_db()
    assert failing.next_attempt_at <= timezone.now()
    only_pending = client.get(logged_webhook.get_absolute_url() + "?status=pending")
    assert len(only_pending.context["page"].object_list) == 1


def test_a_webhook_is_edited_disabled_enabled_and_deleted_on_its_pages(
    personas, login, logged_webhook
):
    client = login(personas.alice)
    webhook = logged_webhook
    edit = client.get(reverse("integrations:webhook_edit", args=[webhook.pk]))
    assert_labelled(edit.content.decode())

    client.post(
        reverse("integrations:webhook_edit", args=[webhook.pk]),
        {"url": webhook.url, "description": "Staging", "record_types": ["contact", "visit"]},
    )
    webhook.refresh_from_db()
    assert (webhook.description, webhook.record_types) == ("Staging", ["contact", "visit"])

    client.post(reverse("integrations:webhook_state", args=[webhook.pk]))
    webhook.refresh_from_db()
    assert not webhook.is_active
    assert "Disabled by you" in client.get(webhook.get_absolute_url()).content.decode()
    client.post(reverse("integrations:webhook_state", args=[webhook.pk]), {"active": "1"})
    webhook.refresh_from_db()
    assert webhook.is_active

    assert (
        "outbox is not sent"
        in client.get(reverse("integrations:webhook_delete", args=[webhook.pk])).content.decode()
    )
    client.post(reverse("integrations:webhook_delete", args=[webhook.pk]))
    assert not Webhook.objects.exists()


def test_another_users_webhook_pages_answer_404(personas, login, logged_webhook):
    client = login(personas.bob)
    grant_webhooks(personas.bob)
    pk = logged_webhook.pk
    delivery = logged_webhook.deliveries.first().pk
    for method, url in [
        ("get", reverse("integrations:webhook_detail", args=[pk])),
        ("get", reverse("integrations:webhook_edit", args=[pk])),
        ("get", reverse("integrations:webhook_delete", args=[pk])),
        ("post", reverse("integrations:webhook_delete", args=[pk])),
        ("post", reverse("integrations:webhook_state", args=[pk])),
        ("post", reverse("integrations:webhook_secret", args=[pk])),
        ("post", reverse("integrations:delivery_redeliver", args=[pk, delivery])),
    ]:
        assert getattr(client, method)(url).status_code == 404, url
    assert Webhook.objects.get().is_active


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_every_page_renders_in_both_languages(personas, login, logged_webhook, language):
    from .test_integration_tokens import make_token

    token, _key = make_token(personas.alice)
    client = login(personas.alice)
    client.cookies["django_language"] = language
    pk = logged_webhook.pk
    for url in [
        reverse("integrations:profile"),
        reverse("integrations:token_create"),
        reverse("integrations:token_revoke", args=[token.pk]),
        reverse("integrations:webhook_list"),
        reverse("integrations:webhook_create"),
        reverse("integrations:webhook_detail", args=[pk]),
        reverse("integrations:webhook_edit", args=[pk]),
        reverse("integrations:webhook_delete", args=[pk]),
    ]:
        page = client.get(url)
        assert page.status_code == 200, url
        assert f'<html lang="{language}">' in page.content.decode(), url
    secret = client.post(reverse("integrations:webhook_secret", args=[pk]))
    assert secret.status_code == 200
    assert secret.context["secret"] == Webhook.objects.get().secret
