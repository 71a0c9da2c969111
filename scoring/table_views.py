"""Pages of the risk-evaluation table (read by everyone, edited by managers) and of the
monthly sales (listed for the visible accounts, imported from CSV by managers).

An edit never changes a version in place: `services.scoring_model_new_version` saves
the next one and queues the rescoring of every account. The sales import checks the
whole file first (a preview, nothing saved), keeps the file in the session, and writes
it only when the manager confirms that preview.
"""

import base64
import datetime
import hashlib
import zlib

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Sum
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.selectors import accounts_visible_to, is_manager
from keyaccounts.exceptions import ApplicationError, VersionConflict

from . import services
from .models import Closing, MonthlySales, ScoringModel, Strength, bilingual
from .sales import (
    COLUMNS,
    ERROR,
    MAX_FILE_BYTES,
    SalesFileError,
    decode_sales_file,
    parse_sales_csv,
    sales_import,
)
from .table_forms import (
    FactorForm,
    FactorFormSet,
    MonthlySalesFilter,
    SalesUploadForm,
    TableForm,
    number_text,
)

VERSIONS_PAGE_SIZE = 25
SALES_PAGE_SIZE = 50
PREVIEW_ROWS = 500  # rows without errors shown in a preview; every error row is shown
UPLOAD_SESSION_KEY = "scoring:sales-upload"
UPLOAD_MAX_AGE = datetime.timedelta(hours=1)


def _require_manager(request) -> None:
    if not is_manager(request.user):
        raise PermissionDenied


def _display_number(value) -> str:
    text = number_text(value)
    whole, _dot, fraction = text.partition(".")
    sign = "-" if whole.startswith("-") else ""
    whole = f"{int(whole.lstrip('-')):,}"
    return f"{sign}{whole}{'.' + fraction if fraction else ''}"


def _table_context(model: ScoringModel) -> dict:
    """What the table page shows of `model`: its factors (with their share of the total
    weight and their bands), the grade grid and the thresholds. Three queries."""
    factors = list(model.factors.prefetch_related("bands").order_by("order", "pk"))
    total = sum(factor.weight for factor in factors)
    grid = services.grid_of(model)
    return {
        "model": model,
        "factors": [
            {
                "factor": factor,
                "label": bilingual(factor.label, factor.label_zh),
                "share": (factor.weight * 100 / total) if total else 0,
                "bands": [
                    (_display_number(band.min_value), band.points) for band in factor.bands.all()
                ],
            }
            for factor in factors
        ],
        "total_weight": total,
        "grid_columns": Strength.choices,
        "grid_rows": [
            (closing, label, [grid.get((closing, strength), "D") for strength in Strength.values])
            for closing, label in Closing.choices
        ],
    }


def table_view(request):
    model = services.active_model()
    context = _table_context(model)
    context["can_edit"] = is_manager(request.user)
    return render(request, "scoring/table.html", context)


def table_version_view(request, version: int):
    model = get_object_or_404(ScoringModel.objects.select_related("created_by"), version=version)
    context = _table_context(model)
    context["can_edit"] = is_manager(request.user)
    if not model.is_active:
        context["active"] = ScoringModel.objects.filter(is_active=True).first()
    return render(request, "scoring/table.html", context)


def table_versions_view(request):
    versions = ScoringModel.objects.select_related("created_by").order_by("-version")
    page = Paginator(versions, VERSIONS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "scoring/table_versions.html", {"page": page})


@require_http_methods(["GET", "POST"])
def table_edit_view(request):
    _require_manager(request)
    model = services.active_model()
    conflict = None
    if request.method == "POST":
        form = TableForm(request.POST)
        formset = FactorFormSet(request.POST, prefix="factors")
        if form.is_valid() and formset.is_valid():
            data = form.cleaned_data
            try:
                saved = services.scoring_model_new_version(
                    by=request.user,
                    base_version=data["base_version"],
                    note=data["note"],
                    strong_min=data["strong_min"],
                    fair_min=data["fair_min"],
                    soon_days=data["soon_days"],
                    factors=formset.factors(),
                    grid=form.grid(),
                )
            except VersionConflict as exc:
                conflict = (
                    ScoringModel.objects.select_related("created_by")
                    .filter(version=exc.current_version)
                    .first()
                )
                form.add_error(
                    None,
                    _(
                        "Version %(version)s of the table was saved while you were editing, "
                        "so your changes were not saved. Everything you typed is still below. "
                        "Compare it with version %(version)s first: saving this form again "
                        "makes your table, exactly as shown here, the next version, which "
                        "undoes what version %(version)s changed unless you redo it here."
                    )
                    % {"version": exc.current_version},
                )
                # Saving again is now a choice made knowing about the newer version.
                posted = form.data.copy()
                posted["base_version"] = exc.current_version
                form.data = posted
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    _(
                        "Version %(version)s of the table is saved and active. All accounts "
                        "are being rescored with it; their grades update in a few moments."
                    )
                    % {"version": saved.version},
                )
                return redirect("scoring:table")
    else:
        form = TableForm(initial=TableForm.initial_for(model, services.grid_of(model)))
        formset = FactorFormSet(
            initial=[FactorForm.initial_for(factor) for factor in services.factors_of(model)],
            prefix="factors",
        )
    return render(
        request,
        "scoring/table_edit.html",
        {
            "form": form,
            "formset": formset,
            "model": model,
            "conflict": conflict,
            "grid_columns": Strength.choices,
        },
    )


