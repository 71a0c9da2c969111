"""The stored snapshots (keyaccounts.snapshots): derived data, not records.

A snapshot is a cache of figures that can be computed again at any moment from the
records, so it has none of a record's treatment (no history, recycle bin, API or
import): losing every row loses nothing but the time to compute them again.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Snapshot(models.Model):
    """The rendered figures of page `name` for `user` with the parameters hashed in `key`
    (filters, language, time zone, day), as computed at `computed_at`."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # the unique constraint below starts with it
        verbose_name=_("user"),
    )
    name = models.CharField(_("page"), max_length=40)
    key = models.CharField(_("parameters"), max_length=64)
    computed_at = models.DateTimeField(_("computed at"))
    content = models.TextField(_("content"))

    class Meta:
        verbose_name = _("page snapshot")
        verbose_name_plural = _("page snapshots")
        constraints = [
            models.UniqueConstraint(fields=["user", "name", "key"], name="snapshot_user_page_key")
        ]

    def __str__(self) -> str:
        return f"{self.name} · {self.user_id} · {self.computed_at:%Y-%m-%d %H:%M}"
