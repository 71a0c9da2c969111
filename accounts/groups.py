"""Group customers (集团客户): the tree an account's `parent` makes, and the rule that keeps
it a tree.

An account may have a parent company, which may have one of its own, to any depth; a
move that would make a company part of itself (its own parent, or a parent that is one
of its own subsidiaries at any depth) is refused with the reason (`check_parent`, which
`account_create`, `account_update`, `account_merge` and the accounts import call).

The tree is read with one recursive query (`WITH RECURSIVE … UNION`, which SQLite and
PostgreSQL both run; `UNION` rather than `UNION ALL`, so even a cycle that slipped in by
hand ends), over every row — the recycle bin included, since a subsidiary keeps pointing
at a parent in the bin (shown "(in the recycle bin)") until the purge lets it go
(`release_subsidiaries`). What a person is shown of a group is decided by the caller,
from `accounts_visible_to`: seeing a parent never grants its subsidiaries.
"""

from dataclasses import dataclass

from django.db import connections, router
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext as _

from keyaccounts.exceptions import ApplicationError

from .models import Account

# The code of a refused parent: the API puts its message on the `parent` field, and the
# account form beside it.
PARENT_REFUSED = "parent_not_allowed"


def _names() -> tuple[str, str, str, str]:
    meta = Account._meta
    quote = connections[router.db_for_read(Account)].ops.quote_name
    return (
        quote(meta.db_table),
        quote(meta.pk.column),
        quote(meta.get_field("parent").column),
        quote(meta.get_field("deleted_at").column),
    )


def _descendants_sql(select: str = "id, parent_id, deleted_at") -> str:
    """`select` over `(id, parent_id, deleted_at)` of the root (one `%s`) and everything
    below it, any depth."""
    table, pk, parent, deleted = _names()
    return (
        f"WITH RECURSIVE grp(id, parent_id, deleted_at) AS ("
        f"SELECT {pk}, {parent}, {deleted} FROM {table} WHERE {pk} = %s "
        f"UNION SELECT a.{pk}, a.{parent}, a.{deleted} FROM {table} a "
        f"JOIN grp ON a.{parent} = grp.id"
        f") SELECT {select} FROM grp"
    )


def group_pairs(root_ids) -> list[tuple[int, int]]:
    """`(root, member)` for each of `root_ids` and each account at any depth below it
    (the root itself included; the recycle bin too). One query for all the roots."""
    root_ids = [int(pk) for pk in root_ids]
    if not root_ids:
        return []
    table, pk, parent, _deleted = _names()
    marks = ", ".join(["%s"] * len(root_ids))
    sql = (
        f"WITH RECURSIVE grp(root, id) AS ("
        f"SELECT {pk}, {pk} FROM {table} WHERE {pk} IN ({marks}) "
        f"UNION SELECT grp.root, a.{pk} FROM {table} a JOIN grp ON a.{parent} = grp.id"
        f") SELECT root, id FROM grp"
    )
    with connections[router.db_for_read(Account)].cursor() as cursor:
        cursor.execute(sql, root_ids)
        return [(row[0], row[1]) for row in cursor.fetchall()]


def _ancestors_sql() -> str:
    """`(id, parent_id)` of the account (one `%s`) and every company above it."""
    table, pk, parent, _deleted = _names()
    return (
        f"WITH RECURSIVE up(id, parent_id) AS ("
        f"SELECT {pk}, {parent} FROM {table} WHERE {pk} = %s "
        f"UNION SELECT a.{pk}, a.{parent} FROM {table} a JOIN up ON a.{pk} = up.parent_id"
        f") SELECT id, parent_id FROM up"
    )


def group_members(root_id: int) -> RawSQL:
    """The ids of `root_id` and all its subsidiaries at any depth, as a subquery for
    `filter(pk__in=…)`: the account list's `group` filter, no query of its own."""
    return RawSQL(_descendants_sql("id"), [root_id])


def account_parent_seen(user):
    """An expression for account rows: whether `user` sees the row's parent company
    (exports name it only then)."""
    from django.db.models import Exists, OuterRef

    from .selectors import accounts_visible_to

    return Exists(accounts_visible_to(user).filter(pk=OuterRef("parent_id")))


def _rows(sql: str, param: int) -> list[tuple]:
    with connections[router.db_for_read(Account)].cursor() as cursor:
        cursor.execute(sql, [param])
        return [tuple(row) for row in cursor.fetchall()]


def ancestor_ids(account_id: int) -> list[int]:
    """The companies above `account_id`, its parent first, the top last. One query."""
    parent_of = dict(_rows(_ancestors_sql(), account_id))  # (id, parent_id)
    chain, seen = [], {account_id}
    current = parent_of.get(account_id)
    while current is not None and current not in seen:
        chain.append(current)
        seen.add(current)
        current = parent_of.get(current)
    return chain