# --- monthly sales -----------------------------------------------------------------------


def sales_list_view(request):
    queryset = (
        MonthlySales.objects.filter(account__in=accounts_visible_to(request.user))
        .select_related("account")
        .order_by("-month", "account__name", "pk")
    )
    filterset = MonthlySalesFilter(request.GET or None, queryset=queryset)
    rows = filterset.qs if filterset.is_bound and filterset.is_valid() else queryset
    page = Paginator(rows, SALES_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "scoring/table_sales_list.html",
        {
            "filter": filterset,
            "page": page,
            "query": query.urlencode(),
            "total_sales": rows.order_by().aggregate(total=Sum("sales"))["total"] or 0,
            "can_import": is_manager(request.user),
        },
    )


def sales_template_view(request):
    # A BOM, so Excel opens the file as UTF-8 (Chinese names stay readable).
    response = HttpResponse("\ufeff" + ",".join(COLUMNS) + "\r\n", content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="monthly-sales-template.csv"'
    return response


def _upload_keep(request, name: str, text: str) -> str:
    """Keep the previewed file in the session (compressed); return its token, which the
    confirm button sends back so only the preview the manager saw is imported."""
    raw = text.encode("utf-8")
    token = hashlib.sha256(raw).hexdigest()[:32]
    request.session[UPLOAD_SESSION_KEY] = {
        "token": token,
        "name": name,
        "at": timezone.now().isoformat(),
        "data": base64.b64encode(zlib.compress(raw)).decode("ascii"),
    }
    return token


def _upload_take(request, token: str) -> tuple[str, str] | None:
    """(file name, text) of the kept upload if `token` names it and it is fresh; the
    session forgets it either way."""
    kept = request.session.pop(UPLOAD_SESSION_KEY, None)
    if not kept or not token or kept.get("token") != token:
        return None
    if timezone.now() - datetime.datetime.fromisoformat(kept["at"]) > UPLOAD_MAX_AGE:
        return None
    text = zlib.decompress(base64.b64decode(kept["data"])).decode("utf-8")
    return kept["name"], text


def _shown_rows(result) -> tuple[list, int]:
    """The rows a page lists (every error, the first PREVIEW_ROWS others) and how many
    rows without errors it leaves out."""
    shown, ok = [], 0
    for row in result.rows:
        if row.status == ERROR:
            shown.append(row)
        elif ok < PREVIEW_ROWS:
            shown.append(row)
            ok += 1
    return shown, len(result.rows) - len(shown)


@require_http_methods(["GET", "POST"])
def sales_import_view(request):
    _require_manager(request)
    form = SalesUploadForm()
    action = request.POST.get("action") if request.method == "POST" else None
    if action == "cancel":
        request.session.pop(UPLOAD_SESSION_KEY, None)
        return redirect("scoring:sales_import")
    if action == "confirm":
        kept = _upload_take(request, request.POST.get("token", ""))
        if kept is None:
            messages.error(
                request,
                _(
                    "There is no previewed file to import: it was imported already, another "
                    "file was uploaded since, or the preview is over an hour old. Upload the "
                    "file again."
                ),
            )
            return redirect("scoring:sales_import")
        name, text = kept
        result = sales_import(rows=parse_sales_csv(text), by=request.user, dry_run=False)
        shown, hidden = _shown_rows(result)
        return render(
            request,
            "scoring/table_sales_import.html",
            {"phase": "done", "name": name, "result": result, "shown": shown, "hidden": hidden},
        )
    if request.method == "POST":
        form = SalesUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                if upload.size > MAX_FILE_BYTES:
                    raise SalesFileError(
                        _(
                            "The file is %(size)s; at most %(limit)s can be imported at once. "
                            "Split it into smaller files."
                        )
                        % {
                            "size": filesizeformat(upload.size),
                            "limit": filesizeformat(MAX_FILE_BYTES),
                        }
                    )
                text = decode_sales_file(upload.read())
                rows = parse_sales_csv(text)
            except SalesFileError as exc:
                form.add_error("file", exc.message)
            else:
                result = sales_import(rows=rows, by=request.user, dry_run=True)
                token = _upload_keep(request, upload.name, text) if result.valid else ""
                shown, hidden = _shown_rows(result)
                return render(
                    request,
                    "scoring/table_sales_import.html",
                    {
                        "phase": "preview",
                        "name": upload.name,
                        "result": result,
                        "shown": shown,
                        "hidden": hidden,
                        "token": token,
                    },
                )
    return render(
        request,
        "scoring/table_sales_import.html",
        {"phase": "upload", "form": form, "columns": COLUMNS},
    )


urlpatterns = [
    path("scoring/table/", table_view, name="table"),
    path("scoring/table/versions/", table_versions_view, name="table_versions"),
    path("scoring/table/v<int:version>/", table_version_view, name="table_version"),
    path("scoring/table/edit/", table_edit_view, name="table_edit"),
    path("scoring/sales/", sales_list_view, name="sales_list"),
    path("scoring/sales/import/", sales_import_view, name="sales_import"),
    path("scoring/sales/template.csv", sales_template_view, name="sales_template"),
]
