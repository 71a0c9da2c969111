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
    (filters, language, time zone, day), as computed at `computed_at`. `path`, `prefix`,
    `language` and `zone` say how to compute them again without the person (the page's
    address without `refresh` and the script prefix it was served under); `viewed_at`
    when its person last saw it (noted at most once a minute): a snapshot viewed lately
    is computed again in the background before it would go stale
    (`services.refresh_due`)."""

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
    path = models.CharField(_("page address"), max_length=2000, blank=True)
    prefix = models.CharField(_("script prefix"), max_length=200, blank=True)
    language = models.CharField(_("language"), max_length=16, blank=True)
    zone = models.CharField(_("time zone"), max_length=64, blank=True)
    viewed_at = models.DateTimeField(_("last viewed"), null=True, blank=True)

    class Meta:
        verbose_name = _("page snapshot")
        verbose_name_plural = _("page snapshots")
        constraints = [
            models.UniqueConstraint(fields=["user", "name", "key"], name="snapshot_user_page_key")
        ]
        indexes = [
            # The background refresh's candidates: those viewed lately.
            models.Index(fields=["viewed_at"], name="snapshot_viewed_at")
        ]

    def __str__(self) -> str:
        return f"{self.name} · {self.user_id} · {self.computed_at:%Y-%m-%d %H:%M}"
