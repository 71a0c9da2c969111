"""Monthly sales as a spreadsheet: the sales list's rows (registered into
`keyaccounts.exports.registry` from `ready()`; plans and receivables register theirs)."""

from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from keyaccounts.exports import registry
from keyaccounts.exports.columns import Column, RecordColumns
from keyaccounts.exports.listing import Listing

from .models import MonthlySales
from .selectors import SALES_ORDER, monthly_sales_visible_to
from .table.forms import MonthlySalesFilter

MONTHLY_SALES = RecordColumns(
    MonthlySales,
    (
        # The monthly sales list: month (its first day: a date, shown as 2026-03 in
        # XLSX), account, sales and receivables at the month's end (numbers) — what the
        # monthly sales import reads.
        Column("month", xlsx_format="yyyy-mm"),
        Column("account"),
        Column("sales"),
        Column("receivables"),
    ),
)


def monthly_sales_listing(request, data: QueryDict) -> Listing:
    queryset = monthly_sales_visible_to(request.user)
    filterset = MonthlySalesFilter(data or None, queryset=queryset, request=request)
    rows = filterset.qs
    return Listing(rows.order_by(*SALES_ORDER), [filterset])


def register() -> None:
    registry.register(
        registry.ExportType(
            "monthly-sales", _("Monthly sales"), MONTHLY_SALES, monthly_sales_listing
        ),
        order=60,
    )
