"""Imports on the real services: a run in a Celery worker on Redis (the background
path), and the one-running-import-per-type index on PostgreSQL under two starts at
once. Skipped locally without PostgreSQL and Redis; .ci/run provides them."""

import time

import pytest

from accounts.models import Account
from keyaccounts.exceptions import ApplicationError
from keyaccounts.imports.models import ImportJob, ImportStatus
from keyaccounts.imports.services import (
    import_job_confirm,
    import_job_map,
    import_job_start,
    import_job_upload,
)
from keyaccounts.pytest_plugin import in_threads
from keyaccounts.tests.imports_files import xlsx

ROWS = [["Name", "Industry"], ["Worker Co", "Finance"], ["Queue Co", "Energy"]]


def wait_for(job: ImportJob, status: str, timeout: float = 30) -> ImportJob:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status == status:
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job.pk} is {job.status}, not {status}, after {timeout} s")


@pytest.mark.django_db(transaction=True)
def test_a_worker_checks_then_imports_the_file_in_the_background(personas, celery_worker_process):
    job = import_job_upload(
        by=personas.alice, kind="accounts", filename="a.xlsx", content=xlsx({"rows": ROWS})
    )
    job = import_job_map(job=job, by=personas.alice, mapping=job.mapping)
    assert job.status == ImportStatus.QUEUED  # sent to the worker, not run here
    job = wait_for(job, ImportStatus.PREVIEWED)
    assert job.result["counts"]["create"] == 2
    assert not Account.objects.filter(name__in=["Worker Co", "Queue Co"]).exists()

    import_job_confirm(job=job, by=personas.alice)
    wait_for(job, ImportStatus.DONE)
    assert set(Account.objects.filter(owner=personas.alice).values_list("name", flat=True)) >= {
        "Worker Co",
        "Queue Co",
    }


@pytest.mark.django_db(transaction=True)
def test_of_two_imports_of_a_type_started_at_once_one_runs(personas, require_postgres):
    jobs = [
        import_job_upload(
            by=user, kind="accounts", filename=f"{user}.xlsx", content=xlsx({"rows": ROWS})
        )
        for user in (personas.alice, personas.bob)
    ]

    def start(job, user):
        def run():
            try:
                import_job_start(job=job, by=user, dry_run=True, enqueue=False)
            except ApplicationError as exc:
                return exc.code
            return "started"

        return run

    answers = in_threads(start(jobs[0], personas.alice), start(jobs[1], personas.bob))
    assert sorted(answers) == ["import_running", "started"]
    assert ImportJob.objects.filter(status=ImportStatus.QUEUED).count() == 1
