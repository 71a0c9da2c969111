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

A key is therefore never shown for other options than it was worked out for: no "as
of". Two writes could bring an older key back — an account purged from the recycle bin,
whose removal may lower the latest change number (every kept options row is dropped
first: `before_purge`), and the nightly purge of old access changes, which may lower a
person's latest one — so a kept row is only read within `KEPT_SECONDS` (an hour) of
being worked out; the hourly purge of snapshots deletes it after that. They are on when
snapshots are (`SNAPSHOT_SECONDS` > 0, settings: a shared cache), else worked out on
every page, as the test suite does except where it tests them
(`accounts/tests/test_options.py`).

The key is read first, on the primary, and on a miss the options are worked out after
it, on the primary, from the person's visible accounts read afresh (the person too):
never from the page's queryset, whose ids may have been read before the key (or on the
replica), so a row never holds older options than its key.
"""

import datetime
import json
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet
from django.dispatch import receiver
from django.utils import timezone

from keyaccounts.recyclebin.signals import before_purge

from .models import Account, User
from .selectors import accounts_visible_to

NAME = "account-options"
KEPT_SECONDS = 3600  # a kept row older than this is worked out again (see above)


@dataclass(frozen=True)
class AccountOptions:
    regions: tuple[str, ...]  # sorted, no blank
    industries: frozenset[str]


def account_options(*, user, accounts: QuerySet[Account]) -> AccountOptions:
    """The regions and industries among `user`'s visible accounts, kept or worked out
    now. `accounts`: the page's unfiltered list of them, read only when nothing is kept
    (snapshots off); a kept row is worked out from the accounts read afresh."""
    if settings.SNAPSHOT_SECONDS <= 0 or not getattr(user, "pk", None):
        return _work_out(user, accounts)
    from keyaccounts.feed.models import AccessChange
    from keyaccounts.snapshots import services as snapshots
    from keyaccounts.snapshots.models import Snapshot

    connection = connections[DEFAULT_DB_ALIAS]
    quote = connection.ops.quote_name
    started = timezone.now()
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
                ON s.user_id = %s AND s.name = %s AND s.key = k.key AND s.computed_at > %s
            """,
            [user.pk, user.pk, NAME, timezone.now() - datetime.timedelta(seconds=KEPT_SECONDS)],
        )
        key, content = cursor.fetchone()
    if content is not None:
        kept = json.loads(content)
        return AccountOptions(tuple(kept["regions"]), frozenset(kept["industries"]))
    # Read after the key, on the primary: the person (a superuser a moment ago?) and
    # their accounts as they are now.
    person = User._default_manager.using(DEFAULT_DB_ALIAS).filter(pk=user.pk).first()
    if person is None:
        return _work_out(user, accounts)  # gone since the request began: nothing to keep
    options = _work_out(person, accounts_visible_to(person).using(DEFAULT_DB_ALIAS))
    content = json.dumps(
        {"regions": list(options.regions), "industries": sorted(options.industries)},
        ensure_ascii=False,
    )
    # An older row of the same key (past KEPT_SECONDS) is replaced.
    snapshots.keep(user=user, name=NAME, key=key, computed_at=started, content=content)
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
