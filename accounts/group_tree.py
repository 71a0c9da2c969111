"""A group customer (集团客户) as a person may see it: from the highest company above the
account that they can see (or the account itself) down to every subsidiary at any depth.
Only the accounts they can see are named (`accounts_visible_to`: seeing a parent never
grants its subsidiaries); the others are only counted. A visible account under one they
cannot see (or under one in the recycle bin) is shown under its nearest visible company
above it, marked. The group page (`scoring/groups/`) and the API's `…/tree/` read it; the
tree's rules are `accounts.groups`.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from .groups import ancestor_ids, subtree
from .models import Account
from .selectors import account_list, accounts_visible_to


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


def group_tree(*, user, account: Account, read: Callable | None = None) -> Group:
    """The group `account` belongs to, as `user` may see it: the tree and the hidden
    count. Four queries (the chain above, which of it is visible, the tree, its rows).
    `read(rows)`: what the caller adds to the rows' queryset (the group page: each
    account's sales, `scoring.selectors.with_sales`)."""
    chain = [account.pk, *ancestor_ids(account.pk)]
    seen_above = set(
        accounts_visible_to(user).filter(pk__in=chain[1:]).values_list("pk", flat=True)
    )
    root_id = next((pk for pk in reversed(chain[1:]) if pk in seen_above), account.pk)
    nodes = subtree(root_id)
    rows_read = account_list(user=user).filter(pk__in=[node.id for node in nodes])
    accounts = {row.pk: row for row in (read(rows_read) if read else rows_read)}
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
