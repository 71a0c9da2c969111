"""The access table (`AccountAccess`): who may see which account, kept equal to the rule.

The rule is defined once, in `accounts.selectors.VISIBILITY_WAYS`; pages read the table
(`accounts_visible_to`), which is one indexed join instead of the rule's OR of
subqueries. This module is the only writer of the table, always set-based: a refresh
compares the rows of some accounts or some users with what the rule gives for them
(two `EXCEPT` queries) and writes only the pairs that differ, inside the transaction
of the write that changed the rule's inputs, and tells the changes feed which pairs
came and went (`keyaccounts.feed.hooks.feed_access_changed`: the feed of a user who
was given an account sends what is under it, and of one who lost it, `removed`
entries). Who calls it:

- the signal receivers below, for every save or delete of a row the rule reads: an
  account's owner, an account team member, a user's sales team, active and superuser
  flags, a sales team's manager. Services, the admin, the shell and the tests'
  factories all save through them, so none can forget;
- set-based writes, which send no signals, call a refresh themselves (`account_merge`
  moves team members with `bulk_update`);
- bulk loads rebuild everything (`access_rebuild`: `seed_demo`, `manage.py
  rebuild_access`); migration 0004 filled the table with the rule's SQL of its day.

Soft delete and restore change none of the inputs: an account in the recycle bin keeps
its rows, so `accounts_visible_to(user, deleted=True)` answers for the bin too. Each row
says whether its account is live (`live`, set with it and by `set_live` when the recycle
bin moves the account, or a save changes its `deleted_at`), so that a user's live
accounts are read from this table alone (`selectors.visible_account_ids`): the statements
on an account's records need not join the accounts (`access_stale_live` checks it).

Every refresh first takes the lock of the change counter (`next_change_seq`), the lock
every versioned write already takes first: refreshes of concurrent writes run one
after the other, and each one's comparison reads what the earlier ones committed,
so two writes that together give someone an account (a team gets a manager
while a member of it takes over an account) cannot both miss the pair.
"""

from collections.abc import Iterable

from django.db import connections, transaction
from django.db.models import F, Q, QuerySet
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from keyaccounts.changeseq import next_change_seq
from keyaccounts.events import RecordEvent, record_changed
from keyaccounts.feed.hooks import feed_access_changed, feed_access_reset

from .models import Account, AccountAccess, AccountTeamMember, SalesTeam, User
from .selectors import VISIBILITY_WAYS

# Ids per statement: four IN lists of this size stay far below any database's limit.
CHUNK = 1000


def rule_pairs(
    *,
    account_ids: Iterable[int] | None = None,
    user_ids: Iterable[int] | None = None,
    using: str = "default",
) -> QuerySet:
    """The (user id, account id) pairs the rule gives, as one query (a UNION of the
    ways, `VISIBILITY_WAYS`), for active users who are not superusers; limited to
    `account_ids` and/or `user_ids` when given. Accounts in the recycle bin included."""
    parts = []
    for model, viewer, account in VISIBILITY_WAYS:
        rows = model._base_manager.using(using).filter(
            **{f"{viewer}__is_active": True, f"{viewer}__is_superuser": False}
        )
        if account_ids is not None:
            rows = rows.filter(**{f"{account}__in": list(account_ids)})
        if user_ids is not None:
            rows = rows.filter(**{f"{viewer}__in": list(user_ids)})
        parts.append(
            rows.order_by()
            .annotate(access_user_id=F(viewer), access_account_id=F(account))
            .values_list("access_user_id", "access_account_id")
        )
    return parts[0].union(*parts[1:])


def _sql(queryset: QuerySet, using: str) -> tuple[str, tuple]:
    return queryset.query.get_compiler(using=using).as_sql()


def _lock(using: str) -> None:
    """Wait for the refreshes of other transactions: hold the change counter's lock
    (reserving no number) until this transaction ends."""
    next_change_seq(count=0, using=using)


def _insert_selected(select: str, params, using: str) -> None:
    """INSERT the rows a SELECT of (user_id, account_id) gives into the table, each
    `live` as its account is."""
    quote = connections[using].ops.quote_name
    table = quote(AccountAccess._meta.db_table)
    accounts = quote(Account._meta.db_table)
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (user_id, account_id, live)"
            " SELECT p.user_id, p.account_id,"
            " CASE WHEN a.deleted_at IS NULL THEN TRUE ELSE FALSE END"
            f" FROM ({select}) AS p JOIN {accounts} a ON a.id = p.account_id",
            params,
        )


