"""The pipeline board's totals for someone who sees the whole company, kept.

A board's column totals are a sum over the deals its viewer sees. For a rep or a
manager that is a few thousand deals read through their accounts (`selectors.
board_reading`); for a superuser it is every deal of the company, summed again on every
view (143 ms at 200,000 deals, most of it adding up numerics: docs/benchmarks.md). Here
those sums are kept, per stage, currency and closing day (`BoardTotal`), and brought up
to date from the change feed when the board is shown: every write of a deal takes a
change number (`keyaccounts.changeseq.next_change_seq`, the sync contract: its move to
the recycle bin with its account too), and so does a deletion outright (its tombstone).
`refresh` reads what changed since the change number the totals are counted to
(`BoardTotalsState.seq`), takes each changed deal out as it was counted
(`BoardCounted`) and adds it as it is now. No write
path has to remember the totals, and counting a deal again is harmless (a deal counted
as it is changes nothing), so a refresh that overlaps a write, or is repeated, is
still right.

What is counted is what `selectors.opportunities_visible_to(superuser)` shows: the live
deals of live accounts. The board then leaves out won and lost deals closed before its
window (`selectors.board_deals`) by the closing day the totals are kept by.

`rebuild` counts everything again from the deals (the command `rebuild_board_totals`,
a new feed epoch, or more than `REBUILD_ABOVE` changes at once); `differences` compares
the kept totals with the deals summed now (`rebuild_board_totals --check`).
"""

import datetime
from collections import defaultdict
from decimal import Decimal

from django.db import connections, router, transaction
from django.db.models import Count, Sum
from django.utils import timezone

from accounts.models import Account
from keyaccounts.feed.reader import feed_state, last_committed_change
from keyaccounts.models import Tombstone

from .models import BoardCounted, BoardTotal, BoardTotalsState, Opportunity, Stage
from .selectors import WEIGHTED

# More changed deals than this at once (an import, a bulk job) are counted by `rebuild`,
# set-based, rather than deal by deal.
REBUILD_ABOVE = 20_000

DEAL = Opportunity._meta.label_lower

# A deal as counted: (stage id, currency, closing day, amount, amount × probability).
Counted = tuple[int, str, datetime.date | None, Decimal, Decimal]


def _using() -> str:
    """The primary: the totals are written where they are read, never on a replica."""
    return router.db_for_write(BoardTotal)


def _counted_now(deal_ids, *, using: str) -> dict[int, Counted]:
    """The deals of `deal_ids` that count (live, of a live account), as they are now."""
    rows = (
        Opportunity.objects.using(using)
        .filter(pk__in=deal_ids, account__deleted_at__isnull=True)
        .values_list("pk", "stage_id", "currency", "closed_on", "amount", "probability")
    )
    return {
        pk: (stage, currency, closed, amount, amount * probability)
        for pk, stage, currency, closed, amount, probability in rows
    }


def _changed_deal_ids(seq: int, *, using: str) -> set[int] | None:
    """The deals whose count may have changed after change number `seq`: those written
    since and those deleted outright since (their tombstones). An account's deals go to
    the recycle bin with it and come back with it, each taking a change number of its
    own (`accounts.services.account_delete`, `keyaccounts.recyclebin`), as does a deal
    moved by a merge. None: more than `REBUILD_ABOVE`."""
    limit = REBUILD_ABOVE + 1
    written = Opportunity.all_objects.using(using).filter(change_seq__gt=seq)
    erased = Tombstone.objects.using(using).filter(change_seq__gt=seq, model=DEAL)
    ids = set(written.values_list("pk", flat=True)[:limit])
    ids |= set(erased.values_list("object_id", flat=True)[:limit])
    return None if len(ids) > REBUILD_ABOVE else ids


