"""The feed's write side: one function per event, each called inside the transaction of
the write it follows (which holds the change counter's lock, so every number taken here
sits in commit order with the write's own).

- `feed_access_changed`: rows of the access table came or went (accounts.access);
- `feed_access_reset`: a user's view changed wholesale (superuser or active flag, a
  rebuild of the access table): their older cursors answer 410;
- `feed_records_deleted`: tombstones were written (the recycle bin, a hard delete);
- `feed_records_moved`: records moved to another account (an edit, a merge).

Who "could see" a record is the access table at that moment; superusers see everything
and need no rows (their feed reads the tombstones), inactive users sign in to nothing
(their flag's change resets their view instead).
"""

from collections import defaultdict
from collections.abc import Iterable

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import connections
from django.utils import timezone

from .models import AccessChange, AccessKind, ExitReason, FeedExit

ACCOUNT_MODEL = "accounts.account"
BATCH = 2000


def feed_account_attname(model) -> str | None:
    """The column of a synced record type that names its account: the id of an account,
    `account_id` of a record under one; None for a type that hangs off no account."""
    if model._meta.label_lower == ACCOUNT_MODEL:
        return model._meta.pk.attname
    try:
        field = model._meta.get_field("account")
    except LookupError:
        return None
    return field.attname if field.is_relation else None


def feed_types() -> list:
    """The synced record types (keyaccounts.models.VersionedModel: `synced_record`) whose
    visibility follows an account."""
    return [
        m
        for m in apps.get_models()
        if getattr(m, "synced_record", False) and feed_account_attname(m) is not None
    ]


def _access_model():
    return apps.get_model("accounts", "AccountAccess")


def _q(using: str, name: str) -> str:
    return connections[using].ops.quote_name(name)


def _reserve(count: int, using: str) -> list[int]:
    from keyaccounts.changeseq import next_change_seq

    last = next_change_seq(count=count, using=using)
    return list(range(last - count + 1, last + 1))


# --- access ------------------------------------------------------------------------------


def feed_access_changed(
    *,
    granted: Iterable[tuple[int, int]],
    revoked: Iterable[tuple[int, int]],
    using: str = "default",
) -> None:
    """Pairs (user id, account id) of the access table were inserted (`granted`) or
    deleted (`revoked`). Logs each with a change number of its own; a revoked user
    (active) gets a `not_visible` exit for every live record under the account, so
    their feeds drop what they saw there."""
    granted, revoked = sorted(set(granted)), sorted(set(revoked))
    if not granted and not revoked:
        return
    seqs = iter(_reserve(len(granted) + len(revoked), using))
    now = timezone.now()
    rows = [
        AccessChange(user_id=u, account_id=a, kind=kind, change_seq=next(seqs), created_at=now)
        for kind, pairs in ((AccessKind.REVOKED, revoked), (AccessKind.GRANTED, granted))
        for u, a in pairs
    ]
    AccessChange.objects.using(using).bulk_create(rows, batch_size=BATCH)
    if revoked:
        first = rows[0].change_seq
        last = rows[len(revoked) - 1].change_seq
        for model in feed_types():
            _exits_of_revokes(model, first, last, now, using)


def _exits_of_revokes(model, first: int, last: int, now, using: str) -> None:
    """One INSERT … SELECT per record type: the live records under each revoked
    account, for each revoked user who is active."""
    user = get_user_model()
    column = model._meta.get_field(feed_account_attname(model)).column
    pk = model._meta.pk.column
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_q(using, FeedExit._meta.db_table)} "
            "(user_id, model, object_id, external_id, change_seq, reason, created_at) "
            f"SELECT g.user_id, %s, r.{_q(using, pk)}, COALESCE(r.external_id, ''), "
            "g.change_seq, %s, %s "
            f"FROM {_q(using, AccessChange._meta.db_table)} g "
            f"JOIN {_q(using, model._meta.db_table)} r ON r.{_q(using, column)} = g.account_id "
            f"JOIN {_q(using, user._meta.db_table)} u ON u.{_q(using, user._meta.pk.column)} "
            "= g.user_id "
            "WHERE g.change_seq >= %s AND g.change_seq <= %s AND g.kind = %s "
            "AND r.deleted_at IS NULL AND u.is_active = %s",
            [
                model._meta.label_lower,
                ExitReason.NOT_VISIBLE,
                now,
                first,
                last,
                AccessKind.REVOKED,
                True,
            ],
        )


def feed_access_reset(*, user_ids: Iterable[int], using: str = "default") -> None:
    """These users' view changed wholesale: a cursor they got before now answers 410
    (resync_required), on every record type."""
    user_ids = sorted({u for u in user_ids if u is not None})
    if not user_ids:
        return
    (seq,) = _reserve(1, using)
    now = timezone.now()
    AccessChange.objects.using(using).bulk_create(
        [
            AccessChange(user_id=u, kind=AccessKind.RESET, change_seq=seq, created_at=now)
            for u in user_ids
        ],
        batch_size=BATCH,
    )


# --- records -------------------------------------------------------------------------------


def _viewers(account_ids: Iterable[int], using: str) -> dict[int, set[int]]:
    """{account id: ids of the active users the access table lets see it}."""
    access = _access_model()
    rows = (
        access.objects.using(using)
        .filter(account_id__in=set(account_ids), user__is_active=True)
        .values_list("account_id", "user_id")
    )
    viewers: dict[int, set[int]] = defaultdict(set)
    for account_id, user_id in rows:
        viewers[account_id].add(user_id)
    return viewers


def feed_records_deleted(*, stones: list, using: str = "default") -> None:
    """Tombstones were written: each goes, as a `deleted` exit, to the users who could
    see its record (the access table of its account, now). Superusers read the
    tombstones themselves."""
    stones = [s for s in stones if s.account_id is not None]
    if not stones:
        return
    viewers = _viewers({s.account_id for s in stones}, using)
    now = timezone.now()
    FeedExit.objects.using(using).bulk_create(
        [
            FeedExit(
                user_id=user_id,
                model=stone.model,
                object_id=stone.object_id,
                external_id=stone.external_id,
                change_seq=stone.change_seq,
                reason=ExitReason.DELETED,
                merged_into=stone.merged_into,
                created_at=now,
            )
            for stone in stones
            for user_id in sorted(viewers.get(stone.account_id, ()))
        ],
        batch_size=BATCH,
    )


def feed_records_moved(*, records: list, from_account_ids: dict, using: str = "default") -> None:
    """`records` (one type, saved with their new account and change number) moved from
    the accounts `from_account_ids` names ({record id: old account id}). Whoever could
    see the old account but not the new one gets a `not_visible` exit. A record in the
    recycle bin moves out of nobody's view."""
    moved = [
        r
        for r in records
        if r.deleted_at is None
        and from_account_ids.get(r.pk) is not None
        and from_account_ids[r.pk] != r.account_id
    ]
    if not moved:
        return
    viewers = _viewers(
        {from_account_ids[r.pk] for r in moved} | {r.account_id for r in moved}, using
    )
    now = timezone.now()
    label = moved[0]._meta.label_lower
    FeedExit.objects.using(using).bulk_create(
        [
            FeedExit(
                user_id=user_id,
                model=label,
                object_id=r.pk,
                external_id=r.external_id or "",
                change_seq=r.change_seq,
                reason=ExitReason.NOT_VISIBLE,
                created_at=now,
            )
            for r in moved
            for user_id in sorted(
                viewers.get(from_account_ids[r.pk], set()) - viewers.get(r.account_id, set())
            )
        ],
        batch_size=BATCH,
    )
