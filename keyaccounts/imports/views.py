"""The import pages (/import/): pick a type, upload, map the columns, check the preview,
confirm, see the result; templates and rejected rows to download.

A job is its uploader's: anyone else's job answers 404 (`import_job_get`). Every step
goes through `services`; a run happens in the background when a broker is configured,
and the job page shows its progress (from the cache) to every tab that opens it.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from keyaccounts.exceptions import ApplicationError

from . import services
from .engine import STATUSES, ImportResult
from .files import XLSX, rejected_rows, template_filename, template_workbook
from .forms import MappingForm, UploadForm
from .kinds import KINDS, kinds_for
from .models import ImportJob, ImportStatus
from .selectors import import_job_get, import_jobs_of

ROWS_PER_PAGE = 100


def _kind(request, key: str):
    try:
        return services.kind_for(by=request.user, key=key)
    except ApplicationError:
        raise Http404 from None


def _job(request, pk: int) -> ImportJob:
    try:
        return import_job_get(user=request.user, pk=pk)
    except ImportJob.DoesNotExist:
        raise Http404 from None


@require_GET
def index_view(request):
    return render(
        request,
        "imports/index.html",
        {"kinds": kinds_for(request.user), "jobs": import_jobs_of(request.user)[:10]},
    )


def upload_view(request, kind: str):
    import_kind = _kind(request, kind)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = services.import_job_upload(
                by=request.user,
                kind=import_kind.key,
                filename=upload.name,
                content=upload.read(),
                language=get_language(),
            )
        except ApplicationError as exc:
            form.add_error("file", exc.message)
        else:
            return redirect("imports:job", job.pk)
    running = services.running_import(import_kind.key)
    return render(
        request,
        "imports/upload.html",
        {
            "kind": import_kind,
            "form": form,
            "columns": import_kind.columns(),
            "running": running,
        },
    )


@require_GET
def template_view(request, kind: str):
    import_kind = _kind(request, kind)
    language = _language_code(request.GET.get("language") or get_language())
    content = template_workbook(kind=import_kind, user=request.user, language=language)
    return _download(content, XLSX, template_filename(import_kind, language))


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def job_view(request, pk: int):
    job = _job(request, pk)
    kind = KINDS[job.kind]
    context = {"job": job, "kind": kind, "progress": services.progress(job)}
    remap = request.GET.get("remap") == "1" and job.status == ImportStatus.PREVIEWED
    if job.status == ImportStatus.UPLOADED or remap:
        context["form"] = _mapping_form(job, kind)
        return render(request, "imports/map.html", context)
    if job.status in (ImportStatus.PREVIEWED, ImportStatus.DONE, ImportStatus.FAILED):
        context.update(_result_context(request, job))
    return render(request, "imports/job.html", context)


def _mapping_form(job: ImportJob, kind, data=None) -> MappingForm:
    return MappingForm(
        data,
        kind=kind,
        headers=job.headers,
        mapping=job.mapping,
        samples=job.result.get("samples", []),
        initial={"confirm_duplicates": job.confirm_duplicates},
    )


def _result_context(request, job: ImportJob) -> dict:
    result = ImportResult.from_json(job.result)
    show = request.GET.get("show", "")
    rows = result.rows if show != "problems" else result.rejected
    page = Paginator(rows, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    query = f"show={show}" if show else ""
    return {
        "result": result,
        "counts": result.counts,
        "statuses": STATUSES,
        "page": page,
        "query": query,
        "show": show,
        "error": job.result.get("error", ""),
        # Problems are written when the file is checked, in that language.
        "other_language": (
            job.language if result.rejected and job.language != _page_language() else None
        ),
        "has_rows": bool(result.rows),
        "done": job.status == ImportStatus.DONE,
    }


@require_POST
def map_view(request, pk: int):
    job = _job(request, pk)
    kind = KINDS[job.kind]
    form = _mapping_form(job, kind, request.POST)
    if form.is_valid():
        try:
            services.import_job_map(
                job=job,
                by=request.user,
                mapping=form.mapping(),
                confirm_duplicates=form.cleaned_data["confirm_duplicates"],
                language=_page_language(),
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("imports:job", job.pk)
    return render(
        request,
        "imports/map.html",
        {"job": job, "kind": kind, "form": form, "progress": services.progress(job)},
        status=400 if form.errors else 200,
    )


@require_POST
def confirm_view(request, pk: int):
    job = _job(request, pk)
    try:
        services.import_job_confirm(
            job=job,
            by=request.user,
            confirm_duplicates=bool(request.POST.get("confirm_duplicates")),
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("imports:job", job.pk)


@require_POST
def recheck_view(request, pk: int):
    job = _job(request, pk)
    try:
        services.import_job_recheck(job=job, by=request.user, language=_page_language())
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("imports:job", job.pk)


def _page_language() -> str:
    return _language_code(get_language())


def _language_code(language: str | None) -> str:
    """The import's own code of a language: "zh-hans" for any Chinese, else "en"."""
    return "zh-hans" if (language or "").lower().startswith("zh") else "en"


@require_POST
def cancel_view(request, pk: int):
    job = _job(request, pk)
    try:
        services.import_job_cancel(job=job, by=request.user)
    except ApplicationError as exc:  # imported, or at work: said on the job's page
        messages.error(request, exc.message)
        return redirect("imports:job", job.pk)
    messages.info(request, _("The import was cancelled: nothing was saved."))
    return redirect("imports:upload", job.kind)


@require_GET
def progress_view(request, pk: int):
    job = _job(request, pk)
    state = services.progress(job)
    state["url"] = reverse("imports:job", args=[job.pk])
    state["text"] = _("%(done)s of %(total)s rows") % {
        "done": state["done"],
        "total": state["total"],
    }
    return JsonResponse(state)


@require_GET
def rejected_view(request, pk: int, fmt: str):
    job = _job(request, pk)
    result = ImportResult.from_json(job.result)
    if fmt not in ("xlsx", "csv") or not result.rejected:
        raise Http404
    try:
        table = services.read_job_table(job)
    except ApplicationError:
        raise Http404 from None
    content, content_type, filename = rejected_rows(job=job, table=table, fmt=fmt)
    return _download(content, content_type, filename)