def _state(using: str) -> BoardTotalsState:
    """The state row, locked until the transaction ends: one refresh at a time."""
    rows = BoardTotalsState.objects.using(using)
    state = rows.select_for_update().filter(pk=1).first()
    if state is None:  # never counted yet (its epoch is none: the caller counts all)
        rows.bulk_create([BoardTotalsState(pk=1)], ignore_conflicts=True)
        state = rows.select_for_update().get(pk=1)
    return state


def refresh(*, using: str | None = None) -> int:
    """Bring the kept totals up to the last committed change; the number of deals
    counted again (all of them after a rebuild). One indexed probe when nothing
    changed."""
    using = using or _using()
    with transaction.atomic(using=using):
        state = _state(using)
        if state.epoch != feed_state(using).epoch:
            return _rebuild(state, using=using)
        horizon = last_committed_change(using)
        if horizon <= state.seq:
            return 0
        ids = _changed_deal_ids(state.seq, using=using)
        if ids is None:
            return _rebuild(state, using=using)
        _count_again(ids, using=using)
        state.seq = horizon
        state.save(using=using, update_fields=["seq"])
        return len(ids)


def _count_again(ids: set[int], *, using: str) -> None:
    """Take each deal of `ids` out of the totals as it was counted and add it as it is."""
    if not ids:
        return
    kept_rows = BoardCounted.objects.using(using)
    before: dict[int, Counted] = {
        pk: (stage, currency, closed, amount, weighted)
        for pk, stage, currency, closed, amount, weighted in kept_rows.filter(
            deal_id__in=ids
        ).values_list("deal_id", "stage_id", "currency", "closed_on", "amount", "weighted")
    }
    now = _counted_now(ids, using=using)
    delta: dict[tuple, list] = defaultdict(lambda: [0, Decimal(0), Decimal(0)])
    gone, counted = [], []
    for pk in ids:
        old, new = before.get(pk), now.get(pk)
        if old == new:
            continue
        if old is not None:
            change = delta[old[:3]]
            change[0] -= 1
            change[1] -= old[3]
            change[2] -= old[4]
        if new is None:
            gone.append(pk)
            continue
        change = delta[new[:3]]
        change[0] += 1
        change[1] += new[3]
        change[2] += new[4]
        counted.append(BoardCounted(pk, *new))
    if gone:
        kept_rows.filter(deal_id__in=gone).delete()
    if counted:
        kept_rows.bulk_create(
            counted,
            update_conflicts=True,
            unique_fields=["deal_id"],
            update_fields=["stage_id", "currency", "closed_on", "amount", "weighted"],
        )
    _add(delta, using=using)


def _add(delta: dict[tuple, list], *, using: str) -> None:
    """Add the (deals, total, weighted) of each (stage, currency, closing day) in `delta`
    to its kept row; a row left with no deal goes."""
    delta = {key: change for key, change in delta.items() if any(change)}
    if not delta:
        return
    rows = BoardTotal.objects.using(using)
    stages = {key[0] for key in delta}
    existing = {
        (row.stage_id, row.currency, row.closed_on): row for row in rows.filter(stage_id__in=stages)
    }
    changed, new, empty = [], [], []
    for key, (deals, total, weighted) in delta.items():
        row = existing.get(key)
        if row is None:
            row = BoardTotal(stage_id=key[0], currency=key[1], closed_on=key[2])
            new.append(row)
        else:
            changed.append(row)
        row.deals += deals
        row.total += total
        row.weighted += weighted
        if row.deals <= 0 and row.pk is not None:
            empty.append(row.pk)
    if empty:
        rows.filter(pk__in=empty).delete()
    keep = [row for row in changed if row.pk not in empty]
    if keep:
        rows.bulk_update(keep, ["deals", "total", "weighted"])
    if new:
        rows.bulk_create([row for row in new if row.deals > 0])


def rebuild(*, using: str | None = None) -> int:
    """Count every deal again from scratch; the number of deals counted."""
    using = using or _using()
    with transaction.atomic(using=using):
        return _rebuild(_state(using), using=using)


