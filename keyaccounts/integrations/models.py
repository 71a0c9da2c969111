"""What other systems are given: named API tokens, webhooks, and the webhooks' outbox.

- `IntegrationToken`: a named, scoped API credential of one user (read-only or
  read-write, some record types), with an expiry. Only a hash of its secret is kept.
- `Webhook`: a URL that is sent every change its owner can see to the record types it
  names, signed with its secret.
- `WebhookDelivery`: the outbox. One row per (webhook, change), written in the
  transaction of the change itself, sent by a Celery task (keyaccounts.integrations
  .delivery) and kept 30 days after it was sent.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from keyaccounts.choices import ChoiceLabels
from keyaccounts.events import RecordEvent
from keyaccounts.history.models import tracked
from keyaccounts.links import record_url


class TokenAccess(models.TextChoices):
    READ = "read", _("Read only")
    READ_WRITE = "read_write", _("Read and write")


class IntegrationToken(ChoiceLabels):
    """An API token for one integration (an ERP, a BI tool), acting as its user.

    It sees what its user sees, limited to `record_types`; a read-only token changes
    nothing. The secret is shown once, when it is created; the row keeps its SHA-256
    (`key_hash`: a random 240-bit secret needs no slow hash) and its first characters
    (`prefix`) to recognise it by. Revoking is final and keeps the row, so the profile
    page and the history still say what it was."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="integration_tokens",
    )
    name = models.CharField(
        _("name"), max_length=100, help_text=_("What uses it, such as “ERP sync”.")
    )
    prefix = models.CharField(_("starts with"), max_length=16, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    access = models.CharField(
        _("access"), max_length=10, choices=TokenAccess.choices, default=TokenAccess.READ
    )
    record_types = models.JSONField(_("record types"), default=list)
    expires_at = models.DateTimeField(_("expires"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    history = tracked(excluded_fields=["key_hash", "last_used_at"])

    class Meta:
        verbose_name = _("integration token")
        verbose_name_plural = _("integration tokens")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "name"],
                condition=Q(revoked_at__isnull=True),
                name="one_live_integration_token_name_per_user",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def is_expired(self, now=None) -> bool:
        return self.expires_at <= (now or timezone.now())

    @property
    def is_usable(self) -> bool:
        return not self.is_revoked and not self.is_expired()

    @property
    def can_write(self) -> bool:
        return self.access == TokenAccess.READ_WRITE


class DisabledReason(models.TextChoices):
    OWNER = "owner", _("Disabled by its owner")
    FAILING = "failing", _("Disabled after a day of failed deliveries")


class Webhook(ChoiceLabels):
    """Where to POST the changes of some record types, as its owner can see them."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="webhooks",
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    url = models.CharField(_("URL"), max_length=2000)
    record_types = models.JSONField(_("record types"), default=list)
    # Needed in clear to sign each delivery (HMAC), so it is kept, never shown again.
    secret = models.CharField(_("signing secret"), max_length=100, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    disabled_at = models.DateTimeField(_("disabled"), null=True, blank=True, editable=False)
    disabled_reason = models.CharField(
        _("why disabled"),
        max_length=10,
        choices=DisabledReason.choices,
        blank=True,
        editable=False,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    history = tracked(excluded_fields=["secret", "updated_at"])

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return self.description or self.url

    def get_absolute_url(self):
        return record_url("integrations:webhook_detail", self.pk)


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    DELIVERED = "delivered", _("Delivered")
    SKIPPED = "skipped", _("Not sent: no longer visible to the owner")


class WebhookDelivery(ChoiceLabels):
    """One change to send to one webhook (the outbox row).

    `body` is the JSON sent, built at the first attempt and sent byte for byte the same
    at every retry (each with a fresh signature). A row waits for every earlier row of
    the same record and webhook (`id` order), so a record's changes arrive in order."""

    webhook = models.ForeignKey(
        Webhook, verbose_name=_("webhook"), on_delete=models.CASCADE, related_name="deliveries"
    )
    # One change has one event id, whichever webhooks it goes to and however often.
    event_id = models.UUIDField(_("event ID"), default=uuid.uuid4, editable=False)
    record_type = models.CharField(_("record type"), max_length=40)
    object_id = models.BigIntegerField(_("record ID"))
    event = models.CharField(_("event"), max_length=10, choices=RecordEvent.choices)
    change_seq = models.BigIntegerField(_("change number"))
    occurred_at = models.DateTimeField(_("occurred"))
    body = models.TextField(_("body"), blank=True, editable=False)
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("queued"), auto_now_add=True)
    next_attempt_at = models.DateTimeField(_("next try"), default=timezone.now)
    first_attempt_at = models.DateTimeField(_("first try"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last try"), null=True, blank=True)
    finished_at = models.DateTimeField(_("delivered or skipped"), null=True, blank=True)
    response_code = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    # Set on a manual redelivery: the id of the row it sends again. A plain number, not
    # a foreign key, so that the purge deletes rows in one statement.
    redelivery_of = models.BigIntegerField(_("redelivery of"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-pk"]
        indexes = [
            # The delivery log of a webhook, newest first.
            models.Index(fields=["webhook", "-id"], name="webhook_delivery_log"),
            # What is due, and whether an earlier row of the same record still waits.
            models.Index(
                fields=["webhook", "next_attempt_at"],
                condition=Q(status="pending"),
                name="webhook_delivery_due",
            ),
            models.Index(
                fields=["webhook", "record_type", "object_id", "id"],
                condition=Q(status="pending"),
                name="webhook_delivery_per_record",
            ),
            models.Index(
                fields=["finished_at"],
                condition=Q(finished_at__isnull=False),
                name="webhook_delivery_finished",
            ),
        ]

    def __str__(self):
        return f"{self.record_type} {self.object_id} {self.event} #{self.change_seq}"

    @property
    def record_type_label(self) -> str:
        """The record type as a person names it ("Complaint"), not the API's name."""
        from .registry import record_types

        kind = record_types().get(self.record_type)
        return capfirst(kind.model._meta.verbose_name) if kind else self.record_type


# Bulk jobs (their own module; imported here so that the app's models include them).
from .jobs.models import BulkJob, BulkJobChunk, JobStatus  # noqa: E402, F401
