"""Import jobs: upload, map, preview, confirm — the browser's flow and the command's.

A job moves uploaded → (map the columns) → queued → running → previewed (a dry run:
nothing saved) → queued → running → done, or failed (the real run met a row that cannot
go in, so nothing went in) or cancelled. A run is a Celery task
(`keyaccounts.tasks.import_run`, keyaccounts/imports/tasks.py: the `imports` queue),
published when the transaction that queued it commits; without REDIS_URL Celery runs it
inline. At most one job per record type is queued or running — the database's partial
unique index refuses a second, and the user is told whose import runs since when. A job
whose run stopped without a word (a worker killed) holds that place until `STALE_AFTER`
passes without a sign of life; then the next start marks it failed.

Progress while a run is under way is in the cache (a run's own transaction would hide
it in the database): `progress(job)` reads it, for the job page and its second tab.
"""

import datetime
import logging

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from keyaccounts.exceptions import ApplicationError
from keyaccounts.snapshots.services import note_write
from keyaccounts.tasks import after_commit

from .engine import ImportResult, mapping_problems, run_import
from .kinds import KINDS, Kind, kind_named
from .models import ACTIVE_STATUSES, ImportJob, ImportStatus
from .reading import cell_text, read_table, table_dumps, table_loads

logger = logging.getLogger(__name__)

STALE_AFTER = datetime.timedelta(minutes=15)
KEEP_FOR = datetime.timedelta(days=7)  # a user's finished jobs (and their files)


def kind_for(*, by, key: str) -> Kind:
    """The import type `key` if `by` may use it; ApplicationError not_found otherwise."""
    kind = kind_named(key)
    if kind is None or not kind.allowed(by):
        raise ApplicationError(_("There is no such import."), code="not_found")
    return kind


def read_job_table(job: ImportJob):
    """The job's table as the upload read it (`ImportJob.parsed`): the file is not
    parsed again. A job kept from before the table was stored reads its file."""
    if job.parsed:
        return table_loads(bytes(job.parsed))
    kind = KINDS[job.kind]
    return read_table(bytes(job.content), header_score=kind.header_index().score)


def import_job_upload(
    *, by, kind: str, filename: str, content: bytes, language: str = ""
) -> ImportJob:
    """Keep an uploaded file as a new job, its columns mapped where the headers are
    recognised. FileError (an ApplicationError) when the file cannot be read."""
    import_kind = kind_for(by=by, key=kind)
    kind = import_kind.key
    table = read_table(content, header_score=import_kind.header_index().score)
    ImportJob.objects.filter(created_by=by, created_at__lt=timezone.now() - KEEP_FOR).exclude(
        status__in=ACTIVE_STATUSES
    ).delete()
    job = ImportJob.objects.create(
        kind=kind,
        created_by=by,
        filename=filename[:255],
        content=content,
        parsed=table_dumps(table),
        language=language or translation.get_language() or "en",
        headers=table.headers,
        mapping=import_kind.header_index().recognise(table.headers),
        total=len(table.rows),
        result={
            "notices": table.notices,
            "header_row": table.header_row,
            "sheet": table.sheet,
            "samples": _samples(table),
        },
    )
    job.table = table  # what was read, for a run in this process (`import_job_run`)
    return job


def _samples(table, count: int = 3) -> list[list[str]]:
    """The first few values of each column, for the mapping page."""
    samples = [[] for _header in table.headers]
    for _number, cells in table.rows[:200]:
        for index, value in enumerate(cells):
            text = cell_text(value).strip()
            if text and len(samples[index]) < count:
                samples[index].append(text if len(text) <= 40 else text[:39] + "…")
    return samples


def import_job_map(
    *,
    job: ImportJob,
    by,
    mapping: list,
    confirm_duplicates: bool = False,
    dry_run: bool = True,
    enqueue: bool = True,
    language: str = "",
) -> ImportJob:
    """Set the column mapping and start the preview (a dry run; the command may import
    at once with `dry_run=False`, all or nothing as ever). `enqueue=False`: the caller
    runs the job itself (`import_job_run`). `language`: the problems' (the page's, when
    the mapping is changed in the other language than the upload's)."""
    _check_owner(job, by)
    _check_not_over(job)
    kind = KINDS[job.kind]
    mapping = [key or None for key in mapping][: len(job.headers)]
    mapping += [None] * (len(job.headers) - len(mapping))
    problems = mapping_problems(kind, mapping)
    if problems:
        raise ApplicationError(" ".join(problems), code="mapping")
    job.mapping = mapping
    job.confirm_duplicates = confirm_duplicates
    job.language = language or job.language
    job.save(update_fields=["mapping", "confirm_duplicates", "language"])
    return import_job_start(job=job, by=by, dry_run=dry_run, enqueue=enqueue)


