"""Writes of bulk jobs: create (from an uploaded body), cancel, and run a chunk at a time."""

import datetime
import gc
import json
import logging
import threading
import time
from contextlib import contextmanager

from django.db import DatabaseError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from keyaccounts.api.bulkitems import CREATED, ERROR, UNCHANGED, UPDATED
from keyaccounts.api.exceptions import NON_FIELD
from keyaccounts.bulk import analyze_grown
from keyaccounts.history.context import Origin, history_context
from keyaccounts.locks import release_advisory_lock, try_advisory_lock
from keyaccounts.snapshots.services import note_write

from .models import BulkJob, BulkJobChunk, JobStatus
from .reading import CHUNK_ITEMS, items_of, split
from .writing import bulk_writer, models_grown

logger = logging.getLogger(__name__)

COUNTED = {CREATED: "created", UPDATED: "updated", UNCHANGED: "unchanged", ERROR: "failed"}


def bulk_job_create(*, owner, record_type: str, body: bytes, chunk_items: int = CHUNK_ITEMS):
    """A queued job holding `body` in chunks. Raises reading.NotJsonLines for a body that
    is not JSON lines at all; the caller enqueues the run after the commit."""
    chunks = split(body, chunk_items=chunk_items)
    with transaction.atomic():
        job = BulkJob.objects.create(
            owner=owner,
            record_type=record_type,
            total=sum(chunk.items for chunk in chunks),
            chunks_total=len(chunks),
            input_size=len(body),
        )
        BulkJobChunk.objects.bulk_create(
            [
                BulkJobChunk(
                    job=job,
                    number=number,
                    first_line=chunk.first_line,
                    items=chunk.items,
                    lines=chunk.lines,
                )
                for number, chunk in enumerate(chunks)
            ],
            batch_size=20,
        )
    return job


def bulk_job_cancel(*, job: BulkJob) -> bool:
    """Stop a queued or running job before its next chunk; what was written stays.
    False when it had finished already."""
    now = timezone.now()
    stopped = BulkJob.objects.filter(
        pk=job.pk, status__in=[JobStatus.QUEUED, JobStatus.RUNNING]
    ).update(status=JobStatus.CANCELLED, finished_at=now, message=_("Cancelled by its owner."))
    job.refresh_from_db()
    return bool(stopped)


@contextmanager
def _run_lock(job_id: int):
    """Whether this process may run the job now: one run of a job at a time (a
    redelivered message and the resume sweep may start a second). A session advisory
    lock on PostgreSQL, let go when the process dies; elsewhere always True."""
    if connection.vendor != "postgresql":
        yield True
        return
    lock = f"bulk-job:{job_id}"
    locked = try_advisory_lock(lock)
    try:
        yield locked
    finally:
        if locked:
            release_advisory_lock(lock)


class _Freeze:
    """The process's one `gc.freeze`, shared by the runs in its threads."""

    lock = threading.Lock()
    runs = 0  # runs inside the block now
    ours = False  # whether the first of them froze (a process frozen before: left so)


@contextmanager
def _long_lived_objects_left_alone():
    """Python's cycle collector leaves the objects that exist now (the process's modules,
    URL patterns, translations: most of its heap) out of its scans until the block ends
    (`gc.freeze`, then `gc.unfreeze`: nothing is kept from collection for longer). A
    chunk makes tens of thousands of objects, so a full collection comes every few
    chunks, and each one walked the whole heap: a fifth of a job's time. Runs in threads
    of one process share the freeze: the first freezes, the last unfreezes."""
    with _Freeze.lock:
        if _Freeze.runs == 0:
            _Freeze.ours = gc.get_freeze_count() == 0
            if _Freeze.ours:
                gc.freeze()
        _Freeze.runs += 1
    try:
        yield
    finally:
        with _Freeze.lock:
            _Freeze.runs -= 1
            if _Freeze.runs == 0 and _Freeze.ours:
                gc.unfreeze()


def bulk_job_run(*, job_id: int, seconds: float | None = None) -> bool:
    """Write the job's chunks not done yet, in order, for at most `seconds` (None: to the
    end). Returns True when chunks remain (the caller runs it again)."""
    with _run_lock(job_id) as locked:
        if not locked:
            return False
        with _long_lived_objects_left_alone():
            return _run(job_id, seconds)


