"""Reads: a user's own bulk jobs (nobody else's: others answer 404)."""

from django.db.models import QuerySet

from .models import BulkJob


def jobs_of(user) -> QuerySet[BulkJob]:
    """The user's bulk jobs, newest first, without their input."""
    if not (user and user.is_authenticated and user.is_active):
        return BulkJob.objects.none()
    return BulkJob.objects.filter(owner=user).order_by("-pk")


def results_of(job: BulkJob, *, errors_only: bool = False):
    """The job's per-item results as JSON lines (bytes), chunk by chunk, in input order:
    those of the chunks written so far."""
    chunks = job.chunks.filter(done_at__isnull=False).order_by("number")
    for blob in chunks.values_list("results", flat=True).iterator(chunk_size=4):
        data = bytes(blob or b"")
        if not errors_only:
            yield data
            continue
        failed = [line for line in data.splitlines(keepends=True) if b'"status":"error"' in line]
        if failed:
            yield b"".join(failed)
