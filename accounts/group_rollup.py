"""What the group page and the dashboard's "Groups" section read (集团客户).

A group is shown to a person from the highest company above the account that they can
see (or the account itself), down to every subsidiary at any depth. Only the accounts
they can see are named and rolled up (`accounts_visible_to`: seeing a parent never
grants its subsidiaries); the others are only counted. A visible account under one they
cannot see (or under one in the recycle bin) is shown under its nearest visible company
above it, marked. Every roll-up is over the visible live accounts of the group, from the
same rules as the dashboard's numbers (`scoring.dashboard.figures`, `scoring.selectors`,
`visits.selectors.accounts_with_lapsed_contact`), so a number and the account list it
links to (`?group=<root>`) agree. A constant number of queries, whatever the group's size.

It reads scoring's and visits' figures from `accounts`: one of the places that still reach
up (docs/architecture.md, "Imports point down"); the account page no longer does, its
parts from the apps above being sections (keyaccounts/sections.py).
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Exists, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce

from scoring.dashboard import figures as dashboard
from scoring.inputs import MONEY, amount_in_cny, open_opportunities
from scoring.models import MonthlySales
from scoring.selectors import sales_window, with_sales
from visits.selectors import accounts_with_lapsed_contact

from .groups import ancestor_ids, group_pairs, subtree
from .models import Account
from .selectors import account_list, accounts_visible_to

ZERO = Decimal(0)
GROUPS_SHOWN = 20  # the dashboard's "Groups": the largest by sales, the rest counted


@dataclass
class Row:
    account: Account
    depth: int  # as shown: under its nearest visible company above it
    under_hidden: bool  # its own parent is one the user cannot see, or in the bin
    lapsed: bool = False


@dataclass
class Group:
    root: Account
    rows: list[Row]
    hidden_count: int  # live subsidiaries the user cannot see
    above_hidden: bool  # the root belongs to a company the user cannot see
    ids: list[int] = field(default_factory=list)  # the visible live accounts


def group_tree(*, user, account: Account) -> Group:
    """The group `account` belongs to, as `user` may see it: the tree and the hidden
    count. Four queries (the chain above, which of it is visible, the tree, its rows)."""
    chain = [account.pk, *ancestor_ids(account.pk)]
    seen_above = set(
        accounts_visible_to(user).filter(pk__in=chain[1:]).values_list("pk", flat=True)
    )
    root_id = next((pk for pk in reversed(chain[1:]) if pk in seen_above), account.pk)
    nodes = subtree(root_id)
    accounts = {
        row.pk: row
        for row in with_sales(account_list(user=user).filter(pk__in=[node.id for node in nodes]))
    }
    # The nearest shown company at or above each node (parents come before subsidiaries).
    shown_above: dict[int, int | None] = {}
    depth: dict[int, int] = {}
    rows, hidden = [], 0
    for node in nodes:
        above = shown_above.get(node.parent_id) if node.parent_id is not None else None
        if node.id not in accounts:
            shown_above[node.id] = above
            if node.live:
                hidden += 1
            continue
        shown_above[node.id] = node.id
        depth[node.id] = 0 if above is None else depth[above] + 1
        rows.append(
            Row(
                account=accounts[node.id],
                depth=depth[node.id],
                under_hidden=node.parent_id is not None and node.parent_id not in accounts,
            )
        )
    root = accounts.get(root_id, account)
    return Group(
        root=root,
        rows=rows,
        hidden_count=hidden,
        above_hidden=root.parent_id is not None and root.parent_id not in seen_above,
        ids=[row.account.pk for row in rows],
    )


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
        entry["sales"] += seen[pk].sales_12m or ZERO
        entry["pipeline"] += seen[pk].pipeline or ZERO
    ordered = sorted(groups.values(), key=lambda g: (-g["sales"], g["root"].name, g["root"].pk))
    return {"groups": ordered[:GROUPS_SHOWN], "count": len(ordered)}
