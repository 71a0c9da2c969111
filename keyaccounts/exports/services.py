"""Exports prepared in the background (models.ExportFile): ask, run, download, delete,
purge.

The export view writes a list while the browser waits when it holds at most
`EXPORT_DIRECT_ROWS` rows (`fits_in_request`); a longer one is offered as a file to
prepare. `export_file_request` keeps what was asked for (the type, format, filters and
language) and queues `job_export_file` (keyaccounts/exports/tasks.py, the `jobs` queue)
when the transaction commits; without REDIS_URL Celery runs it inline. The run
(`export_file_run`) reads the rows as the user who asked, through the same registry,
selectors and visibility rule as the direct download, so the file holds exactly what the
download would have; it writes the file to a temporary file, then into the database in
parts, and marks it ready with its rows and size. A run that fails marks the file failed
and keeps no part. A message that comes back after its worker died runs it again from
the start (its parts so far are dropped first).

Only the owner sees a file (`export_files_of`): a file of someone else answers 404, as
an object a user may not see. Beat's hourly `export_files_purge` deletes files older
than `EXPORT_FILE_KEEP_HOURS`, and marks failed a file whose run stopped (running longer
than a task may, or waiting longer than `QUEUED_STALE_AFTER`).
"""

import datetime
import logging
import tempfile
from collections.abc import Iterator

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest, QueryDict
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from keyaccounts.db_router import replica_reads
from keyaccounts.exceptions import ApplicationError

from .files import FORMATS, write_file
from .listing import Listing
from .models import UNFINISHED, ExportFile, ExportFilePart, ExportStatus
from .registry import TYPES

logger = logging.getLogger(__name__)

EXPORT_FILE_TASK = "keyaccounts.exports.tasks.job_export_file"
PART_BYTES = 4 * 1024 * 1024  # a part of a finished file: what a download holds at once
MAX_UNFINISHED = 3  # files one user may have waiting or being prepared at once
# A file still waiting this long after it was asked for is given up (its message lost);
# one running longer than a task may run, by this margin, too (its worker was killed).
QUEUED_STALE_AFTER = datetime.timedelta(hours=6)
STALE_MARGIN = datetime.timedelta(minutes=5)


def fits_in_request(listing: Listing, *, user=None) -> bool:
    """Whether the list is short enough to write while the browser waits: at most
    EXPORT_DIRECT_ROWS rows. Counts no further than one row past the limit."""
    limit = settings.EXPORT_DIRECT_ROWS
    with replica_reads(user):
        return listing.rows.order_by().values("pk")[: limit + 1].count() <= limit


def export_files_of(user) -> QuerySet:
    """The export files `user` asked for, newest first (nobody sees anyone else's)."""
    return ExportFile.objects.filter(created_by=user).order_by("-pk")


def export_file_request(*, by, kind: str, extension: str, query: str = "") -> ExportFile:
    """Ask for the list `kind` as a file in `extension`, with the filters in `query` (a
    query string) and the active language; prepared by a worker. ApplicationError when
    the type or format is unknown or `by` already has MAX_UNFINISHED files in hand."""
    if kind not in TYPES:
        raise ApplicationError(_("There is no such export."), code="not_found")
    if extension not in FORMATS:
        raise ApplicationError(_("Choose the format csv or xlsx."))
    data = QueryDict(query, mutable=True)
    for name in ("format", "page"):
        data.pop(name, None)
    with transaction.atomic():
        # One user's requests one at a time: the count below then cannot be raced past.
        get_user_model().objects.select_for_update().filter(pk=by.pk).first()
        waiting = ExportFile.objects.filter(created_by=by, status__in=UNFINISHED).count()
        if waiting >= MAX_UNFINISHED:
            raise ApplicationError(
                _(
                    "You already have %(count)s files being prepared. Wait until one of "
                    "them is ready, then ask again."
                )
                % {"count": waiting},
                code="too_many",
            )
        file = ExportFile.objects.create(
            created_by=by,
            kind=kind,
            format=extension,
            query=data.urlencode(),
            language=translation.get_language() or settings.LANGUAGE_CODE,
        )
        transaction.on_commit(lambda: _publish(file.pk), robust=True)
    return file


def _publish(file_id: int) -> None:
    from keyaccounts.tasks import publish

    # By name: the task imports these services. False: the broker did not take it.
    if not publish(EXPORT_FILE_TASK, (file_id,)):
        file = ExportFile.objects.filter(pk=file_id).first()
        if file is None:
            return
        with translation.override(file.language):
            message = _("The background queue did not answer. Ask for the file again later.")
        ExportFile.objects.filter(pk=file_id, status=ExportStatus.QUEUED).update(
            status=ExportStatus.FAILED, finished_at=timezone.now(), message=message
        )


