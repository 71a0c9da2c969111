"""Writes for integration tokens, webhooks and their deliveries."""

import datetime
import hashlib
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from keyaccounts.exceptions import ApplicationError
from keyaccounts.locks import advisory_xact_lock
from keyaccounts.tasks import enqueue_on_commit

from .models import (
    DeliveryStatus,
    DisabledReason,
    IntegrationToken,
    TokenAccess,
    Webhook,
    WebhookDelivery,
)
from .outbound import check_url
from .registry import record_types as known_record_types
from .signing import new_secret

TOKEN_PREFIX = "ka_"
# The characters shown to recognise a token by ("ka_Xb3f9Q…"), kept in the clear.
TOKEN_SHOWN = 10
TOKEN_MAX_DAYS = 366
SECRET_MIN_LENGTH = 24
SECRET_MAX_LENGTH = 100


def can_manage_webhooks(user) -> bool:
    """Whether `user` may register and change webhooks: the permission
    `integrations.add_webhook` (superusers and team managers hold it; an admin can give
    it to anyone, see docs/api.md)."""
    return bool(user and user.is_active and user.has_perm("integrations.add_webhook"))


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _check_record_types(names, field: str = "record_types") -> list[str]:
    known = known_record_types()
    if not isinstance(names, list | tuple) or not names:
        raise ValidationError({field: _("Choose at least one record type.")})
    unknown = [str(name) for name in names if name not in known]
    if unknown:
        raise ValidationError(
            {
                field: _("Unknown record type %(names)s: choose among %(known)s.")
                % {"names": ", ".join(unknown), "known": ", ".join(known)}
            }
        )
    # In the API's order, each once.
    return [name for name in known if name in names]


# --- integration tokens -------------------------------------------------------------------


def token_name_problem(*, user, name: str) -> str | None:
    """What is wrong with `name` for a new token of `user` (none, or one of their live
    tokens has it), or None. The form asks it with its own fields' checks, so that a
    page says every problem at once."""
    name = (name or "").strip()
    if not name:
        return _("Name the token after what will use it, such as “ERP sync”.")
    if IntegrationToken.objects.filter(user=user, name=name, revoked_at__isnull=True).exists():
        return _("You already have a token named “%(name)s”: choose another name.") % {"name": name}
    return None


@transaction.atomic
def token_create(
    *,
    user,
    name: str,
    access: str,
    record_types: list[str],
    expires_at: datetime.datetime,
    now: datetime.datetime | None = None,
) -> tuple[IntegrationToken, str]:
    """A new token of `user`; returns it and its secret, which is not kept (only its
    hash) and so can be shown this once."""
    now = now or timezone.now()
    errors = {}
    name = (name or "").strip()
    if problem := token_name_problem(user=user, name=name):
        errors["name"] = problem
    if access not in TokenAccess.values:
        errors["access"] = _("Choose read only or read and write.")
    try:
        record_types = _check_record_types(record_types)
    except ValidationError as error:
        errors.update(error.message_dict)
    if expires_at is None or expires_at <= now:
        errors["expires_at"] = _("Give an expiry date in the future.")
    elif expires_at > now + datetime.timedelta(days=TOKEN_MAX_DAYS):
        errors["expires_at"] = _("A token lasts at most %(days)d days: give an earlier date.") % {
            "days": TOKEN_MAX_DAYS
        }
    if errors:
        raise ValidationError(errors)
    key = TOKEN_PREFIX + secrets.token_urlsafe(30)
    token = IntegrationToken(
        user=user,
        name=name,
        prefix=key[:TOKEN_SHOWN],
        key_hash=hash_key(key),
        access=access,
        record_types=record_types,
        expires_at=expires_at,
    )
    token.full_clean()
    token.save()
    return token, key


