from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# What the bin lists: neither restored nor purged, and no merge (a merge is no deletion).
IN_BIN = models.Q(restored_at__isnull=True, purged_at__isnull=True) & ~models.Q(reason="merged")


class Deletion(models.Model):
    """One delete action: its root record, who did it, when, and what went with it."""

    model = models.CharField(_("record type"), max_length=100)  # "accounts.account"
    object_id = models.BigIntegerField(_("ID"))
    label = models.CharField(_("name"), max_length=300)
    # The account the root belongs to (itself, for an account): who may see the bin
    # entry follows that account's visibility.
    account_id = models.BigIntegerField(_("account ID"), db_index=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("deleted by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    deleted_at = models.DateTimeField(_("deleted"), db_index=True)
    # {"accounts.contact": 3, "visits.visit": 2, ...}: what went with the root.
    counts = models.JSONField(_("taken along"), default=dict)
    restored_at = models.DateTimeField(_("restored"), null=True, blank=True)
    restored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("restored by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    purged_at = models.DateTimeField(_("purged"), null=True, blank=True)
    # "deleted", or "merged": a record merged into another is kept for good (its id
    # redirects to the survivor, its history stays), never listed in the bin or purged.
    reason = models.CharField(_("reason"), max_length=10, default="deleted", db_index=True)
    # Links from live records that the delete cut and a restore puts back, e.g.
    # {"reports_to": [ids of the contacts who reported to a deleted contact]}.
    relinks = models.JSONField(_("links to restore"), default=dict, blank=True)

    class Meta:
        verbose_name = _("deletion")
        verbose_name_plural = _("deletions")
        ordering = ["-deleted_at", "-pk"]
        # The bin's page in its order (selectors.BIN_ORDER: latest first, then the id),
        # over what is in the bin and no merge: a manager's whole bin, and a rep's own
        # deletions, each one index range however long the bin's history grows.
        indexes = [
            models.Index(
                fields=["deleted_at", "id"],
                condition=IN_BIN,
                name="deletion_in_bin_idx",
            ),
            models.Index(
                fields=["deleted_by", "deleted_at", "id"],
                condition=IN_BIN,
                name="deletion_in_bin_by_idx",
            ),
            models.Index(fields=["model", "object_id"]),
        ]

    def __str__(self):
        return self.label

    @property
    def in_bin(self) -> bool:
        return self.restored_at is None and self.purged_at is None
