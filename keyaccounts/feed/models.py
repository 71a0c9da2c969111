"""What the changes feed keeps besides the records and their tombstones.

Plain integer columns for users and accounts, no foreign keys: keyaccounts sits below
the apps whose rows these point at, and a row must outlive a purged account or a
deleted user until the retention purge takes it.
"""

import secrets

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from keyaccounts.choices import ChoiceLabels


class AccessKind(models.TextChoices):
    GRANTED = "granted", _("granted")
    REVOKED = "revoked", _("revoked")
    # The user's view changed wholesale (they became or stopped being a superuser or
    # active, or `rebuild_access` corrected their rows): their older cursors answer 410.
    RESET = "reset", _("view reset")


class AccessChange(ChoiceLabels):
    """One change of the access table (`accounts.AccountAccess`), in change order: a
    user came to see an account (`granted`), stopped seeing it (`revoked`), or their
    whole view changed (`reset`, no account). Written in the transaction of the change,
    each with its own change number, so the feed of a type can send a user the records
    under the accounts they were given since their cursor."""

    user_id = models.BigIntegerField(_("user ID"))
    account_id = models.BigIntegerField(_("account ID"), null=True, blank=True)
    kind = models.CharField(_("change"), max_length=10, choices=AccessKind.choices)
    change_seq = models.BigIntegerField(_("change number"))
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("access change")
        verbose_name_plural = _("access changes")
        indexes = [
            # A user's grants and resets after a cursor, in order.
            models.Index(fields=["user_id", "change_seq"], name="accesschange_user_seq"),
            # Whether a grant is the latest change of its (user, account).
            models.Index(
                fields=["user_id", "account_id", "change_seq"], name="accesschange_pair_seq"
            ),
            models.Index(fields=["change_seq"], name="accesschange_seq"),
        ]

    def __str__(self):
        return f"{self.user_id} {self.kind} {self.account_id} @{self.change_seq}"


class ExitReason(models.TextChoices):
    DELETED = "deleted", _("deleted")
    NOT_VISIBLE = "not_visible", _("no longer visible")


class FeedExit(ChoiceLabels):
    """A record that left one user's view: deleted while they could see it, or no
    longer visible to them (its account was taken from them, or it moved to an account
    they cannot see). The feed sends it to that user only, and only while the record is
    still out of their view. Written when it happens, to the users who could see the
    record then (`keyaccounts.feed.hooks`)."""

    user_id = models.BigIntegerField(_("user ID"))
    model = models.CharField(_("record type"), max_length=100)  # "accounts.contact"
    object_id = models.BigIntegerField(_("ID"))
    external_id = models.CharField(_("external ID"), max_length=100, blank=True)
    change_seq = models.BigIntegerField(_("change number"))
    reason = models.CharField(_("reason"), max_length=20, choices=ExitReason.choices)
    # A deletion by a merge: the survivor's id (as on the tombstone).
    merged_into = models.BigIntegerField(_("merged into"), null=True, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("record out of view")
        verbose_name_plural = _("records out of view")
        indexes = [
            models.Index(fields=["user_id", "model", "change_seq"], name="feedexit_user_seq"),
            models.Index(fields=["change_seq"], name="feedexit_seq"),
        ]

    def __str__(self):
        return f"{self.model}:{self.object_id} → {self.user_id} ({self.reason})"

    @property
    def deleted_at(self):
        """When it left the view (for a deletion: when it was deleted)."""
        return self.created_at


def new_epoch() -> str:
    return secrets.token_hex(4)


class FeedState(models.Model):
    """The feed's one row: this installation's epoch, part of every cursor (a cursor of
    another installation, or of this one before its database was recreated, is refused),
    and the horizon: the change number at or below which the feed's records were purged
    (older cursors are refused)."""

    epoch = models.CharField(_("epoch"), max_length=16, default=new_epoch)
    horizon = models.BigIntegerField(_("horizon"), default=0)
    purged_at = models.DateTimeField(_("last purge"), null=True, blank=True)

    class Meta:
        verbose_name = _("changes feed state")
        verbose_name_plural = _("changes feed state")

    def __str__(self):
        return f"{self.epoch} from {self.horizon}"


class FeedCheckpoint(models.Model):
    """The last change number at a moment (taken by the nightly purge): how far back
    `FEED_RETENTION_DAYS` reaches in change numbers."""

    change_seq = models.BigIntegerField(_("change number"))
    taken_at = models.DateTimeField(_("when"), db_index=True)

    class Meta:
        verbose_name = _("feed checkpoint")
        verbose_name_plural = _("feed checkpoints")

    def __str__(self):
        return f"{self.change_seq} at {self.taken_at:%Y-%m-%d %H:%M}"