def _insert(pairs: QuerySet, using: str) -> None:
    sql, params = _sql(pairs, using)
    select = (
        "SELECT access_user_id AS user_id, access_account_id AS account_id"
        f" FROM ({sql}) AS rule_pairs"
    )
    _insert_selected(select, params, using)


def _chunks(ids: Iterable[int | None]) -> list[list[int]]:
    ids = sorted({i for i in ids if i is not None})
    return [ids[i : i + CHUNK] for i in range(0, len(ids), CHUNK)]


def _difference(pairs: QuerySet, column: str | None, ids: list[int], using: str):
    """The SQL of (the rule's pairs EXCEPT the table's rows, the table's rows EXCEPT the
    rule's pairs), the rows limited to `column IN ids` (all rows without a column), and
    the parameters of each."""
    rule_sql, rule_params = _sql(pairs, using)
    rule = (
        "SELECT access_user_id AS user_id, access_account_id AS account_id "
        f"FROM ({rule_sql}) AS rule_pairs"
    )
    table = connections[using].ops.quote_name(AccountAccess._meta.db_table)
    stored = f"SELECT user_id, account_id FROM {table}"
    if column is not None:
        stored += f" WHERE {column} IN ({', '.join(['%s'] * len(ids))})"
    else:
        ids = []
    return (
        (f"{rule} EXCEPT {stored}", [*rule_params, *ids]),
        (f"{stored} EXCEPT {rule}", [*ids, *rule_params]),
    )


def _fetch(query: tuple[str, list], using: str) -> list[tuple[int, int]]:
    with connections[using].cursor() as cursor:
        cursor.execute(*query)
        return [tuple(row) for row in cursor.fetchall()]


def _refresh(column: str, ids: list[int], using: str) -> None:
    """Make the rows with `column IN ids` what the rule says, writing only the pairs
    that differ, and tell the changes feed which (keyaccounts.feed.hooks)."""
    pairs = rule_pairs(**{f"{column}s": ids}, using=using)
    to_grant, to_revoke = _difference(pairs, column, ids, using)
    granted, revoked = _fetch(to_grant, using), _fetch(to_revoke, using)
    if not granted and not revoked:
        return
    # One DELETE per id of the scope (a manager who lost a team: one, for its accounts).
    other = "account_id" if column == "user_id" else "user_id"
    gone: dict[int, list[int]] = {}
    for pair in revoked:
        row = dict(zip(("user_id", "account_id"), pair, strict=True))
        gone.setdefault(row[column], []).append(row[other])
    rows = AccountAccess.objects.using(using)
    for key, values in gone.items():
        for chunk in _chunks(values):
            rows.filter(**{column: key, f"{other}__in": chunk}).delete()
    binned = _binned({a for _u, a in granted}, using)
    rows.bulk_create(
        [AccountAccess(user_id=u, account_id=a, live=a not in binned) for u, a in granted],
        batch_size=CHUNK,
    )
    feed_access_changed(granted=granted, revoked=revoked, using=using)


def _binned(account_ids: set[int], using: str) -> set[int]:
    """Those of these accounts that are in the recycle bin."""
    binned = set()
    for chunk in _chunks(account_ids):
        rows = Account._base_manager.using(using).filter(pk__in=chunk, deleted_at__isnull=False)
        binned.update(rows.values_list("pk", flat=True))
    return binned


def set_live(account_ids: Iterable[int], *, live: bool, using: str = "default") -> None:
    """Mark the rows of these accounts live (restored) or not (moved to the recycle
    bin): the account's `deleted_at`, told to the access table."""
    for chunk in _chunks(account_ids):
        AccountAccess.objects.using(using).filter(account_id__in=chunk).exclude(live=live).update(
            live=live
        )


def _grant_missing(account_ids: list[int], using: str) -> None:
    """Add the rule's pairs of these accounts that the table lacks, in one statement (no
    pair read back, none revoked, the changes feed not told)."""
    (missing, params), _extra = _difference(
        rule_pairs(account_ids=account_ids, using=using), "account_id", account_ids, using
    )
    _insert_selected(f"SELECT user_id, account_id FROM ({missing}) AS missing", params, using)


