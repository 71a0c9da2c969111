"""A bulk job through a real Celery worker on the `jobs` queue, killed in the middle
(services tests: PostgreSQL, Redis)."""

import json
import signal
import time

import pytest
from django.test import TestCase

from accounts.models import Account
from keyaccounts.integrations.jobs.models import BulkJob, JobStatus

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def wait_for(condition, timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_a_job_killed_with_its_worker_resumes_after_its_last_chunk(
    api, personas, celery_worker_process, settings
):
    from keyaccounts.integrations.tasks import job_resume_stalled

    body = "".join(
        json.dumps(
            {
                "external_id": f"W-{n:04d}",
                "name": f"Worker Customer {n:04d}",
                "industry": "finance",
                "confirm_duplicate": True,
            }
        )
        + "\n"
        for n in range(1200)
    ).encode()
    client = api(personas.alice)
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(
            "/api/v1/jobs/?type=accounts", body, content_type="application/x-ndjson"
        )
    assert response.status_code == 202
    job_id = response.json()["id"]

    def progressed():
        job = BulkJob.objects.get(pk=job_id)
        return job.chunks_done >= 1 or job.status == JobStatus.DONE

    assert wait_for(progressed, 120), celery_worker_process.log()
    celery_worker_process.stop(signal.SIGKILL)
    job = BulkJob.objects.get(pk=job_id)
    assert job.status == JobStatus.RUNNING, "the job ended before the kill: make it longer"
    done_before = job.chunks_done

    celery_worker_process.start()
    settings.BULK_JOB_STALL_SECONDS = 0  # beat's sweep, without waiting for it
    assert job_resume_stalled() == 1

    def finished():
        return BulkJob.objects.get(pk=job_id).status == JobStatus.DONE

    assert wait_for(finished, 300), celery_worker_process.log()
    job = BulkJob.objects.get(pk=job_id)
    assert job.chunks_done == 3 and job.processed == 1200 and job.failed == 0
    assert done_before >= 1
    # Each record once; the chunk being written at the kill came back as unchanged.
    assert Account.objects.filter(external_id__startswith="W-").count() == 1200
    assert job.created + job.unchanged == 1200
