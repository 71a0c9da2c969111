"""The regions and industries among a person's accounts: the options of the account
list's, the heat-map's and the dashboard's filters, kept per person under an exact key.

Working them out reads every account the person sees (`DISTINCT` over 2,000 accounts
for a manager at 100,000 in the company: 3–7 ms a page, 85 ms for a superuser's
industries), and they change only when an account's region, industry or life changes
or when what the person sees does. So they are kept (`keyaccounts.Snapshot`, name
`account-options`) under a key made of two change numbers, read in the same statement
as the kept row:

- the latest change number of any account (`max(change_seq)`, on its index): every
  write of an account takes a new one — a save, an import or bulk upsert, a move to or
  from the recycle bin, a merge — as the changes feed needs;
- the latest change of what the person may see (their latest `AccessChange`): an
  account given or taken, a team or superuser flag changed.

A key is therefore never shown for other options than it was worked out for, whatever
its age: no time limit, no "as of". The one write that can bring an older key back —
an account purged from the recycle bin, whose removal may lower the latest change
number — drops every kept options row first (`before_purge`). Kept rows older than an
hour go with the hourly purge of snapshots; they are on when snapshots are
(`SNAPSHOT_SECONDS` > 0, settings: a shared cache), else worked out on every page, as
the test suite does except where it tests them (`accounts/tests/test_options.py`).
The key and the row are read on the primary, and the options worked out there on a
miss: both from the same database, so a row never holds older options than its key.
"""

import json
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, IntegrityError, connections, transaction
from django.db.models import QuerySet
from django.dispatch import receiver
from django.utils import timezone

from keyaccounts.recyclebin.signals import before_purge

from .models import Account

NAME = "account-options"


@dataclass(frozen=True)
class AccountOptions:
    regions: tuple[str, ...]  # sorted, no blank
    industries: frozenset[str]


def account_options(*, user, accounts: QuerySet[Account]) -> AccountOptions:
    """The regions and industries among `accounts`, which must be `user`'s visible
    accounts (every caller's unfiltered list), kept or worked out now."""
    if settings.SNAPSHOT_SECONDS <= 0 or not getattr(user, "pk", None):
        return _work_out(user, accounts)
    from keyaccounts.feed.models import AccessChange
    from keyaccounts.snapshots.models import Snapshot

    connection = connections[DEFAULT_DB_ALIAS]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH k AS (
              SELECT coalesce((SELECT max(change_seq) FROM {quote(Account._meta.db_table)}), 0)
                     || ':' ||
                     coalesce((SELECT max(change_seq) FROM {quote(AccessChange._meta.db_table)}
                                WHERE user_id = %s), 0) AS key)
            SELECT k.key, s.content
              FROM k LEFT JOIN {quote(Snapshot._meta.db_table)} s
                ON s.user_id = %s AND s.name = %s AND s.key = k.key
            """,
            [user.pk, user.pk, NAME],
        )
        key, content = cursor.fetchone()
    if content is not None:
        kept = json.loads(content)
        return AccountOptions(tuple(kept["regions"]), frozenset(kept["industries"]))
    options = _work_out(user, accounts.using(DEFAULT_DB_ALIAS))
    content = json.dumps(
        {"regions": list(options.regions), "industries": sorted(options.industries)},
        ensure_ascii=False,
    )
    rows = Snapshot.objects.using(DEFAULT_DB_ALIAS)
    try:
        with transaction.atomic(using=DEFAULT_DB_ALIAS):
            rows.create(user=user, name=NAME, key=key, computed_at=timezone.now(), content=content)
    except IntegrityError:
        pass  # another request of the same person kept the same options a moment before
    except DatabaseError:
        pass  # keeping them is a help, never a reason to fail the page
    return options


def _work_out(user, accounts: QuerySet[Account]) -> AccountOptions:
    """Worked out now: a superuser's from every live account, a region or industry at
    a time through their indexes (a recursive query: one probe per value, rather than
    reading every account, as DISTINCT would); anyone else's from their accounts, both
    in one `DISTINCT`."""
    if user is not None and user.is_active and user.is_superuser:
        using = accounts.db
        return AccountOptions(
            tuple(_skip_scan("region", using)), frozenset(_skip_scan("industry", using))
        )
    pairs = accounts.order_by().values_list("region", "industry").distinct()
    regions, industries = set(), set()
    for region, industry in pairs:
        if region:
            regions.add(region)
        industries.add(industry)
    return AccountOptions(tuple(sorted(regions)), frozenset(industries))


def _skip_scan(column: str, using: str) -> list[str]:
    """The distinct non-blank values of `column` among live accounts, in order."""
    connection = connections[using]
    table = connection.ops.quote_name(Account._meta.db_table)
    name = connection.ops.quote_name(column)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""WITH RECURSIVE r(v) AS (
                SELECT MIN({name}) FROM {table} WHERE deleted_at IS NULL AND {name} > ''
                UNION ALL
                SELECT (SELECT MIN({name}) FROM {table}
                        WHERE deleted_at IS NULL AND {name} > r.v)
                FROM r WHERE r.v IS NOT NULL
            ) SELECT v FROM r WHERE v IS NOT NULL"""
        )
        return [row[0] for row in cursor.fetchall()]


@receiver(before_purge, sender=Account)
def _accounts_purged(sender, ids, **kwargs) -> None:
    """Accounts removed for good may lower the latest change number of accounts, so an
    older key could come back: no kept options survive a purge of accounts."""
    from keyaccounts.snapshots.models import Snapshot

    Snapshot.objects.using(DEFAULT_DB_ALIAS).filter(name=NAME).delete()
