"""Sending the outbox: at least once, in order per record, retried for a day.

The guarantee, exactly:

- **At least once.** A row is marked delivered in the transaction that sent it, under
  its row lock, after the receiver answered 2xx. A worker killed in between rolls the
  mark back, and the row is sent again: a receiver may see an event twice (same `id`),
  never zero times.
- **In order per record.** A row is due only when no earlier row (lower id) of the same
  webhook and record is still waiting. Its change numbers grow with the ids, so a
  record's events arrive in the order of its changes; different records are
  independent, and one failing record does not hold back the others.
- **Retried with exponential backoff** (WEBHOOK_BACKOFF_SECONDS doubling per attempt, at
  most WEBHOOK_BACKOFF_MAX_SECONDS apart). A row still failing WEBHOOK_RETRY_HOURS after
  its first attempt disables the webhook and tells its owner; its rows stay waiting and
  go out, in order, when the owner enables it again.
- **Only what the owner can see.** The owner's visibility is checked again before every
  attempt; a record they no longer see is not sent (the row is marked skipped).

The body is built at the first attempt from the record as its API answers it to the
owner then (so it may already hold later changes; `record.version` says which), and
is sent byte for byte the same at every retry. A pass sends one webhook's due rows one
after the other and stops at the first failure (the receiver is likely down: the next
pass tries again), when nothing is due, or after `max_rows`/`budget_seconds`.
"""

import datetime
import http.client
import json
import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.utils.encoders import JSONEncoder

from keyaccounts.exceptions import ApplicationError

from . import outbound
from .models import DeliveryStatus, DisabledReason, Webhook, WebhookDelivery
from .registry import record_types, representation, visible_to
from .signals import webhook_disabled
from .signing import HEADER, signature

logger = logging.getLogger(__name__)

USER_AGENT = "keyaccounts-webhooks/1"


@dataclass
class PassResult:
    delivered: int = 0
    skipped: int = 0
    failed: int = 0
    more: bool = False  # stopped by its budget with rows still due: run again


def backoff(attempts: int) -> datetime.timedelta:
    """The wait after the `attempts`-th failed attempt: 30 s, 1 min, 2 min, … at most 1 h."""
    base = settings.WEBHOOK_BACKOFF_SECONDS
    seconds = min(base * 2 ** min(max(attempts - 1, 0), 30), settings.WEBHOOK_BACKOFF_MAX_SECONDS)
    return datetime.timedelta(seconds=seconds)


def due(webhook_id: int, now: datetime.datetime):
    """The webhook's rows that may be sent now, oldest first: waiting, their time come,
    and no earlier row of the same record still waiting."""
    earlier = WebhookDelivery.objects.filter(
        webhook_id=OuterRef("webhook_id"),
        record_type=OuterRef("record_type"),
        object_id=OuterRef("object_id"),
        status=DeliveryStatus.PENDING,
        pk__lt=OuterRef("pk"),
    )
    return (
        WebhookDelivery.objects.filter(
            webhook_id=webhook_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
        )
        .filter(~Exists(earlier))
        .order_by("pk")
    )


def deliver_pending(
    *,
    webhook_id: int,
    now: datetime.datetime | None = None,
    max_rows: int = 500,
    budget_seconds: float = 60.0,
) -> PassResult:
    """Send what is due for one webhook (see the module docstring). `now` fixes the
    clock for the whole pass (tests); by default each attempt reads it."""
    result = PassResult()
    deadline = time.monotonic() + budget_seconds
    while True:
        if result.delivered + result.skipped + result.failed >= max_rows or (
            time.monotonic() > deadline
        ):
            result.more = due(webhook_id, now or timezone.now()).exists()
            return result
        at = now or timezone.now()
        with transaction.atomic():
            # Another worker's row in flight is locked: skip it (its record's later rows
            # are not due while it waits, so they are skipped too).
            row = (
                due(webhook_id, at)
                .select_for_update(skip_locked=True, of=("self",))
                .select_related("webhook__owner")
                .first()
            )
            if row is None or not row.webhook.is_active:
                return result
            outcome = attempt(row, now=at)
        if outcome == DeliveryStatus.DELIVERED:
            result.delivered += 1
        elif outcome == DeliveryStatus.SKIPPED:
            result.skipped += 1
        else:
            result.failed += 1
            return result


def _body(row: WebhookDelivery, record: dict) -> str:
    payload = {
        "id": str(row.event_id),
        "type": row.record_type,
        "event": row.event,
        "record": record,
        "change": row.change_seq,
        "occurred_at": serializers.DateTimeField().to_representation(row.occurred_at),
    }
    return json.dumps(payload, cls=JSONEncoder, ensure_ascii=False, separators=(",", ":"))