def access_refresh_for_accounts(
    account_ids: Iterable[int | None], *, using: str = "default", created: bool = False
):
    """Make the rows of these accounts what the rule says now (ids of accounts that no
    longer exist are fine: they get no rows). `created`: accounts created in this
    transaction, which nobody saw before: their first rows are no news to the changes
    feed (the account and what is put under it come as changes of their own), and they
    have no rows the rule does not give (none but those a refresh in this transaction
    wrote, which any later change of the rule's inputs refreshed again), so their missing
    pairs are added in one statement, with nothing read back (a bulk load's 500 new
    accounts: one query instead of two comparisons and an insert)."""
    chunks = _chunks(account_ids)
    if not chunks:
        return
    with transaction.atomic(using=using):
        _lock(using)
        for ids in chunks:
            if created:
                _grant_missing(ids, using)
            else:
                _refresh("account_id", ids, using)


def access_refresh_for_users(user_ids: Iterable[int | None], *, using: str = "default"):
    """Make the rows of these users what the rule says now: after their own flags
    changed, or the members of a team they manage (or whether they manage it)."""
    chunks = _chunks(user_ids)
    if not chunks:
        return
    with transaction.atomic(using=using):
        _lock(using)
        for ids in chunks:
            _refresh("user_id", ids, using)


def access_rebuild(*, using: str = "default") -> int:
    """Rebuild the whole table from the rule; returns its number of rows. The users
    whose rows it changed get their view reset in the changes feed (their older
    cursors answer 410): a rebuild repairs, it does not tell the story of each pair."""
    with transaction.atomic(using=using):
        _lock(using)
        to_grant, to_revoke = _difference(rule_pairs(using=using), None, [], using)
        with connections[using].cursor() as cursor:
            cursor.execute(
                f"SELECT DISTINCT user_id FROM ({to_grant[0]}) AS granted "
                f"UNION SELECT DISTINCT user_id FROM ({to_revoke[0]}) AS revoked",
                [*to_grant[1], *to_revoke[1]],
            )
            changed = [row[0] for row in cursor.fetchall()]
        AccountAccess.objects.using(using).all().delete()
        _insert(rule_pairs(using=using), using)
        feed_access_reset(user_ids=changed, using=using)
        return AccountAccess.objects.using(using).count()


def access_differences(*, using: str = "default") -> tuple[list, list]:
    """How the table differs from the rule: (missing pairs, extra pairs), each a sorted
    list of (user id, account id). Both empty when the table is right."""
    pairs_sql, params = _sql(rule_pairs(using=using), using)
    rule = f"SELECT access_user_id, access_account_id FROM ({pairs_sql}) AS rule_pairs"
    table = connections[using].ops.quote_name(AccountAccess._meta.db_table)
    stored = f"SELECT user_id, account_id FROM {table}"
    with connections[using].cursor() as cursor:
        cursor.execute(f"{rule} EXCEPT {stored}", params)
        missing = sorted(tuple(row) for row in cursor.fetchall())
        cursor.execute(f"{stored} EXCEPT {rule}", params)
        extra = sorted(tuple(row) for row in cursor.fetchall())
    return missing, extra


def access_stale_live(*, using: str = "default") -> list[int]:
    """The accounts whose rows say live when the account is in the recycle bin, or the
    other way round, sorted. Empty when the table is right."""
    rows = AccountAccess.objects.using(using).filter(
        Q(live=True, account__deleted_at__isnull=False)
        | Q(live=False, account__deleted_at__isnull=True)
    )
    return sorted(set(rows.values_list("account_id", flat=True)))


def _managers_of(team_ids: Iterable[int | None], using: str) -> list[int]:
    return list(
        SalesTeam.objects.using(using)
        .filter(pk__in=[t for t in team_ids if t is not None], manager__isnull=False)
        .values_list("manager_id", flat=True)
    )


# --- keeping it: every save or delete of a row the rule reads ---------------------------

# The fields of each model the rule reads (the rest of a save does not change access).
INPUTS = {
    # `deleted_at`: not an input of the rule, but of each row's `live`.
    Account: ("owner_id", "deleted_at"),
    AccountTeamMember: ("account_id", "user_id"),
    User: ("sales_team_id", "is_active", "is_superuser"),
    SalesTeam: ("manager_id",),
}
_BEFORE = "_access_inputs_before"


