"""What the group page and the dashboard's "Groups" section read (集团客户): the roll-ups
of a group's visible live accounts (`accounts.group_tree`), from the same rules as the
dashboard's numbers (`scoring.dashboard.figures`, `scoring.selectors`,
`visits.selectors.accounts_with_lapsed_contact`), so a number and the account list it
links to (`?group=<root>`) agree. A constant number of queries, whatever the group's size.
"""

import datetime
from decimal import Decimal

from django.db.models import Exists, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce

from accounts.group_tree import Group
from accounts.groups import group_pairs
from accounts.models import Account
from accounts.selectors import accounts_visible_to
from visits.selectors import accounts_with_lapsed_contact

from ..dashboard import figures as dashboard
from ..inputs import MONEY, amount_in_cny, open_opportunities
from ..models import MonthlySales
from ..selectors import sales_window, with_sales

ZERO = Decimal(0)
GROUPS_SHOWN = 20  # the dashboard's "Groups": the largest by sales, the rest counted


def monthly(ids: list[int], today: datetime.date) -> dict:
    """Sales and month-end receivables of the accounts `ids`, per month over the last 12
    months (`scoring.selectors.sales_window`), a month without rows as zero, oldest
    first; with the 12 months' sales total and the receivables now (each account's latest
    month recorded, as the account list's `receivables`). One query."""
    start, end = sales_window(today)
    found = {
        row["month"]: row
        for row in MonthlySales.objects.filter(account_id__in=ids, month__gte=start, month__lt=end)
        .order_by()
        .values("month")
        .annotate(sales=Sum("sales"), receivables=Sum("receivables"))
    }
    months, day = [], start
    while day < end:
        row = found.get(day, {})
        months.append(
            {
                "month": day,
                "key": f"{day:%Y-%m}",
                "sales": row.get("sales") or ZERO,
                "receivables": row.get("receivables") or ZERO,
            }
        )
        day = dashboard.add_months(day, 1)
    return {"months": months, "sales": sum((m["sales"] for m in months), ZERO)}


def group_rollup(group: Group, *, now: datetime.datetime, today: datetime.date) -> dict:
    """The roll-ups of a group's visible live accounts: monthly sales and receivables,
    open pipeline by grade × stage, grades, lapsed contact rhythm and buying centers
    without a decider or a coach. Five queries, whatever the group's size."""
    ids = group.ids
    accounts = Account.objects.filter(pk__in=ids)
    lapsed = set(
        accounts_with_lapsed_contact(user=None, now=now, accounts=accounts).values_list(
            "pk", flat=True
        )
    )
    for row in group.rows:
        row.lapsed = row.account.pk in lapsed
    grades = {grade: 0 for grade in dashboard.GRADE_KEYS}
    for row in group.rows:
        score = getattr(row.account, "score", None)
        grades[(score.grade if score is not None else "") or dashboard.UNGRADED] += 1
    sales = monthly(ids, today)
    sales["receivables"] = sum((row.account.receivables for row in group.rows), ZERO)
    return {
        "sales": sales,
        "pipeline": dashboard.pipeline(accounts, dashboard.open_stages()),
        "grades": [{"grade": grade, "count": n} for grade, n in grades.items()],
        "lapsed": [row.account for row in group.rows if row.lapsed],
        "no_decider": [row.account for row in group.rows if not row.account.has_decider],
        "no_coach": [row.account for row in group.rows if not row.account.has_coach],
    }


def groups_in_view(accounts, *, user, today: datetime.date) -> dict:
    """The dashboard's "Groups": the companies among `accounts` (the dashboard's
    filtered visible set) that have a live subsidiary and no parent in the user's view —
    the tops of the groups — each with its visible subsidiaries at any depth, their
    sales over the last 12 months and their open pipeline (CNY), the group's own
    account included; the `GROUPS_SHOWN` largest by sales, and how many there are.
    Four queries, whatever the number of groups and subsidiaries."""
    visible = accounts_visible_to(user)
    tops = (
        accounts.filter(Exists(Account.objects.filter(parent=OuterRef("pk"))))
        .filter(Q(parent__isnull=True) | ~Q(parent__in=visible.values("pk")))
        .order_by()
        .values_list("pk", flat=True)
    )
    tops = list(tops[:500])
    pairs = group_pairs(tops)
    members = {pk for _root, pk in pairs}
    deals = (
        open_opportunities()
        .filter(account=OuterRef("pk"))
        .order_by()
        .values("account")
        .annotate(total=Sum(amount_in_cny()))
        .values("total")
    )
    seen = {
        row.pk: row
        for row in with_sales(visible.filter(pk__in=members))
        .annotate(pipeline=Coalesce(Subquery(deals, output_field=MONEY), ZERO, output_field=MONEY))
        .only("pk", "name", "parent_id")
    }
    groups = {}
    for root, pk in pairs:
        if root not in seen:
            continue
        entry = groups.setdefault(
            root,
            {"root": seen[root], "subsidiaries": 0, "sales": ZERO, "pipeline": ZERO},
        )
        if pk not in seen:
            continue
        if pk != root:
            entry["subsidiaries"] += 1
        entry["accounts"] = entry.get("accounts", 0) + 1  # what its list shows: it and them
        entry["sales"] += seen[pk].sales_12m or ZERO
        entry["pipeline"] += seen[pk].pipeline or ZERO
    ordered = sorted(groups.values(), key=lambda g: (-g["sales"], g["root"].name, g["root"].pk))
    return {"groups": ordered[:GROUPS_SHOWN], "count": len(ordered)}
