"""What invoice receivables add to other apps' pages, registered from
ReceivablesConfig.ready().

The account page shows an account's invoices inside its "Money" section
(`scoring.money.sections.account_money_section`, which asks `account_invoices` here when the
account's money is aged from invoices): one section about money, not two. Nothing else
needs registering: the recycle bin, the history and the changes feed find the model by
itself (a VersionedModel), and the export and the API register where their kinds live.
"""

import datetime

from django.db.models import Count, Window
from django.urls import reverse

from .selectors import OPEN, RECEIVABLE_ORDER

SHOWN = 10  # the account page's open invoices, most overdue first


def account_invoices(account, *, today: datetime.date, limit: int = SHOWN) -> dict:
    """The account's open invoices for its page: the `limit` most overdue (earliest due
    first), each with its state in words, and how many are open in all. One query (the
    count is a window over the same rows)."""
    from .views import ageing_state

    rows = list(
        account.invoices.filter(OPEN)
        .annotate(open_count=Window(Count("pk")))
        .order_by(*RECEIVABLE_ORDER)[:limit]
    )
    for row in rows:
        row.state = ageing_state(row, today)
    return {
        "rows": rows,
        "count": rows[0].open_count if rows else 0,
        "list_url": reverse("receivables:list") + f"?account={account.pk}",
        "create_url": reverse("receivables:create", args=[account.pk]),
    }


def register() -> None:
    """Nothing to register yet (module docstring); kept as the app's one hook point."""