def _remember_inputs(sender, instance, using, update_fields=None, **kwargs) -> None:
    """Before a save: the stored values of the rule's inputs (None for a new row), for
    the receiver after it to compare. A save of other fields only is left alone."""
    fields = INPUTS[sender]
    if update_fields is not None and not {f.removesuffix("_id") for f in fields} & {
        f.removesuffix("_id") for f in update_fields
    }:
        return
    if instance._state.adding or instance.pk is None:
        before = None
    else:
        before = sender._base_manager.using(using).filter(pk=instance.pk).values(*fields).first()
    setattr(instance, _BEFORE, before)


def _changed(instance) -> tuple[bool, dict | None]:
    """(whether this save may have changed access, the stored inputs before it)."""
    if _BEFORE not in instance.__dict__:
        return False, None
    before = instance.__dict__.pop(_BEFORE)
    if before is None:
        return True, None
    fields = INPUTS[type(instance)]
    return any(before[f] != getattr(instance, f) for f in fields), before


for _model in INPUTS:
    pre_save.connect(_remember_inputs, sender=_model, dispatch_uid=f"access-{_model.__name__}")


@receiver(post_save, sender=Account, dispatch_uid="access-account-saved")
def _account_saved(sender, instance, using, created=False, **kwargs):
    changed, before = _changed(instance)
    if not changed:
        return
    if before is None or before["owner_id"] != instance.owner_id:
        # A new instance whose row existed (a raw save, loaddata) was an UPDATE: its rows
        # are compared whole, as after any change of owner.
        access_refresh_for_accounts([instance.pk], using=using, created=created and before is None)
    if before is not None and before["deleted_at"] != instance.deleted_at:
        set_live([instance.pk], live=instance.deleted_at is None, using=using)


@receiver(record_changed, sender=Account, dispatch_uid="access-account-binned")
def _account_binned(sender, records, event, using, **kwargs):
    """The recycle bin moves accounts in and out set-based (no save signals): their rows
    follow (keyaccounts.recyclebin.services)."""
    if event in (RecordEvent.DELETED, RecordEvent.RESTORED):
        set_live([r.pk for r in records], live=event == RecordEvent.RESTORED, using=using)


@receiver(post_save, sender=AccountTeamMember, dispatch_uid="access-member-saved")
def _member_saved(sender, instance, using, **kwargs):
    changed, before = _changed(instance)
    if changed:
        old = [before["account_id"]] if before else []
        access_refresh_for_accounts([instance.account_id, *old], using=using)


@receiver(post_delete, sender=AccountTeamMember, dispatch_uid="access-member-deleted")
def _member_deleted(sender, instance, using, origin=None, **kwargs):
    # When the account itself is deleted (the purge), its rows go with it.
    if isinstance(origin, Account) or (
        isinstance(origin, QuerySet) and issubclass(origin.model, Account)
    ):
        return
    access_refresh_for_accounts([instance.account_id], using=using)


@receiver(post_save, sender=User, dispatch_uid="access-user-saved")
def _user_saved(sender, instance, using, **kwargs):
    changed, before = _changed(instance)
    if not changed:
        return
    users = []
    if before is None or any(
        before[f] != getattr(instance, f) for f in ("is_active", "is_superuser")
    ):
        users.append(instance.pk)
        if before is not None:
            # Seeing everything, or nothing, is not told pair by pair: their feeds
            # start again (older cursors answer 410).
            feed_access_reset(user_ids=[instance.pk], using=using)
    if before is None or before["sales_team_id"] != instance.sales_team_id:
        # The managers of the team they left and of the team they joined see differently.
        old_team = before["sales_team_id"] if before else None
        users += _managers_of([old_team, instance.sales_team_id], using)
    access_refresh_for_users(users, using=using)


@receiver(post_delete, sender=User, dispatch_uid="access-user-deleted")
def _user_deleted(sender, instance, using, **kwargs):
    # Refreshes of the accounts whose team they left (the cascade) may have given them
    # rows again while their user row was still there.
    AccountAccess.objects.using(using).filter(user_id=instance.pk).delete()


@receiver(post_save, sender=SalesTeam, dispatch_uid="access-team-saved")
def _team_saved(sender, instance, using, **kwargs):
    changed, before = _changed(instance)
    if changed:
        old = [before["manager_id"]] if before else []
        access_refresh_for_users([instance.manager_id, *old], using=using)


@receiver(post_delete, sender=SalesTeam, dispatch_uid="access-team-deleted")
def _team_deleted(sender, instance, using, **kwargs):
    # Its members have left it (SET_NULL): its manager no longer sees through them.
    access_refresh_for_users([instance.manager_id], using=using)
