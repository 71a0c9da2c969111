"""The bell's notice to a webhook's owner when a day of failures disabled it
(`keyaccounts.integrations.signals.webhook_disabled`): a reminder of its own kind
(NotificationKind.WEBHOOK_DISABLED), linking to the webhook's page."""

from django.utils import timezone

from keyaccounts.integrations.delivery import (
    KIND_DISABLED,
    disabled_notification_path,
    disabled_notification_text,
)
from keyaccounts.integrations.signals import webhook_disabled

from .models import Notification
from .reminders import register_kind


def notify_owner(sender, *, webhook, account_id: int, now, **kwargs) -> None:
    Notification.objects.create(
        recipient=webhook.owner,
        kind=KIND_DISABLED,
        # One per disabling: the same webhook disabled again (after being enabled) is
        # another notification, even on the same day.
        object_key=f"webhook:{webhook.pk}:{int(now.timestamp())}",
        due_date=timezone.localdate(now),
        account_id=account_id,
        # The webhook's own email told them (delivery.disabled_email): the reminders'
        # sender sends no other.
        email_sent_at=now,
    )


def register() -> None:
    register_kind(KIND_DISABLED, text=disabled_notification_text, path=disabled_notification_path)
    webhook_disabled.connect(notify_owner, dispatch_uid="visits-webhook-disabled")