def export_file_run(*, file_id: int) -> ExportFile | None:
    """Prepare the file `file_id` (the task's work). None when there is no such file or
    it is finished already. Never raises for the list's own failures: they mark the file
    failed, with a message in the language it was asked in."""
    claimed = ExportFile.objects.filter(pk=file_id, status__in=UNFINISHED).update(
        status=ExportStatus.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return None
    file = ExportFile.objects.select_related("created_by").filter(pk=file_id).first()
    if file is None:  # deleted by its owner the moment it was claimed
        return None
    ExportFilePart.objects.filter(file=file).delete()  # a run before this one stopped
    export = TYPES.get(file.kind)
    user = file.created_by
    with translation.override(file.language):
        try:
            if export is None or not user.is_active:
                raise ApplicationError(_("This export can no longer be prepared."))
            rows, size = _write(file, export, user)
        except Exception as error:
            ExportFilePart.objects.filter(file=file).delete()
            if isinstance(error, ApplicationError):
                message = error.message
            else:
                logger.exception("Export file %s failed", file.pk)
                message = _("The file could not be prepared. Ask for it again later.")
            ExportFile.objects.filter(pk=file.pk).update(
                status=ExportStatus.FAILED, finished_at=timezone.now(), message=str(message)[:500]
            )
            return ExportFile.objects.filter(pk=file.pk).first()
    done = ExportFile.objects.filter(pk=file.pk, status=ExportStatus.RUNNING).update(
        status=ExportStatus.DONE, finished_at=timezone.now(), rows=rows, size=size, message=""
    )
    if not done:  # deleted, or given up as stopped (the purge), while it ran: no parts kept
        ExportFilePart.objects.filter(file_id=file.pk).delete()
    return ExportFile.objects.filter(pk=file.pk).first()  # None: deleted while it ran


def _write(file: ExportFile, export, user) -> tuple[int, int]:
    """Write the file as `user` sees the list, then keep it in parts. (rows, bytes)."""
    request = HttpRequest()
    request.user = user
    listing = export.listing(request, QueryDict(file.query))
    with tempfile.TemporaryFile(suffix=f".{file.format}") as target:
        rows = write_file(export, listing, file.format, target, user=user)
        size = target.tell()
        target.seek(0)
        index = 0
        while part := target.read(PART_BYTES):
            ExportFilePart.objects.create(file=file, index=index, content=part)
            index += 1
    return rows, size


def export_file_parts(file: ExportFile) -> Iterator[bytes]:
    """A ready file's bytes, a part at a time (one query per part: a download holds one
    part in memory, however large the file)."""
    indexes = list(
        ExportFilePart.objects.filter(file=file).order_by("index").values_list("index", flat=True)
    )
    for index in indexes:
        content = (
            ExportFilePart.objects.filter(file=file, index=index)
            .values_list("content", flat=True)
            .first()
        )
        if content is None:  # deleted while it was being sent
            return
        yield bytes(content)


def export_file_delete(*, file: ExportFile, by) -> None:
    """Delete `file` (its owner's action); a file being prepared is deleted too, and its
    run then finds nothing to write to."""
    if file.created_by_id != by.pk:
        raise ApplicationError(_("There is no such file."), code="not_found")
    file.delete()


def export_files_purge(*, now: datetime.datetime | None = None) -> int:
    """Delete the files asked for more than EXPORT_FILE_KEEP_HOURS ago, and mark failed
    those whose run stopped: running for longer than a task may run (CELERY_TASK_TIME_LIMIT,
    its worker killed it) or still waiting after QUEUED_STALE_AFTER. Returns how many
    were deleted."""
    now = now or timezone.now()
    ran_out = datetime.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT) + STALE_MARGIN
    stale = ExportFile.objects.filter(
        Q(status=ExportStatus.RUNNING, started_at__lt=now - ran_out)
        | Q(status=ExportStatus.QUEUED, created_at__lt=now - QUEUED_STALE_AFTER)
    )
    for file in stale.only("pk", "language", "status"):
        with translation.override(file.language):
            message = _("The file was not ready in time. Ask for it again, or narrow the list.")
        failed = ExportFile.objects.filter(pk=file.pk, status=file.status).update(
            status=ExportStatus.FAILED, finished_at=now, message=message
        )
        if failed:
            ExportFilePart.objects.filter(file_id=file.pk).delete()
    keep = datetime.timedelta(hours=settings.EXPORT_FILE_KEEP_HOURS)
    _deleted, by_model = ExportFile.objects.filter(created_at__lt=now - keep).delete()
    return by_model.get(ExportFile._meta.label, 0)
