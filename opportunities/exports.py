"""Deals as a spreadsheet: the pipeline board's cards (registered into
`keyaccounts.exports.registry` from `ready()`)."""

import datetime

from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from keyaccounts.exports import registry
from keyaccounts.exports.columns import ACCOUNT_NAME, Column, RecordColumns
from keyaccounts.exports.listing import Listing

from .filters import OpportunityFilter
from .models import Opportunity
from .selectors import board_deals, opportunities_visible_to
from .views import CLOSED_RECENT_DAYS

DEALS = RecordColumns(
    Opportunity,
    (
        # A card on the board: its column (stage), name, account and its grade, amount,
        # probability, expected close date, owner.
        Column("stage"),
        Column("name"),
        Column("account"),
        ACCOUNT_NAME,
        Column("account.score.grade", label=_("Account grade"), importable=False),
        Column("amount"),
        Column("currency"),
        Column("discount_percent"),  # Discount (%) · 折扣 (%)
        Column("probability"),
        Column("probability_is_custom"),
        Column("expected_close_date"),
        Column("owner"),
        Column("kind"),
        Column("tender_published_on"),
        Column("bid_submitted_on"),
        Column("bid_opened_on"),
        Column("bid_result"),
        Column("close_reason"),
        Column("closed_on"),
        Column("description"),
        Column("external_id"),
    ),
)


def deal_listing(request, data: QueryDict) -> Listing:
    visible = opportunities_visible_to(request.user)
    filterset = OpportunityFilter(data or None, queryset=visible, request=request)
    deals = filterset.qs
    closed_since = (
        None
        if filterset.month_chosen()
        else timezone.localdate() - datetime.timedelta(days=CLOSED_RECENT_DAYS)
    )
    rows = board_deals(deals, closed_since=closed_since)
    return Listing(rows.order_by("stage__order", "expected_close_date", "pk"), [filterset])


def register() -> None:
    registry.register(registry.ExportType("deals", _("Deals"), DEALS, deal_listing), order=40)