@transaction.atomic
def token_revoke(*, token: IntegrationToken, by, now: datetime.datetime | None = None):
    """Stop the token at once; it stays listed as revoked. Only its user revokes it here
    (an admin can in the admin)."""
    if token.user_id != by.pk:
        raise ApplicationError(_("This is not your token."), code="not_found")
    if token.revoked_at is not None:
        return token
    token.revoked_at = now or timezone.now()
    token.revoked_by = by
    token.save(update_fields=["revoked_at", "revoked_by"])
    return token


# --- webhooks ------------------------------------------------------------------------------


def check_secret(secret: str) -> str:
    if not (SECRET_MIN_LENGTH <= len(secret) <= SECRET_MAX_LENGTH) or not all(
        "!" <= ch <= "~" for ch in secret
    ):
        raise ValidationError(
            {
                "secret": _(
                    "Give a secret of %(min)d to %(max)d visible ASCII characters without "
                    "spaces, or leave it empty to get a random one."
                )
                % {"min": SECRET_MIN_LENGTH, "max": SECRET_MAX_LENGTH}
            }
        )
    return secret


def check_webhook_url(url: str) -> str:
    url = (url or "").strip()
    if not url:
        raise ValidationError({"url": _("Give the URL to send the changes to.")})
    try:
        check_url(url)
    except ApplicationError as refusal:
        raise ValidationError({"url": refusal.message}) from None
    return url


def _check_manager(user) -> None:
    if not can_manage_webhooks(user):
        raise ApplicationError(
            _(
                "Registering webhooks needs the permission “Can add webhook”: team managers "
                "have it; ask an administrator for it."
            ),
            code="permission_denied",
        )


def _check_owner(webhook: Webhook, by) -> None:
    if webhook.owner_id != by.pk:
        raise ApplicationError(_("No such webhook among yours."), code="not_found")


def _url_taken(owner, url: str, *, other_than: int | None = None) -> str | None:
    """What to say when another webhook of `owner` already sends to `url`, or None."""
    taken = Webhook.objects.filter(owner=owner, url=url).exclude(pk=other_than).first()
    if taken is None:
        return None
    return _(
        "Your webhook %(id)s already sends to this address: change its record types, or "
        "rotate its secret if you lost it."
    ) % {"id": taken.pk}


@transaction.atomic
def webhook_create(
    *, owner, url: str, record_types: list[str], description: str = "", secret: str = ""
) -> tuple[Webhook, str]:
    """Register a webhook of `owner`; returns it and its signing secret (the one chosen,
    or a new random one)."""
    _check_manager(owner)
    errors = {}
    values = {}
    for field, check, value in (
        ("url", check_webhook_url, url),
        ("record_types", _check_record_types, record_types),
        ("secret", check_secret, secret),
    ):
        if field == "secret" and not value:
            values[field] = new_secret()
            continue
        try:
            values[field] = check(value)
        except ValidationError as error:
            errors.update(error.message_dict)
    if "url" in values:
        # One webhook per address and person: a second one (a registration retried
        # after its answer was lost) would send every change there twice.
        advisory_xact_lock(f"webhook-url:{owner.pk}:{values['url']}")
        if problem := _url_taken(owner, values["url"]):
            errors["url"] = problem
    if errors:
        raise ValidationError(errors)
    webhook = Webhook(owner=owner, description=(description or "").strip(), **values)
    webhook.full_clean()
    webhook.save()
    return webhook, values["secret"]


@transaction.atomic
def webhook_update(
    *,
    webhook: Webhook,
    by,
    url: str | None = None,
    record_types: list[str] | None = None,
    description: str | None = None,
    secret: str | None = None,
) -> Webhook:
    """Change what is given (None: keep); a new URL is checked as on creation. Changes
    waiting in the outbox go to the new URL."""
    _check_owner(webhook, by)
    _check_manager(by)
    errors = {}
    for field, check, value in (
        ("url", check_webhook_url, url),
        ("record_types", _check_record_types, record_types),
        ("secret", check_secret, secret),
    ):
        if value is None or (field == "url" and value.strip() == webhook.url):
            continue
        try:
            setattr(webhook, field, check(value))
        except ValidationError as error:
            errors.update(error.message_dict)
    if url is not None and "url" not in errors:
        advisory_xact_lock(f"webhook-url:{webhook.owner_id}:{webhook.url}")
        if problem := _url_taken(webhook.owner, webhook.url, other_than=webhook.pk):
            errors["url"] = problem
    if errors:
        raise ValidationError(errors)
    if description is not None:
        webhook.description = description.strip()
    webhook.full_clean()
    webhook.save()
    return webhook


