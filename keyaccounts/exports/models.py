"""An export prepared in the background: a list too long to write within a request.

A list of more than `EXPORT_DIRECT_ROWS` rows is not written while the browser waits
(the whole company's 100,000 accounts as XLSX take half a minute, the web worker's
timeout is a minute): its owner asks for it, a worker of the `jobs` queue writes it as
that user, with the filters and language it was asked for, and the finished file is
kept in the database in parts of `PART_BYTES` (so any web machine can send it, and none
holds more than a part) until its owner deletes it or `EXPORT_FILE_KEEP_HOURS` pass.
Only its owner can see or download it (keyaccounts/exports/services.py).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from keyaccounts.choices import ChoiceLabels


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting to start")
    RUNNING = "running", _("Being prepared")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


UNFINISHED = (ExportStatus.QUEUED, ExportStatus.RUNNING)


class ExportFile(ChoiceLabels):
    """One list as one file, for the user who asked for it."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("asked for by"),
        on_delete=models.CASCADE,
        related_name="export_files",
    )
    # The export type's name (keyaccounts.exports.registry.TYPES): "accounts", …
    kind = models.CharField(_("record type"), max_length=40)
    format = models.CharField(
        _("format"), max_length=4, choices=[("csv", "CSV"), ("xlsx", "Excel")]
    )
    # The list's filters, as the page's query string (without the page and the format).
    query = models.TextField(_("filters"), blank=True)
    language = models.CharField(_("language"), max_length=10, default="en")
    status = models.CharField(
        _("status"), max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    created_at = models.DateTimeField(_("asked for"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    size = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    message = models.CharField(_("message"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("export file")
        verbose_name_plural = _("export files")
        ordering = ["-pk"]
        indexes = [
            models.Index(fields=["created_by", "-id"], name="exportfile_owner_idx"),
            models.Index(fields=["created_at"], name="exportfile_created_idx"),
        ]

    def __str__(self):
        return f"{self.kind}.{self.format} #{self.pk} ({self.status})"

    @property
    def is_unfinished(self) -> bool:
        return self.status in UNFINISHED


class ExportFilePart(models.Model):
    """A stretch of a finished file's bytes, in order of `index`."""

    file = models.ForeignKey(ExportFile, on_delete=models.CASCADE, related_name="parts")
    index = models.PositiveIntegerField()
    content = models.BinaryField()

    class Meta:
        verbose_name = _("export file part")
        verbose_name_plural = _("export file parts")
        constraints = [
            models.UniqueConstraint(fields=["file", "index"], name="exportfilepart_unique_index")
        ]

    def __str__(self):
        return f"{self.file_id}/{self.index}"
