"""Invoice receivables as a spreadsheet (keyaccounts.exports.registry): the list page's
rows, with what is still open of each and how overdue it is on the day of the export."""

from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from keyaccounts.exports import registry
from keyaccounts.exports.columns import ACCOUNT_NAME, NUMBER, TEXT, Column, RecordColumns
from keyaccounts.exports.listing import Listing

from .filters import ReceivableFilter
from .models import Receivable
from .selectors import RECEIVABLE_ORDER, receivables_visible_to


def days_overdue(receivable) -> int | None:
    """How many days an open invoice is past its due date today (0: not yet due); None
    for a paid one."""
    if receivable.is_paid:
        return None
    return max((timezone.localdate() - receivable.due_on).days, 0)


def ageing_label(receivable) -> str | None:
    """The ageing bucket of an open invoice (scoring.money.risk.BUCKETS), None for a paid one."""
    from scoring.money.risk import BUCKETS, bucket_of

    days = days_overdue(receivable)
    if days is None:
        return None
    key = bucket_of(days)
    return str(next(label for bucket, label, _low, _high in BUCKETS if bucket == key))


RECEIVABLES = RecordColumns(
    Receivable,
    (
        # The invoice list: account, invoice number, issued, due, amount, paid, what is
        # still open and how overdue; then the rest of the invoice.
        Column("account"),
        ACCOUNT_NAME,
        Column("invoice_number"),
        Column("issued_on"),
        Column("due_on"),
        Column("amount"),
        Column("paid_amount"),
        Column(
            "open_amount",
            label=_("Open amount (CNY)"),  # 未回款金额
            kind=NUMBER,
            value=lambda receivable: receivable.open_amount,
            importable=False,
        ),
        Column(
            "days_overdue",
            label=_("Days overdue"),  # 逾期天数
            kind=NUMBER,
            value=days_overdue,
            importable=False,
        ),
        Column(
            "ageing",
            label=_("Ageing"),  # 账龄
            kind=TEXT,
            value=ageing_label,
            importable=False,
        ),
        Column("paid_on"),
        Column("note"),
        Column("recorded_by", importable=False),
        Column("external_id"),
    ),
)


def receivable_listing(request, data: QueryDict):

    queryset = receivables_visible_to(request.user)
    filterset = ReceivableFilter(data or None, queryset=queryset, request=request)
    rows = filterset.qs  # a value it cannot read is left out (the form says so)
    return Listing(rows.order_by(*RECEIVABLE_ORDER), [filterset])


def register() -> None:
    registry.register(
        registry.ExportType(
            "receivables",
            _("Invoice receivables"),  # 应收账款（发票）
            RECEIVABLES,
            receivable_listing,
        ),
        order=130,
    )