def _rebuild(state: BoardTotalsState, *, using: str) -> int:
    horizon = last_committed_change(using)  # before the deals are read: see refresh
    BoardCounted.objects.using(using).all().delete()
    BoardTotal.objects.using(using).all().delete()
    deal, account = Opportunity._meta, Account._meta
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {BoardCounted._meta.db_table}"  # noqa: S608 (table names only)
            " (deal_id, stage_id, currency, closed_on, amount, weighted)"
            " SELECT d.id, d.stage_id, d.currency, d.closed_on, d.amount,"
            " d.amount * d.probability"
            f" FROM {deal.db_table} d JOIN {account.db_table} a ON a.id = d.account_id"
            " WHERE d.deleted_at IS NULL AND a.deleted_at IS NULL"
        )
        count = cursor.rowcount
    sums = (
        BoardCounted.objects.using(using)
        .values("stage_id", "currency", "closed_on")
        .annotate(n=Count("pk"), amounts=Sum("amount"), weighted_amounts=Sum("weighted"))
        .order_by()
    )
    BoardTotal.objects.using(using).bulk_create(
        BoardTotal(
            stage_id=row["stage_id"],
            currency=row["currency"],
            closed_on=row["closed_on"],
            deals=row["n"],
            total=row["amounts"],
            weighted=row["weighted_amounts"],
        )
        for row in sums
    )
    state.seq, state.epoch = horizon, feed_state(using).epoch
    state.rebuilt_at = timezone.now()
    state.save(using=using)
    return count


def whole_company(*, closed_since: datetime.date | None, stages: list[Stage]) -> list[dict]:
    """The board's totals over every live deal of a live account, brought up to date
    first: rows of `stage_id`, `currency`, `deals`, `total` and `weighted_total` (amount ×
    probability, in per cent), as `selectors.pipeline_board` reads them. Won and lost
    deals closed before `closed_since` are left out (`selectors.board_deals`)."""
    using = _using()
    refresh(using=using)
    closing = {stage.pk for stage in stages if stage.is_won or stage.is_lost}
    sums: dict[tuple, list] = defaultdict(lambda: [0, Decimal(0), Decimal(0)])
    rows = BoardTotal.objects.using(using).values_list(
        "stage_id", "currency", "closed_on", "deals", "total", "weighted"
    )
    for stage, currency, closed, deals, total, weighted in rows:
        if (
            closed_since is not None
            and stage in closing
            and closed is not None
            and closed < closed_since
        ):
            continue
        row = sums[stage, currency]
        row[0] += deals
        row[1] += total
        row[2] += weighted
    return [
        {
            "stage_id": stage,
            "currency": currency,
            "deals": deals,
            "total": total,
            "weighted_total": weighted,
        }
        for (stage, currency), (deals, total, weighted) in sums.items()
    ]


def differences(*, using: str | None = None) -> list[str]:
    """Where the kept totals differ from the deals summed now (after a refresh): one
    line per (stage, currency, closing day) that differs. Empty when they agree."""
    using = using or _using()
    refresh(using=using)
    live = (
        Opportunity.objects.using(using)
        .filter(account__deleted_at__isnull=True)
        .annotate(product=WEIGHTED)
        .values("stage_id", "currency", "closed_on")
        .annotate(n=Count("pk"), amounts=Sum("amount"), weighted_amounts=Sum("product"))
        .order_by()
    )
    want = {
        (row["stage_id"], row["currency"], row["closed_on"]): (
            row["n"],
            row["amounts"],
            row["weighted_amounts"],
        )
        for row in live
    }
    have = {
        (stage, currency, closed): (deals, total, weighted)
        for stage, currency, closed, deals, total, weighted in BoardTotal.objects.using(
            using
        ).values_list("stage_id", "currency", "closed_on", "deals", "total", "weighted")
    }
    return [
        f"stage {key[0]} {key[1]} closed {key[2] or '-'}: "
        f"kept {have.get(key)}, deals {want.get(key)}"
        for key in sorted(set(want) | set(have), key=str)
        if want.get(key) != have.get(key)
    ]