def _still_visible(row: WebhookDelivery) -> bool:
    """Whether the owner may see the record now; builds the body at the first attempt."""
    kind = record_types().get(row.record_type)
    owner = row.webhook.owner
    if kind is None or not owner.is_active:
        return False
    if row.body:
        return visible_to(kind, owner).filter(pk=row.object_id).exists()
    record = representation(kind, owner, row.object_id)
    if record is None:
        return False
    row.body = _body(row, record)
    return True


def _describe(error: Exception) -> str:
    if isinstance(error, TimeoutError):
        return _("No answer within %(seconds)s seconds.") % {
            "seconds": settings.WEBHOOK_TIMEOUT_SECONDS
        }
    if isinstance(error, ConnectionRefusedError):
        return _("Connection refused: nothing listens at this address.")
    return f"{type(error).__name__}: {error}"


def attempt(row: WebhookDelivery, *, now: datetime.datetime) -> str:
    """Try to send `row` once (locked by the caller, in its transaction); record the
    outcome on it. Returns the row's status, or "failed" for a failed attempt."""
    webhook = row.webhook
    try:
        with transaction.atomic():  # a savepoint: whatever fails here, the row is recorded
            visible = _still_visible(row)
    except Exception:  # noqa: BLE001 - a bug here must not stop the webhook's other rows
        logger.exception("webhook delivery %s: the record could not be read", row.pk)
        return _failed(row, now=now, error=_("The record could not be read (see the server log)."))
    if not visible:
        row.status = DeliveryStatus.SKIPPED
        row.finished_at = now
        row.save(update_fields=["status", "finished_at", "body"])
        return DeliveryStatus.SKIPPED
    body = row.body.encode()
    try:
        target = outbound.check_url(webhook.url)
        answer = outbound.post(
            target,
            body,
            {
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
                "X-Keyaccounts-Event": f"{row.record_type}.{row.event}",
                "X-Keyaccounts-Delivery": str(row.pk),
                HEADER: signature(webhook.secret, int(now.timestamp()), body),
            },
            timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
        )
    except ApplicationError as refusal:
        return _failed(row, now=now, error=refusal.message)
    except (OSError, http.client.HTTPException) as failure:
        return _failed(row, now=now, error=_describe(failure))
    if not 200 <= answer.status < 300:
        error = _("The receiver answered %(status)d: %(excerpt)s") % {
            "status": answer.status,
            "excerpt": answer.excerpt[:300],
        }
        return _failed(row, now=now, error=error, code=answer.status)
    _count_attempt(row, now=now, code=answer.status, error="")
    row.status = DeliveryStatus.DELIVERED
    row.finished_at = now
    row.save()
    # The receiver answers again: what waits only because it could not be reached goes
    # now rather than at its backed-off time (not what it refused with a status).
    WebhookDelivery.objects.filter(
        webhook_id=webhook.pk,
        status=DeliveryStatus.PENDING,
        next_attempt_at__gt=now,
        response_code__isnull=True,
    ).update(next_attempt_at=now)
    return DeliveryStatus.DELIVERED


def _count_attempt(row: WebhookDelivery, *, now, code: int | None, error: str) -> None:
    row.attempts += 1
    row.first_attempt_at = row.first_attempt_at or now
    row.last_attempt_at = now
    row.response_code = code
    row.last_error = str(error)[:500]


def _failed(row: WebhookDelivery, *, now, error: str, code: int | None = None) -> str:
    """Record a failed attempt: back off, and after a whole retry window disable the
    webhook."""
    _count_attempt(row, now=now, code=code, error=error)
    row.next_attempt_at = now + backoff(row.attempts)
    row.save()
    if now - row.first_attempt_at >= datetime.timedelta(hours=settings.WEBHOOK_RETRY_HOURS):
        disable_failing(row.webhook, now=now, failing=row)
    return "failed"


@transaction.atomic
def disable_failing(
    webhook: Webhook, *, now: datetime.datetime, failing: WebhookDelivery | None = None
) -> None:
    """A delivery (`failing`) has failed for a whole retry window: disable the webhook
    (its rows keep waiting) and tell its owner, in the app (a notification, in this
    transaction) and by email once it commits. Once per disabling: the webhook's row is
    locked and read again first, so a second worker failing another record of it at the
    same time finds it disabled and tells nobody; enabled and disabled again, it tells
    again."""
    still_active = (
        Webhook.objects.select_for_update()
        .filter(pk=webhook.pk)
        .values_list("is_active", flat=True)
        .first()
    )
    if not webhook.is_active or not still_active:
        return
    webhook.is_active = False
    webhook.disabled_at = now
    webhook.disabled_reason = DisabledReason.FAILING
    webhook.save(update_fields=["is_active", "disabled_at", "disabled_reason", "updated_at"])
    _notify_owner(webhook, failing, now=now)
    transaction.on_commit(lambda: _email_owner(webhook.pk))