def _run(job_id: int, seconds: float | None) -> bool:
    job = BulkJob.objects.select_related("owner").filter(pk=job_id).first()
    if job is None or job.is_finished:
        return False
    now = timezone.now()
    BulkJob.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, started_at=now, heartbeat_at=now
    )
    deadline = None if seconds is None else time.monotonic() + seconds
    write = bulk_writer(job.record_type, job.owner)
    grown = models_grown(job.record_type)
    while True:
        status = BulkJob.objects.filter(pk=job_id).values_list("status", flat=True).first()
        if status != JobStatus.RUNNING:
            return False  # cancelled (or gone) meanwhile
        chunk = (
            BulkJobChunk.objects.filter(job_id=job_id, done_at__isnull=True)
            .defer("results")
            .order_by("number")
            .first()
        )
        if chunk is None:
            _finish(job_id, JobStatus.DONE, "")
            return False
        if not job.owner.is_active:
            _finish(job_id, JobStatus.FAILED, _("Its owner's account was deactivated."))
            return False
        try:
            analyze_grown(grown)  # the chunks before may have doubled a table
        except DatabaseError:  # statistics are a help, never a reason to stop
            logger.warning("bulk job %s: no ANALYZE before chunk %s", job_id, chunk.number)
        try:
            # Item by item, each committed on its own as a single write would be: a chunk
            # in one transaction would hold the change counter's row lock, which every
            # write of the installation waits for, until its last item (seconds).
            with history_context(origin=Origin.API, user=job.owner):
                results = write_chunk(chunk, write)
        except DatabaseError:
            raise  # the database is away: the next run (redelivery, sweep) takes it up
        except Exception:  # noqa: BLE001 - a bug must stop the job, saying where
            logger.exception("bulk job %s failed at chunk %s", job_id, chunk.number)
            _finish(
                job_id,
                JobStatus.FAILED,
                _(
                    "An unexpected error stopped the job in the items from line %(line)d: "
                    "those before were written, some from that line on may have been. Send "
                    "them again from that line: each is written by its external ID, never "
                    "twice."
                )
                % {"line": chunk.first_line},
            )
            return False
        _chunk_done(job_id, chunk, results)
        note_write(job.owner_id)  # their dashboard counts what the chunk wrote
        if deadline is not None and time.monotonic() >= deadline:
            return True


def write_chunk(chunk: BulkJobChunk, write) -> list[dict]:
    """The chunk's items written; one result per item, in input order, with its line."""
    read = list(items_of(bytes(chunk.lines), chunk.first_line))
    items = [item for _line, item, _why in read if item is not None]
    written = iter(write(items) if items else [])
    results = []
    for line, item, why in read:
        if item is None:
            results.append(
                {
                    "line": line,
                    "external_id": None,
                    "status": ERROR,
                    "id": None,
                    "version": None,
                    "errors": {NON_FIELD: [why]},
                    "code": "invalid_json",
                }
            )
            continue
        result = next(written)
        result.pop("index", None)
        if result["status"] != ERROR:
            result.pop("errors", None)  # kept compact: only failures carry messages
        results.append({"line": line, **result})
    return results


def _chunk_done(job_id: int, chunk: BulkJobChunk, results: list[dict]) -> None:
    counts = dict.fromkeys(COUNTED.values(), 0)
    for result in results:
        counts[COUNTED[result["status"]]] += 1
    blob = "".join(
        json.dumps(result, ensure_ascii=False, separators=(",", ":")) + "\n" for result in results
    ).encode()
    now = timezone.now()
    with transaction.atomic():
        marked = BulkJobChunk.objects.filter(pk=chunk.pk, done_at__isnull=True).update(
            results=blob, done_at=now
        )
        if marked:
            BulkJob.objects.filter(pk=job_id).update(
                processed=F("processed") + len(results),
                chunks_done=F("chunks_done") + 1,
                heartbeat_at=now,
                **{name: F(name) + count for name, count in counts.items()},
            )


def _finish(job_id: int, status: str, message: str) -> None:
    BulkJob.objects.filter(pk=job_id, status__in=[JobStatus.QUEUED, JobStatus.RUNNING]).update(
        status=status, finished_at=timezone.now(), message=message
    )


def jobs_stalled(*, seconds: float) -> list[int]:
    """Unfinished jobs that have not moved for `seconds`: their run was lost (the nudge
    never reached a worker, or the worker died)."""
    cutoff = timezone.now() - datetime.timedelta(seconds=seconds)
    unfinished = BulkJob.objects.filter(status__in=[JobStatus.QUEUED, JobStatus.RUNNING])
    return list(unfinished.filter(heartbeat_at__lt=cutoff).values_list("pk", flat=True)) + list(
        unfinished.filter(heartbeat_at__isnull=True, created_at__lt=cutoff).values_list(
            "pk", flat=True
        )
    )


def bulk_jobs_purge(*, days: int) -> int:
    """Forget jobs (their input and results with them) that finished more than `days`
    ago. Returns how many."""
    cutoff = timezone.now() - datetime.timedelta(days=days)
    old = BulkJob.objects.filter(finished_at__lt=cutoff)
    count = 0
    for job_id in old.values_list("pk", flat=True).iterator():
        # A job at a time: its chunks can be hundreds of megabytes.
        BulkJob.objects.filter(pk=job_id).delete()
        count += 1
    return count
