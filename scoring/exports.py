"""Monthly sales as a spreadsheet: the sales list's rows (registered into
`keyaccounts.exports.registry` from `ready()`; plans and receivables register theirs)."""

from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from keyaccounts.exports import registry
from keyaccounts.exports.columns import ACCOUNT_NAME, Column, RecordColumns
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
        ACCOUNT_NAME,
        Column("sales"),
        Column("receivables"),
    ),
)


def monthly_sales_listing(request, data: QueryDict) -> Listing:
    queryset = monthly_sales_visible_to(request.user)
    filterset = MonthlySalesFilter(data or None, queryset=queryset, request=request)
    rows = filterset.qs
    return Listing(rows.order_by(*SALES_ORDER), [filterset])


def dashboard_deals_listing(request, data: QueryDict) -> Listing:
    """The open deals behind a number of the dashboard, as its deals page lists them."""
    from django.utils import timezone

    from .dashboard.deals import deals_behind_link
    from .dashboard.views import DEALS_ORDER

    found = deals_behind_link(request.user, data, today=timezone.localdate())
    rows = found.deals.select_related("account__score", "owner", "stage")
    return Listing(rows.order_by(*DEALS_ORDER), found.forms)


def analytics_deals_listing(request, data: QueryDict) -> Listing:
    """The deals behind a number of the win/loss analytics, as its deals page lists them."""
    from .analytics.deals import deals_behind_link
    from .analytics.views import DEALS_ORDER

    found = deals_behind_link(request.user, data)
    rows = found.deals.select_related("account__score", "owner", "stage")
    return Listing(rows.order_by(*DEALS_ORDER), found.forms)


def register() -> None:
    from opportunities.exports import DEALS

    registry.register(
        registry.ExportType(
            "monthly-sales", _("Monthly sales"), MONTHLY_SALES, monthly_sales_listing
        ),
        order=60,
    )
    # The deals behind a number: the deals' columns, the drill-down's rows.
    registry.register(
        registry.ExportType(
            "dashboard-deals", _("Deals behind a number"), DEALS, dashboard_deals_listing
        ),
        order=42,
    )
    registry.register(
        registry.ExportType(
            "analytics-deals", _("Deals behind a number"), DEALS, analytics_deals_listing
        ),
        order=44,
    )
