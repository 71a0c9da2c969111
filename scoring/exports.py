"""Monthly sales as a spreadsheet: the sales list's rows (registered into
`keyaccounts.exports.registry` from `ready()`; plans and receivables register theirs)."""

from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from keyaccounts.exports import registry
from keyaccounts.exports.columns import ACCOUNT_NAME, TEXT, Column, RecordColumns
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


def _follow_up_state(visit) -> str:
    """A visit behind a compliance figure, as its page says it: on time, late, or not
    followed up (`lag`: the selector's, visit to follow-up)."""
    from visits.selectors import FOLLOW_UP_WINDOW

    if visit.followed_up_on is None:
        return str(_("Not followed up"))
    return str(_("On time") if visit.lag <= FOLLOW_UP_WINDOW else _("Late"))


def compliance_visits_columns() -> RecordColumns:
    """The compliance page's columns first (the visit's day, the account, the rep, the
    follow-up's due date, when it was logged, on time or not), then the visit's."""
    from visits.exports import visits_with_first

    state = Column(
        "follow_up_state",
        label=_("Follow-up"),
        kind=TEXT,
        value=_follow_up_state,
        importable=False,
    )
    return visits_with_first(
        "occurred_at",
        "account",
        "account.name",
        "owner",
        "follow_up_due",
        "followed_up_on",
        extra=(state,),
    )


def compliance_visits_listing(request, data: QueryDict) -> Listing:
    """The visits behind a figure of the dashboard's follow-up compliance, as its page
    lists them."""
    from django.utils import timezone

    from .dashboard.compliance import visits_behind_link

    found = visits_behind_link(request.user, data, today=timezone.localdate())
    return Listing(found.visits, found.forms)


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
    # The visits behind a figure of the follow-up compliance.
    registry.register(
        registry.ExportType(
            "compliance-visits",
            _("Follow-up compliance"),
            compliance_visits_columns(),
            compliance_visits_listing,
        ),
        order=36,
    )