def import_job_confirm(*, job: ImportJob, by, confirm_duplicates: bool | None = None) -> ImportJob:
    """Import a previewed file for real: all its rows or none."""
    _check_owner(job, by)
    _check_not_over(job)
    if job.status == ImportStatus.CANCELLED:
        raise ApplicationError(
            _("This import was cancelled: upload the file again to import it."),
            code="import_cancelled",
        )
    if job.status != ImportStatus.PREVIEWED:
        raise ApplicationError(
            _("Only a checked file can be imported: check it first."), code="not_previewed"
        )
    result = ImportResult.from_json(job.result)
    if confirm_duplicates is not None:
        job.confirm_duplicates = confirm_duplicates
        job.save(update_fields=["confirm_duplicates"])
    if result.count("error"):
        raise ApplicationError(
            _("Rows of this file have errors: correct them and upload the file again."),
            code="rows_rejected",
        )
    if result.count("duplicate") and not job.confirm_duplicates:
        raise ApplicationError(
            _(
                "Rows of this file look like records that exist. Tick “Import possible "
                "duplicates anyway”, or take those rows out of the file."
            ),
            code="possible_duplicate",
        )
    return import_job_start(job=job, by=by, dry_run=False)


def import_job_recheck(*, job: ImportJob, by, language: str) -> ImportJob:
    """Check a previewed file again, its problems written in `language` (they are kept in
    the language of the check: a person who reads the other sees them in it)."""
    _check_owner(job, by)
    _check_not_over(job)
    if job.status != ImportStatus.PREVIEWED:
        raise ApplicationError(_("Only a checked file can be checked again."), code="not_previewed")
    job.language = language
    job.save(update_fields=["language"])
    return import_job_start(job=job, by=by, dry_run=True)


def import_job_cancel(*, job: ImportJob, by) -> ImportJob:
    """Cancel a file not imported yet; one imported, or at work, is refused with why
    (cancelled or failed already: nothing to do)."""
    _check_owner(job, by)
    _check_not_over(job)
    if job.status in (ImportStatus.UPLOADED, ImportStatus.PREVIEWED):
        job.status = ImportStatus.CANCELLED
        job.save(update_fields=["status"])
    return job


def _check_not_over(job: ImportJob) -> None:
    """Refuse to map, confirm or cancel a job at work or imported (a second click, the
    Back button's page): said as it is, never "nothing was saved" of rows that were."""
    if job.status in ACTIVE_STATUSES:
        raise ApplicationError(
            _("This import is running already: wait for it to finish."), code="import_running"
        )
    if job.status == ImportStatus.DONE:
        raise ApplicationError(
            _(
                "This file was imported already: its records are saved. To take one "
                "back, move it to the recycle bin."
            ),
            code="import_done",
        )


def running_import(kind: str) -> ImportJob | None:
    return ImportJob.objects.filter(kind=kind, status__in=ACTIVE_STATUSES).first()


def import_job_start(*, job: ImportJob, by, dry_run: bool, enqueue: bool = True) -> ImportJob:
    """Queue a run of the job, refused (code `import_running`) while another import of
    its type is queued or running. The task is published when this commits."""
    _release_stale(job.kind)
    try:
        with transaction.atomic():
            updated = ImportJob.objects.filter(
                pk=job.pk, status__in=[ImportStatus.UPLOADED, ImportStatus.PREVIEWED]
            ).update(
                status=ImportStatus.QUEUED,
                dry_run=dry_run,
                processed=0,
                started_at=None,
                finished_at=None,
            )
    except IntegrityError:
        raise _running_error(job.kind) from None
    if not updated:
        raise ApplicationError(_("This import is running already."), code="import_running")
    job.refresh_from_db()
    progress_set(job.pk, 0, job.total)
    if enqueue:
        after_commit(lambda: _publish(job.pk))
    return job


def _running_error(kind: str) -> ApplicationError:
    running = running_import(kind)
    if running is None:
        return ApplicationError(
            _("Another import of this type has just started; try again when it ends."),
            code="import_running",
        )
    return ApplicationError(
        _(
            "An import of %(type)s is running, started by %(user)s at %(time)s; try again "
            "when it ends."
        )
        % {
            "type": str(KINDS[kind].label).lower(),
            "user": running.created_by,
            "time": date_format(
                timezone.localtime(running.started_at or running.created_at), "Y-m-d H:i"
            ),
        },
        code="import_running",
    )


def _publish(job_id: int) -> None:
    from keyaccounts.tasks import publish

    # By name: the task (imports/tasks.py) imports these services. False: the broker
    # is down; say so on the job.
    if not publish("keyaccounts.tasks.import_run", (job_id,)):
        ImportJob.objects.filter(pk=job_id, status=ImportStatus.QUEUED).update(
            status=ImportStatus.FAILED,
            finished_at=timezone.now(),
            result={"error": _("The background queue did not answer. Try again in a while.")},
        )


