"""An import job: one uploaded file of one record type, from upload to result."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from keyaccounts.choices import ChoiceLabels


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Columns to map")
    QUEUED = "queued", _("Waiting to start")
    RUNNING = "running", _("Running")
    PREVIEWED = "previewed", _("Checked, waiting for confirmation")
    DONE = "done", _("Imported")
    FAILED = "failed", _("Not imported")
    CANCELLED = "cancelled", _("Cancelled")


# A job in these statuses is at work on its type: one at a time per type (the constraint).
ACTIVE_STATUSES = (ImportStatus.QUEUED, ImportStatus.RUNNING)


class ImportJob(ChoiceLabels):
    """An uploaded file and what became of it.

    The file stays in the row (`content`) until the job is purged, with the table the
    upload read from it (`parsed`), so the preview, the confirmed run and the
    rejected-rows download all start from the same rows, parsed once. `mapping`
    says which field each of the file's columns fills (None: not imported). `result`
    is the last run's report: counts, notices and one entry per row. Progress while a
    run is under way lives in the cache (keyaccounts.imports.progress), not here: the
    run's own transaction would hide a row update from every other connection.

    At most one job per record type is queued or running (the partial unique index), so
    two imports of one type never interleave."""

    kind = models.CharField(_("record type"), max_length=30)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        on_delete=models.CASCADE,
        related_name="import_jobs",
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True, db_index=True)
    filename = models.CharField(_("file"), max_length=255)
    content = models.BinaryField(_("file content"), editable=False)
    # The table the upload read from `content` (reading.table_dumps): what every run and
    # the rejected rows start from, so a file is parsed once. Empty: read `content`.
    parsed = models.BinaryField(_("rows as read"), editable=False, default=b"", blank=True)
    language = models.CharField(_("language"), max_length=10, default="en")
    headers = models.JSONField(_("columns of the file"), default=list)
    mapping = models.JSONField(_("column mapping"), default=list)
    confirm_duplicates = models.BooleanField(_("import possible duplicates anyway"), default=False)
    status = models.CharField(
        _("status"), max_length=20, choices=ImportStatus.choices, default=ImportStatus.UPLOADED
    )
    dry_run = models.BooleanField(_("preview only"), default=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    total = models.PositiveIntegerField(_("rows"), default=0)
    processed = models.PositiveIntegerField(_("rows done"), default=0)
    result = models.JSONField(_("result"), default=dict, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind"],
                condition=Q(status__in=["queued", "running"]),
                name="one_running_import_per_kind",
            ),
        ]

    def __str__(self):
        return f"{self.kind}: {self.filename}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES
