"""The import's task: a queued job run by a worker of the `imports` queue."""

from celery import shared_task

# Named as it was when it lived in keyaccounts/tasks.py: a message queued before an
# upgrade still finds it. Published by name (keyaccounts.imports.services._publish).
IMPORT_RUN = "keyaccounts.tasks.import_run"


@shared_task(name=IMPORT_RUN)
def import_run(job_id: int) -> str | None:
    """Run a queued import job (keyaccounts.imports.services.import_job_run): the
    `imports` queue. Not retried: a run that fails saved nothing, and says so on the job.
    A message that comes back after its worker died runs the job again (`resume`)."""
    from .services import import_job_run

    job = import_job_run(job_id=job_id, resume=True)
    return job.status if job else None
