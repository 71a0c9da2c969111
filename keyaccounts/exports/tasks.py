"""The background export's task: a file asked for, prepared by a worker of the `jobs`
queue (its name matches the route `*.tasks.job_*`)."""

from celery import shared_task

from .services import EXPORT_FILE_TASK


@shared_task(name=EXPORT_FILE_TASK)
def job_export_file(file_id: int) -> str | None:
    """Prepare the export file `file_id` (keyaccounts.exports.services.export_file_run).
    Not retried: a run that fails says so on the file. A message that comes back after
    its worker died prepares the file again from the start."""
    from .services import export_file_run

    file = export_file_run(file_id=file_id)
    return file.status if file else None


@shared_task
def export_files_purge() -> int:
    """Delete export files past EXPORT_FILE_KEEP_HOURS, fail those whose run stopped;
    beat runs it hourly. Returns how many were deleted."""
    from .services import export_files_purge as purge

    return purge()
