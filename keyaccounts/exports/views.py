"""Export downloads: `/export/<type>/?format=csv|xlsx&<the list's filters>` (the
dashboard's workbook is the dashboard's: `/dashboard/export/`, scoring/dashboard/; its
old address `/export/dashboard/` leads there).

The list pages link here with their own query string (`includes/export_buttons.html`),
so a file holds the rows the page lists, in its order, from the same selectors: nobody
exports what they could not see. CSV streams as it is read; XLSX is written to a
temporary file first (openpyxl's write-only mode, row by row) and then streamed.
"""

from django.core.exceptions import BadRequest
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from .files import CSV, FORMATS, XLSX, csv_file, xlsx_file
from .registry import TYPES
from .writers import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE

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
        raise BadRequest(_("Choose the format csv or xlsx."))
    data = request.GET.copy()
    for name in NOT_FILTERS:
        data.pop(name, None)
    listing = export.listing(request, data)
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