# visits.NotificationKind.WEBHOOK_DISABLED: "Webhook disabled after a day of failures".
# Webhook 已停用
KIND_DISABLED = "webhook_disabled"


def _account_of(row: WebhookDelivery | None) -> int | None:
    """The account of the record a delivery is about (the record itself for an account)."""
    from keyaccounts.feed.hooks import feed_account_attname

    kind = record_types().get(row.record_type) if row is not None else None
    attname = feed_account_attname(kind.model) if kind is not None else None
    if attname is None:
        return None
    rows = kind.model._base_manager.filter(pk=row.object_id)
    return rows.values_list(attname, flat=True).first()


def _notify_owner(webhook: Webhook, failing: WebhookDelivery | None, *, now) -> None:
    """Announce this disabling (`signals.webhook_disabled`): the reminders tell the owner
    on their bell, linking to the webhook's page.

    A notification is about an account the recipient can see (visits.Notification): this
    one names the account of the change that waited longest, the one that failed (the
    owner saw it at that attempt). When they can no longer see it (in the recycle bin),
    only the email tells them, and nothing is announced. Its email is the webhook's own
    (`disabled_email`), so the reminders' sender does not send another."""
    from accounts.selectors import accounts_visible_to

    owner = webhook.owner
    account_id = _account_of(failing)
    if (
        account_id is None
        or not owner.is_active
        or not accounts_visible_to(owner).filter(pk=account_id).exists()
    ):
        logger.info("webhook %s disabled: no account to notify its owner about", webhook.pk)
        return
    webhook_disabled.send(sender=Webhook, webhook=webhook, account_id=account_id, now=now)


def disabled_notification_path(notification) -> str:
    """Where the notification points: the webhook's page (its delivery log)."""
    from django.urls import reverse

    pk = notification.object_key.removeprefix("webhook:").partition(":")[0]
    return reverse("integrations:webhook_detail", args=[int(pk)]) if pk.isdigit() else "/"


def disabled_notification_text(notification) -> str:
    return _(
        "Your webhook was disabled: it accepted no delivery for %(hours)d hours (the change "
        "waiting longest is at %(account)s). Its changes wait in its outbox and are sent, in "
        "order, when you enable it again."
    ) % {"hours": settings.WEBHOOK_RETRY_HOURS, "account": notification.account.name}


def disabled_email(webhook: Webhook) -> EmailMessage:
    """The owner's email about a webhook disabled after a day of failures."""
    with translation.override(webhook.owner.email_language):
        subject = _("Webhook disabled: %(url)s") % {"url": webhook.url[:120]}
        body = "\n\n".join(
            [
                _("Hello %(name)s,") % {"name": webhook.owner},
                _(
                    "Your webhook %(url)s has not accepted a delivery for %(hours)d hours, "
                    "so it was disabled. The changes since then wait in its outbox and are "
                    "sent, in order, when you enable it again."
                )
                % {"url": webhook.url, "hours": settings.WEBHOOK_RETRY_HOURS},
                _("Its delivery log says what the receiver answered: %(url)s")
                % {"url": settings.SITE_URL.rstrip("/") + webhook.get_absolute_url()},
            ]
        )
    return EmailMessage(
        subject=" ".join(subject.split()), body=body + "\n", to=[webhook.owner.email]
    )


def _email_owner(webhook_id: int) -> None:
    webhook = Webhook.objects.select_related("owner").filter(pk=webhook_id).first()
    if webhook is None or not webhook.owner.email:
        return
    try:
        disabled_email(webhook).send()
    except Exception:  # noqa: BLE001 - mail is a courtesy; the page shows the state
        logger.warning("webhook %s: could not email its owner", webhook_id, exc_info=True)


def webhooks_due(now: datetime.datetime | None = None) -> list[int]:
    """The active webhooks with rows due now (what beat's safety net sends)."""
    now = now or timezone.now()
    return list(
        WebhookDelivery.objects.filter(
            status=DeliveryStatus.PENDING, next_attempt_at__lte=now, webhook__is_active=True
        )
        .order_by("webhook_id")
        .values_list("webhook_id", flat=True)
        .distinct()
    )


def purge_outbox(now: datetime.datetime | None = None) -> int:
    """Delete rows delivered (or skipped) more than WEBHOOK_KEEP_DAYS ago, and rows that
    waited that long for a disabled webhook. Returns how many went."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.WEBHOOK_KEEP_DAYS)
    finished, _by_type = WebhookDelivery.objects.filter(finished_at__lt=cutoff).delete()
    abandoned, _by_type = WebhookDelivery.objects.filter(
        status=DeliveryStatus.PENDING, webhook__is_active=False, created_at__lt=cutoff
    ).delete()
    return finished + abandoned
