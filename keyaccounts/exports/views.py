"""Export downloads: `/export/<type>/?format=csv|xlsx&<the list's filters>` (the
dashboard's workbook is the dashboard's: `/dashboard/export/`, scoring/dashboard/; its
old address `/export/dashboard/` leads there).

The list pages link here with their own query string (`includes/export_buttons.html`),
so a file holds the rows the page lists, in its order, from the same selectors: nobody
exports what they could not see. CSV streams as it is read; XLSX is written to a
temporary file first (openpyxl's write-only mode, row by row) and then streamed.

A list of more than EXPORT_DIRECT_ROWS rows is not written while the browser waits: the
export link answers a page that offers to prepare it in the background (a POST to
`/export/files/`), and "Your exports" (`/export/files/`) lists the files asked for, to
download when ready (services.py). Only their owner sees them.
"""

from django.conf import settings
from django.contrib import messages
from django.http import (
    FileResponse,
    Http404,
    HttpResponse,
    JsonResponse,
    QueryDict,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from keyaccounts.exceptions import ApplicationError

from . import services
from .files import CSV, FORMATS, XLSX, csv_file, xlsx_file
from .models import ExportStatus
from .registry import TYPES
from .writers import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE

FORMAT_LABELS = {CSV: "CSV", XLSX: "Excel"}
FILES_SHOWN = 50  # the newest files on "Your exports" (older ones are purged within a day)

# Not filters: the export's own parameter and the list page's page number.
NOT_FILTERS = ("format", "page")


def xlsx_response(file, filename: str) -> FileResponse:
    response = FileResponse(
        file, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE
    )
    response["Cache-Control"] = "private, no-store"
    return response


@require_safe
def export_view(request, kind: str):
    export = TYPES.get(kind)
    if export is None:
        raise Http404
    extension = request.GET.get("format", XLSX)
    if extension not in FORMATS:
        # Said on the 400 page, not raised: a mistyped link is no error of the server's
        # to log with a traceback.
        problem = _("Choose the format csv or xlsx.")
        return render(request, "400.html", {"problem": problem}, status=400)
    data = request.GET.copy()
    for name in NOT_FILTERS:
        data.pop(name, None)
    listing = export.listing(request, data)
    if not services.fits_in_request(listing, user=request.user):
        # The file is asked for with the filters the list read (a value it left out, as
        # the page does, is not named on the file as if it chose its rows).
        applied = listing.applied(data).urlencode()
        context = {
            "export": export,
            "extension": extension,
            "format_label": FORMAT_LABELS[extension],
            "query": applied,
            "filters": filters_text(applied),
            "limit": settings.EXPORT_DIRECT_ROWS,
            "keep_hours": settings.EXPORT_FILE_KEEP_HOURS,
        }
        return render(request, "exports/prepare.html", context)
    filename = export.filename(extension, timezone.localdate())
    if extension == CSV:
        response = StreamingHttpResponse(
            csv_file(export, listing, user=request.user),
            content_type=CSV_CONTENT_TYPE,
            headers={"Content-Disposition": content_disposition_header(True, filename)},
        )
        response["Cache-Control"] = "private, no-store"
        return response
    return xlsx_response(xlsx_file(export, listing, user=request.user), filename)


def filters_text(query: str) -> str:
    """A file's filters as a reader can take them in: "grade=A, B · region=华东"."""
    data = QueryDict(query)
    return " · ".join(f"{name}={', '.join(data.getlist(name))}" for name in data)


def _own_file(request, pk: int):
    """The export file `pk` if the user asked for it; 404 otherwise (whoever else's)."""
    return get_object_or_404(services.export_files_of(request.user), pk=pk)


def files_view(request):
    """GET: the user's export files. POST: ask for one (kind, format, query)."""
    if request.method == "POST":
        return _request_file(request)
    if request.method not in ("GET", "HEAD"):
        return HttpResponse(status=405, headers={"Allow": "GET, HEAD, POST"})
    files = list(services.export_files_of(request.user)[:FILES_SHOWN])
    for file in files:
        export = TYPES.get(file.kind)
        file.label = export.label if export else file.kind
        file.format_label = FORMAT_LABELS.get(file.format, file.format)
        file.filters = filters_text(file.query)
    unfinished = [file.pk for file in files if file.is_unfinished]
    context = {
        "files": files,
        "unfinished": ",".join(map(str, unfinished)),
        "keep_hours": settings.EXPORT_FILE_KEEP_HOURS,
    }
    return render(request, "exports/files.html", context)


def _request_file(request):
    kind = request.POST.get("kind", "")
    extension = request.POST.get("format", "")
    try:
        file = services.export_file_request(
            by=request.user, kind=kind, extension=extension, query=request.POST.get("query", "")
        )
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("exports:files")
    messages.success(
        request,
        _("%(list)s as %(format)s is being prepared: it appears here when it is ready.")
        % {"list": TYPES[file.kind].label, "format": FORMAT_LABELS[file.format]},
    )
    return redirect("exports:files")


@require_safe
def files_status_view(request):
    """Which of the user's files are not ready yet (for the page's own refresh)."""
    unfinished = services.export_files_of(request.user).filter(
        status__in=(ExportStatus.QUEUED, ExportStatus.RUNNING)
    )
    return JsonResponse({"unfinished": sorted(unfinished.values_list("pk", flat=True))})


@require_safe
def file_download_view(request, pk: int):
    file = _own_file(request, pk)
    if file.status != ExportStatus.DONE:
        raise Http404
    export = TYPES.get(file.kind)
    filename = (
        export.filename(file.format, timezone.localdate(file.created_at))
        if export
        else f"{file.kind}.{file.format}"
    )
    response = StreamingHttpResponse(
        services.export_file_parts(file),
        content_type=CSV_CONTENT_TYPE if file.format == CSV else XLSX_CONTENT_TYPE,
        headers={"Content-Disposition": content_disposition_header(True, filename)},
    )
    response["Content-Length"] = str(file.size)
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
def file_delete_view(request, pk: int):
    file = _own_file(request, pk)
    services.export_file_delete(file=file, by=request.user)
    messages.success(request, _("The file was deleted."))
    return redirect("exports:files")
