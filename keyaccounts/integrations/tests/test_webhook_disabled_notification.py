"""A webhook disabled after a day of failures tells its owner in the app too (issue 11,
"Push: signed webhooks"): one notification of kind webhook_disabled (Webhook 已停用) per
disabling, to the owner only, linking to the webhook's page; the email stays, and the
reminders' sender does not send a second one."""

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.services import account_update
from keyaccounts.integrations.delivery import deliver_pending, disable_failing
from keyaccounts.integrations.models import Webhook, WebhookDelivery
from keyaccounts.integrations.services import webhook_enable
from visits.models import Notification, NotificationKind
from visits.reminders import notification_emails_send, notification_path, notification_text

pytestmark = pytest.mark.django_db

HOUR = datetime.timedelta(hours=1)


@pytest.fixture
def start():
    # Tomorrow morning (after the rows' first due time): a short retry window (below)
    # disables twice within one day.
    tomorrow = timezone.localtime() + datetime.timedelta(days=1)
    return tomorrow.replace(hour=9, minute=0, second=0, microsecond=0)


def fail_for_a_day(webhook, start, hours: int, capture) -> None:
    """Attempts at `start` and `hours` later, the receiver failing: the second disables."""
    deliver_pending(webhook_id=webhook.pk, now=start)
    webhook.refresh_from_db()
    assert webhook.is_active
    with capture(execute=True):
        deliver_pending(webhook_id=webhook.pk, now=start + hours * HOUR)
    webhook.refresh_from_db()
    assert not webhook.is_active


def disabled_notifications():
    return Notification.objects.filter(kind=NotificationKind.WEBHOOK_DISABLED)


def test_a_day_of_failures_notifies_the_owner_once_with_a_link_to_the_webhook(
    personas, receiver, make_webhook, start, django_capture_on_commit_callbacks, login
):
    webhook, _secret = make_webhook(personas.alice, receiver.url)
    receiver.status = 503
    account_update(account=personas.account, by=personas.alice, region="West China")

    fail_for_a_day(webhook, start, 24, django_capture_on_commit_callbacks)

    [notification] = disabled_notifications()
    assert notification.recipient == personas.alice
    assert notification.account == personas.account  # the change that waited
    assert notification_path(notification) == reverse(
        "integrations:webhook_detail", args=[webhook.pk]
    )
    assert "24 hours" in notification_text(notification)
    assert personas.account.name in notification_text(notification)
    # Bob sees the account too, but the webhook is not his.
    assert not Notification.objects.exclude(recipient=personas.alice).exists()
    # The email is still sent, once.
    [email] = mail.outbox
    assert email.to == [personas.alice.email]

    # The next attempts (the worker, beat) tell nobody again.
    with django_capture_on_commit_callbacks(execute=True):
        deliver_pending(webhook_id=webhook.pk, now=start + 25 * HOUR)
        deliver_pending(webhook_id=webhook.pk, now=start + 48 * HOUR)
    assert disabled_notifications().count() == 1
    assert len(mail.outbox) == 1
    # The reminders' sender does not email it a second time.
    assert notification_emails_send() == 0
    assert len(mail.outbox) == 1

    # It is on the owner's notifications page, linking to the webhook.
    page = login(personas.alice).get(reverse("visits:notifications")).content.decode()
    assert reverse("integrations:webhook_detail", args=[webhook.pk]) in page
    assert "Webhook disabled after a day of failures" in page


def test_a_second_worker_failing_at_the_same_time_tells_nobody_again(
    personas, receiver, make_webhook, start, django_capture_on_commit_callbacks
):
    webhook, _secret = make_webhook(personas.alice, receiver.url)
    receiver.status = 503
    account_update(account=personas.account, by=personas.alice, region="West China")
    stale = Webhook.objects.get(pk=webhook.pk)  # read while it was still active

    fail_for_a_day(webhook, start, 24, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        disable_failing(stale, now=start + 24 * HOUR, failing=WebhookDelivery.objects.get())

    assert disabled_notifications().count() == 1
    assert len(mail.outbox) == 1


def test_enabled_again_and_disabled_again_notifies_again_even_the_same_day(
    personas, receiver, make_webhook, start, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_RETRY_HOURS = 1
    webhook, _secret = make_webhook(personas.alice, receiver.url)
    receiver.status = 503
    account_update(account=personas.account, by=personas.alice, region="West China")

    fail_for_a_day(webhook, start, 1, django_capture_on_commit_callbacks)
    webhook_enable(webhook=webhook, by=personas.alice, now=start + 2 * HOUR)
    fail_for_a_day(webhook, start + 2 * HOUR, 1, django_capture_on_commit_callbacks)

    notifications = list(disabled_notifications().order_by("pk"))
    assert [n.recipient for n in notifications] == [personas.alice, personas.alice]
    assert notifications[0].due_date == notifications[1].due_date == timezone.localdate(start)
    assert len(mail.outbox) == 2


def test_disabled_by_its_owner_is_no_notification(personas, receiver, make_webhook):
    from keyaccounts.integrations.services import webhook_disable

    webhook, _secret = make_webhook(personas.alice, receiver.url)

    webhook_disable(webhook=webhook, by=personas.alice)

    assert not disabled_notifications().exists()