@dataclass
class Node:
    id: int
    parent_id: int | None  # None for the root, whatever is above it
    depth: int  # 0: the root
    live: bool  # False: in the recycle bin


def subtree(root_id: int) -> list[Node]:
    """`root_id` and everything below it, parents before their subsidiaries (depth
    first, by id among siblings). One query; the recycle bin included (`live`)."""
    rows = _rows(_descendants_sql(), root_id)
    children: dict[int | None, list[int]] = {}
    parent_of, live = {}, {}
    for pk, parent, deleted_at in rows:
        parent_of[pk], live[pk] = parent, deleted_at is None
        if pk != root_id:
            children.setdefault(parent, []).append(pk)
    if root_id not in parent_of:
        return []
    result, stack, seen = [], [(root_id, 0)], set()
    while stack:
        pk, depth = stack.pop()
        if pk in seen:
            continue
        seen.add(pk)
        result.append(Node(pk, parent_of[pk] if pk != root_id else None, depth, live[pk]))
        for child in sorted(children.get(pk, []), reverse=True):
            stack.append((child, depth + 1))
    return result


def descendant_ids(root_id: int) -> set[int]:
    """Every subsidiary of `root_id` at any depth (not itself), the bin included."""
    return {row[0] for row in _rows(_descendants_sql("id"), root_id)} - {root_id}


def check_parent(*, account: Account, by, visible=None) -> None:
    """Refuse `account.parent_id` (newly set: an unchanged parent is not asked about)
    with ApplicationError `parent_not_allowed`: an account the user cannot see or that
    does not exist (one message for both), one in the recycle bin, the account itself,
    or one of its own subsidiaries at any depth. `visible`: the user's visible accounts,
    the recycle bin included (`accounts_visible_to(by, deleted=True)`), when the caller
    has it. At most two queries."""
    from .selectors import accounts_visible_to

    if account.parent_id is None:
        return
    if visible is None:
        visible = accounts_visible_to(by, deleted=True)
    parent = visible.filter(pk=account.parent_id).only("pk", "name", "deleted_at").first()
    if parent is None:
        raise ApplicationError(
            _("No account you can see has this id: pick the parent company from your accounts."),
            code=PARENT_REFUSED,
        )
    if account.pk is not None and parent.pk == account.pk:
        raise ApplicationError(
            _("A company cannot be its own parent company: pick another account or none."),
            code=PARENT_REFUSED,
        )
    if parent.deleted_at is not None:
        raise ApplicationError(
            _("%(parent)s is in the recycle bin: restore it first, or pick another parent company.")
            % {"parent": parent.name},
            code=PARENT_REFUSED,
        )
    check_cycle(account=account, parent=parent)


def check_cycle(*, account: Account, parent: Account) -> None:
    """Refuse `parent` for `account` when it is one of the account's subsidiaries at any
    depth (ApplicationError `parent_not_allowed`, with the reason). One query. The admin
    asks this alone (a superuser sees every account)."""
    if account.pk is not None and parent.pk == account.pk:
        raise ApplicationError(
            _("A company cannot be its own parent company: pick another account or none."),
            code=PARENT_REFUSED,
        )
    if account.pk is not None and account.pk in ancestor_ids(parent.pk):
        raise ApplicationError(
            _(
                "%(parent)s is a subsidiary of %(account)s: a company cannot belong to its "
                "own subsidiary."
            )
            % {"parent": parent.name, "account": account.name},
            code=PARENT_REFUSED,
        )


def check_merge_parent(*, survivor: Account, merged: Account) -> None:
    """A merge makes one company of two: the survivor's parent (as chosen) may be
    neither of them nor below either of them, since the merged account's subsidiaries
    become the survivor's. ApplicationError `parent_not_allowed` otherwise."""
    parent = survivor.parent_id
    if parent is None:
        return
    below = descendant_ids(survivor.pk) | descendant_ids(merged.pk)
    if parent in {survivor.pk, merged.pk} or parent in below:
        raise ApplicationError(
            _(
                "After this merge the company would belong to itself or to one of its own "
                "subsidiaries: choose the other parent company, or none, first."
            ),
            code=PARENT_REFUSED,
        )


def release_subsidiaries(account_ids) -> int:
    """Before accounts are removed for good (the recycle bin's purge), their
    subsidiaries — live or in the bin — no longer belong to them: `parent` cleared with
    a new version and a history entry each. Returns how many were released."""
    account_ids = list(account_ids)
    released = 0
    for sub in Account.all_objects.filter(parent_id__in=account_ids).exclude(pk__in=account_ids):
        sub.parent = None
        sub.save()
        released += 1
    return released