@transaction.atomic
def webhook_new_secret(*, webhook: Webhook, by) -> str:
    """Replace the signing secret with a random one; returns it (shown once). Every
    delivery from now on, retries included, is signed with it."""
    _check_owner(webhook, by)
    _check_manager(by)
    webhook.secret = new_secret()
    webhook.save(update_fields=["secret", "updated_at"])
    return webhook.secret


@transaction.atomic
def webhook_disable(*, webhook: Webhook, by, now: datetime.datetime | None = None) -> Webhook:
    """Stop sending: changes from now on are not queued for it; what already waits
    stays, and goes out when it is enabled again."""
    _check_owner(webhook, by)
    if webhook.is_active:
        webhook.is_active = False
        webhook.disabled_at = now or timezone.now()
        webhook.disabled_reason = DisabledReason.OWNER
        webhook.save(update_fields=["is_active", "disabled_at", "disabled_reason", "updated_at"])
    return webhook


@transaction.atomic
def webhook_enable(*, webhook: Webhook, by, now: datetime.datetime | None = None) -> Webhook:
    """Start sending again: the changes that waited go first, in order, each with a
    new day of retries."""
    _check_owner(webhook, by)
    _check_manager(by)
    if webhook.is_active:
        return webhook
    now = now or timezone.now()
    webhook.is_active = True
    webhook.disabled_at = None
    webhook.disabled_reason = ""
    webhook.save(update_fields=["is_active", "disabled_at", "disabled_reason", "updated_at"])
    WebhookDelivery.objects.filter(webhook=webhook, status=DeliveryStatus.PENDING).update(
        next_attempt_at=now, first_attempt_at=None
    )
    _nudge(webhook)
    return webhook


@transaction.atomic
def webhook_delete(*, webhook: Webhook, by) -> None:
    """Remove the webhook and its outbox (what waits is not sent); its history stays."""
    _check_owner(webhook, by)
    webhook.delete()


@transaction.atomic
def delivery_redeliver(
    *, delivery: WebhookDelivery, by, now: datetime.datetime | None = None
) -> WebhookDelivery:
    """Send a delivery again now. A waiting one is tried at once; one already delivered
    (or skipped) is queued again as a new row with the same event id and body, after
    anything of the same record still waiting."""
    webhook = delivery.webhook
    _check_owner(webhook, by)
    if not webhook.is_active:
        raise ApplicationError(
            _("This webhook is disabled: enable it first, then redeliver."), code="disabled"
        )
    now = now or timezone.now()
    if delivery.status == DeliveryStatus.PENDING:
        delivery.next_attempt_at = now
        delivery.first_attempt_at = None
        delivery.save(update_fields=["next_attempt_at", "first_attempt_at"])
        again = delivery
    else:
        again = WebhookDelivery.objects.create(
            webhook=webhook,
            event_id=delivery.event_id,
            record_type=delivery.record_type,
            object_id=delivery.object_id,
            event=delivery.event,
            change_seq=delivery.change_seq,
            occurred_at=delivery.occurred_at,
            body=delivery.body if delivery.status == DeliveryStatus.DELIVERED else "",
            next_attempt_at=now,
            redelivery_of=delivery.pk,
        )
    _nudge(webhook)
    return again


def _nudge(webhook: Webhook) -> None:
    from .tasks import webhook_deliver

    enqueue_on_commit(webhook_deliver, webhook.pk)
