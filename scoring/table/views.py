"""Pages of the risk-evaluation table (read by everyone, edited by managers) and of the
monthly sales (listed for the visible accounts, imported by managers from the import
pages: `/import/monthly_sales/`, where the old address leads).

An edit never changes a version in place: `services.scoring_model_new_version` saves
the next one and queues the rescoring of every account.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Sum
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.selectors import is_manager
from keyaccounts.exceptions import ApplicationError, VersionConflict
from keyaccounts.paging import keyset_page

from .. import services
from ..models import Closing, ScoringModel, Strength, bilingual
from ..selectors import SALES_ORDER, monthly_sales_visible_to
from .forms import (
    FactorForm,
    FactorFormSet,
    MonthlySalesFilter,
    TableForm,
    number_text,
)

VERSIONS_PAGE_SIZE = 25
SALES_PAGE_SIZE = 50


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
            table = {
                "strong_min": data["strong_min"],
                "fair_min": data["fair_min"],
                "soon_days": data["soon_days"],
                "factors": formset.factors(),
                "grid": form.grid(),
            }
            if data["base_version"] == model.version and services.table_unchanged(model, **table):
                # Nothing to save: no version the same as the last, no rescoring of every
                # account (a note alone changes no table).
                messages.info(
                    request,
                    _("Nothing in the table changed: version %(version)s stays active.")
                    % {"version": model.version},
                )
                return redirect("scoring:table")
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
    queryset = monthly_sales_visible_to(request.user).select_related("account")
    filterset = MonthlySalesFilter(request.GET or None, queryset=queryset)
    rows = filterset.qs  # a value it cannot read is left out (the form says so)
    # The count and the sales total only up to 1,000 rows: beyond, "more than 1,000".
    page = keyset_page(
        request, rows, SALES_ORDER, size=SALES_PAGE_SIZE, totals={"sales": Sum("sales")}
    )
    return render(
        request,
        "scoring/table_sales_list.html",
        {
            "filter": filterset,
            "page": page,
            "query": page.query,
            "total_sales": page.totals.get("sales") or 0,
            "can_import": is_manager(request.user),
        },
    )


def sales_import_moved_view(request):
    """The old address of the monthly sales import: the import pages do it now (XLSX or
    CSV, a preview of every row, all rows or none)."""
    messages.info(
        request,
        _("Monthly sales are imported here now, from an XLSX or CSV file, like accounts."),
    )
    return redirect("imports:upload", "monthly_sales")


urlpatterns = [
    path("scoring/table/", table_view, name="table"),
    path("scoring/table/versions/", table_versions_view, name="table_versions"),
    path("scoring/table/v<int:version>/", table_version_view, name="table_version"),
    path("scoring/table/edit/", table_edit_view, name="table_edit"),
    path("scoring/sales/", sales_list_view, name="sales_list"),
    path("scoring/sales/import/", sales_import_moved_view),  # the old address
]
