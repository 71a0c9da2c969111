"""A bulk job and its input, kept in chunks.

The input is split into chunks of `CHUNK_ITEMS` lines when the job is created, each
chunk a row holding its raw bytes; the run writes a chunk through the record type's
bulk upsert and then, in one transaction, stores the chunk's results (JSON lines), marks
it done and adds its counts to the job. A run that stops (a worker killed, a deploy)
resumes at the first chunk not done: its items are upserts by external_id, so writing
some of them again is safe (they come back `unchanged`).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from keyaccounts.choices import ChoiceLabels


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


FINISHED = (JobStatus.DONE, JobStatus.FAILED, JobStatus.CANCELLED)


class BulkJob(ChoiceLabels):
    """One JSON-lines upload of one record type, written by its owner's rights."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="bulk_jobs",
    )
    # The API's resource ("accounts"), as the client named it.
    record_type = models.CharField(_("record type"), max_length=40)
    status = models.CharField(
        _("status"), max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED
    )
    total = models.PositiveIntegerField(_("items"), default=0)
    processed = models.PositiveIntegerField(_("items done"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    failed = models.PositiveIntegerField(_("failed"), default=0)
    chunks_total = models.PositiveIntegerField(_("chunks"), default=0)
    chunks_done = models.PositiveIntegerField(_("chunks done"), default=0)
    input_size = models.PositiveBigIntegerField(_("input size (bytes)"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    # Written at every chunk: a running job that has not moved for a while is resumed.
    heartbeat_at = models.DateTimeField(_("last progress"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    message = models.CharField(_("message"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("bulk job")
        verbose_name_plural = _("bulk jobs")
        ordering = ["-pk"]
        indexes = [
            models.Index(fields=["owner", "-id"], name="bulkjob_owner_idx"),
            models.Index(
                fields=["heartbeat_at"],
                condition=models.Q(status__in=["queued", "running"]),
                name="bulkjob_unfinished_idx",
            ),
        ]

    def __str__(self):
        return f"{self.record_type} #{self.pk} ({self.status})"

    @property
    def progress(self) -> float:
        """The share of items done, 0.0 to 1.0."""
        if self.status == JobStatus.DONE or not self.total:
            return 1.0 if self.status == JobStatus.DONE else 0.0
        return round(self.processed / self.total, 4)

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED


class BulkJobChunk(models.Model):
    """A run of consecutive input lines and, once written, their results."""

    job = models.ForeignKey(
        BulkJob, verbose_name=_("job"), on_delete=models.CASCADE, related_name="chunks"
    )
    number = models.PositiveIntegerField(_("number"))
    first_line = models.PositiveIntegerField(_("first line"))
    items = models.PositiveIntegerField(_("items"))
    lines = models.BinaryField(_("input"))
    # One JSON object per line, one per item, in input order.
    results = models.BinaryField(_("results"), null=True, blank=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)

    class Meta:
        verbose_name = _("bulk job chunk")
        verbose_name_plural = _("bulk job chunks")
        ordering = ["job", "number"]
        constraints = [
            models.UniqueConstraint(fields=["job", "number"], name="bulkjobchunk_job_number"),
        ]

    def __str__(self):
        return f"{self.job_id}/{self.number}"
