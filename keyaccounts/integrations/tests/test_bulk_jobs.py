"""Asynchronous bulk jobs (issue 11): POST /api/v1/jobs/ with JSON lines, run inline
here (no Redis), with progress, per-item results, bad lines, owners only, token scopes,
the size limit, idempotent retries, cancelling, and resuming after a lost run."""

import datetime
import json

import pytest
from django.db import OperationalError
from django.test import TestCase
from django.utils import timezone

from accounts.models import Account
from keyaccounts.integrations.jobs import services
from keyaccounts.integrations.jobs.models import BulkJob, BulkJobChunk, JobStatus
from keyaccounts.integrations.jobs.writing import bulk_writer
from keyaccounts.integrations.services import token_create

pytestmark = pytest.mark.django_db

NDJSON = "application/x-ndjson"


def lines(*items) -> bytes:
    return "".join(
        (item if isinstance(item, str) else json.dumps(item)) + "\n" for item in items
    ).encode()


def account(external_id: str, **fields) -> dict:
    # Alike names on purpose, past the duplicate check (accounts/tests/test_duplicates.py).
    return {
        "external_id": external_id,
        "name": f"Company {external_id}",
        "industry": "manufacturing",
        "confirm_duplicate": True,
        **fields,
    }


def committed(post):
    """Run what the request left for after its commit (the job's run, inline here)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return post()


def post_job(client, body: bytes, *, type_="accounts", content_type=NDJSON, **extra):
    return committed(
        lambda: client.post(f"/api/v1/jobs/?type={type_}", body, content_type=content_type, **extra)
    )


def results_of(client, job_id: int, query: str = "") -> list[dict]:
    response = client.get(f"/api/v1/jobs/{job_id}/results/{query}", HTTP_ACCEPT=NDJSON)
    assert response.status_code == 200
    assert response["Content-Type"] == f"{NDJSON}; charset=utf-8"
    return [json.loads(line) for line in b"".join(response.streaming_content).splitlines()]


def test_a_job_runs_inline_and_answers_202_with_its_address(api, personas):
    client = api(personas.alice)
    response = post_job(client, lines(account("J-1"), account("J-2"), account("J-3")))
    assert response.status_code == 202, response.content
    job_id = response.json()["id"]
    assert response["Location"] == f"/api/v1/jobs/{job_id}/"
    # Without Redis the run happened before the answer was read: the job is done.
    job = client.get(response["Location"]).json()
    assert job["status"] == "done"
    assert (job["total"], job["processed"], job["progress"]) == (3, 3, 1.0)
    assert (job["created"], job["updated"], job["unchanged"], job["failed"]) == (3, 0, 0, 0)
    created = Account.objects.filter(external_id__startswith="J-")
    assert sorted(created.values_list("external_id", flat=True)) == ["J-1", "J-2", "J-3"]
    assert set(created.values_list("owner", flat=True)) == {personas.alice.pk}
    assert job["started_at"] and job["finished_at"]


def test_a_second_job_updates_and_leaves_unchanged_records_as_they_are(api, personas):
    client = api(personas.alice)
    post_job(client, lines(account("U-1"), account("U-2")))
    version = Account.objects.get(external_id="U-2").version
    response = post_job(client, lines(account("U-1", region="浙江"), account("U-2")))
    job = client.get(response["Location"]).json()
    assert (job["created"], job["updated"], job["unchanged"]) == (0, 1, 1)
    assert Account.objects.get(external_id="U-1").region == "浙江"
    assert Account.objects.get(external_id="U-2").version == version


def test_results_are_json_lines_per_item_with_the_input_line(api, personas):
    client = api(personas.alice)
    body = lines(account("R-1"), "", account("R-2", name=""), account("R-3"))
    job_id = post_job(client, body).json()["id"]
    results = results_of(client, job_id)
    assert [(r["line"], r["external_id"], r["status"]) for r in results] == [
        (1, "R-1", "created"),
        (3, "R-2", "error"),  # the blank line 2 is no item but is counted
        (4, "R-3", "created"),
    ]
    assert results[0]["id"] == Account.objects.get(external_id="R-1").pk
    assert results[0]["version"] == 1 and "errors" not in results[0]
    assert results[1]["code"] == "invalid" and results[1]["errors"]["name"]
    assert [r["line"] for r in results_of(client, job_id, "?status=error")] == [3]
    assert client.get(f"/api/v1/jobs/{job_id}/results/?status=nope").status_code == 400
    plain = client.get(f"/api/v1/jobs/{job_id}/results/")
    assert plain["Content-Type"] == "text/plain; charset=utf-8"
    assert len(b"".join(plain.streaming_content).splitlines()) == 3


def test_a_malformed_line_fails_alone_naming_its_line(api, personas):
    client = api(personas.alice)
    body = lines(account("M-1"), '{"external_id": "M-2", "name": ', "[1, 2]", account("M-4"))
    response = post_job(client, body)
    assert response.status_code == 202
    job = client.get(response["Location"]).json()
    assert job["status"] == "done"
    assert (job["total"], job["created"], job["failed"]) == (4, 2, 2)
    failed = results_of(client, job["id"], "?status=error")
    assert [(r["line"], r["code"]) for r in failed] == [(2, "invalid_json"), (3, "invalid_json")]
    assert "Line 2 is not valid JSON" in failed[0]["errors"]["non_field_errors"][0]
    assert "Line 3 is not a JSON object" in failed[1]["errors"]["non_field_errors"][0]
    assert Account.objects.filter(external_id__in=["M-1", "M-4"]).count() == 2


def test_a_line_with_half_a_surrogate_pair_fails_alone_naming_where(api, personas):
    """As the API's parser refuses it: on its line (its refusal repeated it, which no
    results file could hold, and the whole job failed with nothing written)."""
    client = api(personas.alice)
    body = lines(account("S-1"), '{"external_id": "S-2", "name": "x", "industry": "\\ud83d"}')
    job = client.get(post_job(client, body)["Location"]).json()
    assert job["status"] == "done"
    assert (job["total"], job["created"], job["failed"]) == (2, 1, 1)
    [failed] = results_of(client, job["id"], "?status=error")
    assert failed["line"] == 2 and failed["code"] == "invalid_json"
    message = failed["errors"]["non_field_errors"][0]
    assert message.startswith("Line 2: industry holds half of a UTF-16 surrogate pair")
    assert Account.objects.filter(external_id="S-1").exists()


@pytest.mark.parametrize(
    "body",
    [b"", b"\n\n", b"name,region\nAcme,Zhejiang\n", b'[{"external_id": "L-1"}]', b"\xff\xfe{}"],
    ids=["empty", "blank", "csv", "json-list", "not-utf8"],
)
def test_a_body_that_is_not_json_lines_at_all_is_refused(api, personas, body):
    response = post_job(api(personas.alice), body)
    assert response.status_code == 400, response.content
    assert response.json()["errors"]["body"]
    assert not BulkJob.objects.exists()


def test_the_type_is_required_and_checked_and_a_job_is_never_atomic(api, personas):
    client = api(personas.alice)
    missing = client.post("/api/v1/jobs/", lines(account("T-1")), content_type=NDJSON)
    assert missing.status_code == 400
    assert "accounts" in missing.json()["errors"]["type"][0]
    assert post_job(client, lines(account("T-1")), type_="stages").status_code == 400
    atomic = client.post(
        "/api/v1/jobs/?type=accounts&atomic=true", lines(account("T-1")), content_type=NDJSON
    )
    assert atomic.status_code == 400 and atomic.json()["errors"]["atomic"]
    assert not BulkJob.objects.exists()


def test_a_multipart_file_with_the_type_in_the_form(api, personas):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = api(personas.alice)
    upload = SimpleUploadedFile(
        "contacts.jsonl",
        lines({"external_id": "F-1", "account": personas.account.pk, "name": "Li Lei"}),
    )
    response = committed(
        lambda: client.post(
            "/api/v1/jobs/", {"type": "contacts", "file": upload}, format="multipart"
        )
    )
    assert response.status_code == 202, response.content
    job = client.get(response["Location"]).json()
    assert (job["type"], job["status"], job["created"]) == ("contacts", "done", 1)


def test_the_input_is_bounded(api, personas, settings):
    settings.BULK_JOB_MAX_BYTES = 200
    client = api(personas.alice)
    small = lines(account("S-1"))
    assert post_job(client, small).status_code == 202
    big = lines(*(account(f"S-{n}") for n in range(10)))
    assert len(big) > 200
    response = post_job(client, big)
    assert response.status_code == 413
    assert "200 bytes" in response.json()["detail"]
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("big.jsonl", big)
    multipart = client.post(
        "/api/v1/jobs/", {"type": "accounts", "file": upload}, format="multipart"
    )
    assert multipart.status_code == 413
    assert BulkJob.objects.count() == 1


def test_jobs_are_their_owners_alone(api, personas):
    job_id = post_job(api(personas.alice), lines(account("O-1"))).json()["id"]
    for user in (personas.bob, personas.manager, personas.admin):
        client = api(user)
        assert client.get(f"/api/v1/jobs/{job_id}/").status_code == 404
        assert client.get(f"/api/v1/jobs/{job_id}/results/").status_code == 404
        assert client.post(f"/api/v1/jobs/{job_id}/cancel/").status_code == 404
        assert client.get("/api/v1/jobs/").json()["results"] == []
    listed = api(personas.alice).get("/api/v1/jobs/").json()["results"]
    assert [job["id"] for job in listed] == [job_id]
    assert api().get("/api/v1/jobs/").status_code == 401


def test_the_items_are_written_with_the_owners_rights(api, personas):
    """An item naming a record the owner cannot see fails, as in a bulk upsert."""
    personas.charlies_account.external_id = "CH-1"
    personas.charlies_account.save()
    client = api(personas.alice)
    job_id = post_job(client, lines(account("CH-1", region="X"))).json()["id"]
    (result,) = results_of(client, job_id)
    assert result["status"] == "error" and result["errors"]["external_id"]
    personas.charlies_account.refresh_from_db()
    assert personas.charlies_account.region != "X"


def _token(user, *, access="read_write", types=("account",)):
    _token_row, secret = token_create(
        user=user,
        name=f"sync {access} {'-'.join(types)}",
        access=access,
        record_types=list(types),
        expires_at=timezone.now() + datetime.timedelta(days=1),
    )
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def test_integration_tokens_by_their_access_and_record_types(personas):
    body = lines(account("K-1"))
    read_only = post_job(_token(personas.alice, access="read"), body)
    assert read_only.status_code == 403 and read_only.json()["code"] == "token_read_only"
    contacts_only = post_job(_token(personas.alice, types=("contact",)), body)
    assert contacts_only.status_code == 403 and contacts_only.json()["code"] == "token_scope"
    assert not BulkJob.objects.exists()
    accounts = _token(personas.alice, types=("account",))
    response = post_job(accounts, body)
    assert response.status_code == 202
    assert accounts.get(response["Location"]).status_code == 200
    # A token for contacts neither reads nor lists a job of accounts.
    contacts = _token(personas.alice, access="read", types=("contact",))
    assert contacts.get(response["Location"]).status_code == 403
    assert contacts.get("/api/v1/jobs/").json()["results"] == []


def test_an_idempotency_key_makes_one_job(api, personas):
    client = api(personas.alice)
    body = lines(account("I-1"))
    first = post_job(client, body, HTTP_IDEMPOTENCY_KEY="job-1")
    again = post_job(client, body, HTTP_IDEMPOTENCY_KEY="job-1")
    assert first.status_code == again.status_code == 202
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert again["Location"] == first["Location"]
    assert BulkJob.objects.count() == 1
    other = post_job(client, lines(account("I-2")), HTTP_IDEMPOTENCY_KEY="job-1")
    assert other.status_code == 422
    assert BulkJob.objects.count() == 1


def test_cancel_stops_a_job_before_its_next_chunk(api, personas):
    job = services.bulk_job_create(
        owner=personas.alice, record_type="accounts", body=lines(account("C-1")), chunk_items=1
    )
    client = api(personas.alice)
    response = client.post(f"/api/v1/jobs/{job.pk}/cancel/")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert services.bulk_job_run(job_id=job.pk) is False
    assert not Account.objects.filter(external_id="C-1").exists()
    again = client.post(f"/api/v1/jobs/{job.pk}/cancel/")
    assert again.status_code == 409 and again.json()["code"] == "finished"


def test_progress_is_kept_per_chunk_and_a_lost_run_resumes_after_the_last_done(personas):
    body = lines(*(account(f"P-{n}") for n in range(1, 6)))
    job = services.bulk_job_create(
        owner=personas.alice, record_type="accounts", body=body, chunk_items=2
    )
    assert (job.total, job.chunks_total) == (5, 3)
    # One slice: a chunk, then it says there is more.
    assert services.bulk_job_run(job_id=job.pk, seconds=0) is True
    job.refresh_from_db()
    assert (job.status, job.processed, job.chunks_done, job.created) == ("running", 2, 1, 2)
    assert job.progress == 0.4
    # A worker killed after writing the second chunk's items, before marking it done.
    second = BulkJobChunk.objects.get(job=job, number=1)
    bulk_writer("accounts", personas.alice)([account("P-3"), account("P-4")])
    assert BulkJobChunk.objects.get(pk=second.pk).done_at is None
    # The run taken up again (a redelivered message, or beat's sweep) ends the job.
    assert services.bulk_job_run(job_id=job.pk) is False
    job.refresh_from_db()
    assert (job.status, job.processed, job.chunks_done) == ("done", 5, 3)
    # The second chunk was written again: its items come back unchanged, none twice.
    assert (job.created, job.unchanged) == (3, 2)
    assert Account.objects.filter(external_id__startswith="P-").count() == 5


def test_a_bug_in_a_chunk_says_what_was_written_and_sending_again_writes_nothing_twice(
    personas, monkeypatch
):
    """A job stopped by an unexpected error in its second chunk: the first chunk's
    items stay (done, counted); the second's first item was written before the error
    (items commit one by one, as single writes do), and the message says so — sending
    those lines again makes no second record."""
    body = lines(*(account(f"X-{n}") for n in range(1, 5)))
    job = services.bulk_job_create(
        owner=personas.alice, record_type="accounts", body=body, chunk_items=2
    )
    real = services.write_chunk

    def write_then_fail(chunk, write):
        if chunk.number == 0:
            return real(chunk, write)
        write([account("X-3")])  # its first item written, then a bug
        raise RuntimeError("a bug")

    monkeypatch.setattr(services, "write_chunk", write_then_fail)
    assert services.bulk_job_run(job_id=job.pk) is False
    job.refresh_from_db()
    assert (job.status, job.processed, job.chunks_done, job.created) == ("failed", 2, 1, 2)
    assert job.message.startswith(
        "An unexpected error stopped the job in the items from line 3: those before were "
        "written, some from that line on may have been."
    )
    assert sorted(
        Account.objects.filter(external_id__startswith="X-").values_list("external_id", flat=True)
    ) == ["X-1", "X-2", "X-3"]
    monkeypatch.undo()
    again = services.bulk_job_create(
        owner=personas.alice, record_type="accounts", body=lines(account("X-3"), account("X-4"))
    )
    assert services.bulk_job_run(job_id=again.pk) is False
    again.refresh_from_db()
    assert (again.status, again.created, again.unchanged) == ("done", 1, 1)


def test_beat_resumes_a_job_whose_run_was_lost(personas):
    from keyaccounts.integrations.tasks import job_resume_stalled

    job = services.bulk_job_create(
        owner=personas.alice, record_type="accounts", body=lines(account("B-1"))
    )
    assert job_resume_stalled() == 0  # just created: its nudge may still come
    BulkJob.objects.filter(pk=job.pk).update(
        created_at=timezone.now() - datetime.timedelta(minutes=10)
    )
    assert job_resume_stalled() == 1
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.created == 1


def test_a_deactivated_owners_job_fails_saying_why(personas):
    job = services.bulk_job_create(
        owner=personas.alice, record_type="accounts", body=lines(account("D-1"))
    )
    personas.alice.is_active = False
    personas.alice.save()
    services.bulk_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "deactivated" in job.message
    assert not Account.objects.filter(external_id="D-1").exists()


def test_finished_jobs_are_forgotten_after_the_days_kept(personas, settings):
    from keyaccounts.integrations.tasks import job_purge

    old, recent, running = (
        services.bulk_job_create(
            owner=personas.alice, record_type="accounts", body=lines(account(f"G-{n}"))
        )
        for n in range(3)
    )
    long_ago = timezone.now() - datetime.timedelta(days=settings.BULK_JOB_KEEP_DAYS + 1)
    BulkJob.objects.filter(pk=old.pk).update(status="done", finished_at=long_ago)
    BulkJob.objects.filter(pk=recent.pk).update(status="done", finished_at=timezone.now())
    BulkJob.objects.filter(pk=running.pk).update(status="running", created_at=long_ago)
    assert job_purge() == 1
    assert set(BulkJob.objects.values_list("pk", flat=True)) == {recent.pk, running.pk}
    assert not BulkJobChunk.objects.filter(job_id=old.pk).exists()


def test_a_run_leaves_the_cycle_collector_as_it_found_it(personas, monkeypatch):
    # The run keeps the process's older objects out of the collector's scans while it
    # writes (gc.freeze); afterwards, whether the job ended well or a chunk broke, none
    # is kept from collection.
    import gc

    frozen_while_writing = []
    write_chunk = services.write_chunk

    def watched(chunk, write):
        frozen_while_writing.append(gc.get_freeze_count())
        return write_chunk(chunk, write)

    monkeypatch.setattr(services, "write_chunk", watched)
    before = gc.get_freeze_count()
    job = services.bulk_job_create(
        owner=personas.alice, record_type="accounts", body=lines(account("G-1"))
    )
    services.bulk_job_run(job_id=job.pk)
    assert frozen_while_writing and frozen_while_writing[0] > before
    assert gc.get_freeze_count() == before
    assert BulkJob.objects.get(pk=job.pk).status == JobStatus.DONE

    def database_away(chunk, write):
        raise OperationalError("the server closed the connection")

    # The database going away ends the run with the error (the next run resumes it).
    monkeypatch.setattr(services, "write_chunk", database_away)
    job = services.bulk_job_create(
        owner=personas.alice, record_type="accounts", body=lines(account("G-2"))
    )
    with pytest.raises(OperationalError):
        services.bulk_job_run(job_id=job.pk)
    assert gc.get_freeze_count() == before