def _release_stale(kind: str) -> None:
    """Mark failed an active job of `kind` that shows no sign of life (no progress in the
    cache, started longer than STALE_AFTER ago): its worker stopped without finishing."""
    for job in ImportJob.objects.filter(kind=kind, status__in=ACTIVE_STATUSES):
        since = job.started_at or job.created_at
        if progress_get(job.pk) is None and timezone.now() - since > STALE_AFTER:
            ImportJob.objects.filter(pk=job.pk, status=job.status).update(
                status=ImportStatus.FAILED,
                finished_at=timezone.now(),
                result={**job.result, "error": _("The import stopped without finishing.")},
            )


def _check_owner(job: ImportJob, by) -> None:
    if job.created_by_id != by.pk:
        raise ApplicationError(_("There is no such import."), code="not_found")


def import_job_run(*, job_id: int, table=None, resume: bool = False) -> ImportJob | None:
    """Run a queued job (the task's body; the command calls it directly): read the file,
    import it — a dry run or for real — and store the result. Returns the job, or None
    when it was not queued (already run, cancelled). The rows are those the upload read
    (`read_job_table`: the file is not parsed again); `table`: that table itself, when
    the run is in the same process (the command).

    `resume`: a job left "running" is run again too. The task passes it: its message comes
    back only when the worker that ran it died (a live first run keeps the message's
    lock, `keyaccounts.tasks.Task`), and running an import again is safe — its rows go in
    in one transaction, and a file already in matches and changes nothing."""
    claimable = [ImportStatus.QUEUED, *([ImportStatus.RUNNING] if resume else [])]
    claimed = ImportJob.objects.filter(pk=job_id, status__in=claimable).update(
        status=ImportStatus.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return None
    jobs = ImportJob.objects.select_related("created_by").defer("content")
    job = (jobs.defer("parsed") if table is not None else jobs).get(pk=job_id)
    kind = KINDS[job.kind]

    def progress(done: int, total: int) -> None:
        progress_set(job.pk, done, total)

    with translation.override(job.language):
        try:
            table = table or read_job_table(job)
            result = run_import(
                kind=kind,
                table=table,
                mapping=job.mapping,
                by=job.created_by,
                dry_run=job.dry_run,
                confirm_duplicates=job.confirm_duplicates,
                progress=progress,
            )
        except ApplicationError as exc:
            status, data = ImportStatus.FAILED, {**job.result, "error": exc.message}
        except Exception:
            logger.exception("import job %s failed", job.pk)
            status = ImportStatus.FAILED
            data = {**job.result, "error": _("The import failed unexpectedly. Nothing was saved.")}
        else:
            data = {**job.result, **result.as_json()}
            data.pop("error", None)
            if job.dry_run:
                status = ImportStatus.PREVIEWED
            else:
                status = ImportStatus.DONE if result.ok else ImportStatus.FAILED
    job.status = status
    job.result = data
    job.processed = job.total if status != ImportStatus.FAILED else job.processed
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "result", "processed", "finished_at"])
    progress_clear(job.pk)
    if status == ImportStatus.DONE:
        note_write(job.created_by_id)  # their dashboard counts what the import wrote
    return job


# --- progress, in the cache --------------------------------------------------------------

PROGRESS_TTL = 10 * 60  # seconds: a run that says nothing for this long is stale


def _progress_key(job_id: int) -> str:
    return f"keyaccounts:import-progress:{job_id}"


def progress_set(job_id: int, done: int, total: int) -> None:
    try:
        cache.set(_progress_key(job_id), {"done": done, "total": total}, PROGRESS_TTL)
    except Exception:  # noqa: BLE001 - progress is a courtesy; the import goes on
        logger.warning("could not store import progress", exc_info=True)


def progress_get(job_id: int) -> dict | None:
    try:
        return cache.get(_progress_key(job_id))
    except Exception:  # noqa: BLE001
        return None


def progress_clear(job_id: int) -> None:
    try:
        cache.delete(_progress_key(job_id))
    except Exception:  # noqa: BLE001
        pass


def progress(job: ImportJob) -> dict:
    """{"status", "done", "total", "percent", "finished"} of a job, for its page."""
    done, total = job.processed, job.total
    if job.status in ACTIVE_STATUSES:
        state = progress_get(job.pk) or {}
        done, total = state.get("done", 0), state.get("total", job.total) or job.total
    percent = int(done * 100 / total) if total else 0
    return {
        "status": job.status,
        "status_label": str(job.get_status_display()),
        "done": done,
        "total": total,
        "percent": percent,
        "finished": job.status not in ACTIVE_STATUSES,
    }
