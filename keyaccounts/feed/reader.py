"""One page of a record type's changes feed, for one user.

An entry sits at a position (change number, record id); a cursor names the last
position delivered, so a page can end in the middle of one change number (an account
given to someone brings everything under it at the number of that grant). A page merges
four sources, each read by index in position order, at most `limit + 1` rows each:

1. records of the type the user sees now, changed after the cursor (at their change
   number);
2. records the user sees now that did not change after the cursor but whose account
   was given to the user after it (`AccessChange` granted, the latest change of that
   user and account), at the grant's number;
3. what left the user's view after the cursor (`FeedExit`: deleted while they saw it,
   or no longer visible) and is still out of it; for a superuser, who sees everything,
   the tombstones;

and cuts the page at the first position a source could not vouch for (the last row it
read when it read `limit + 1`). Within a page a record comes once, as its latest entry.
Reads stop at the last committed change number (`last_committed_change`), so nothing
still in flight is passed over.
"""

import hashlib
import re
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db import connections, router
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from keyaccounts.exceptions import ApplicationError
from keyaccounts.history.parts import parts_in_reason
from keyaccounts.history.timeline import (
    ACTION_OF_REASON,
    HIDDEN_FIELDS,
    _m2m_sets,
    m2m_fields_of,
)

from .hooks import feed_account_attname
from .models import AccessChange, AccessKind, ExitReason, FeedExit, FeedState

# Past every id: "everything at this change number was delivered".
WHOLE = 2**63
# epoch-number[-id][_issued][.feed]: `issued` is the last committed change number when the
# cursor was issued. The cursor's age is that, not its position: a client in the middle of
# its first sync holds a cursor far behind the counter, issued a moment ago. `feed`: which
# record type's feed issued it (`feed_tag`); a cursor of another feed names a position in
# changes the client never read (an accounts cursor sent to the contacts feed skipped
# the contacts changed before it). Cursors issued before it came have none: still read.
CURSOR_RE = re.compile(
    r"([0-9a-f]{8,16})-([0-9]{1,18})(?:-([0-9]{1,18}))?(?:_([0-9]{1,18}))?(?:\.([0-9a-f]{4}))?"
)
CURSOR_MAX_LENGTH = 60


def feed_tag(label: str) -> str:
    """Four hex digits naming a record type's feed (`app.model`) in its cursors."""
    return hashlib.sha1(label.encode()).hexdigest()[:4]


class ResyncRequired(ApplicationError):
    """410: the cursor cannot be served truly; read the list again from the start."""

    def __init__(self, message):
        super().__init__(message, code="resync_required")


@dataclass(frozen=True, order=True)
class Position:
    seq: int
    id: int = WHOLE
    # What the client's knowledge dates from: the last committed change number when it
    # began reading from the start (while it catches up), then its position. Not part of
    # the order. A client in the middle of its first sync holds a cursor far behind the
    # counter whose knowledge is a moment old; the checks of read_cursor go by this.
    issued: int = field(default=0, compare=False)

    def encode(self, epoch: str, issued: int | None = None, *, feed: str = "") -> str:
        """The cursor; `feed`: the feed's `feed_tag`, which a cursor read back must carry."""
        cursor = f"{epoch}-{self.seq}" if self.id >= WHOLE else f"{epoch}-{self.seq}-{self.id}"
        issued = max(self.issued if issued is None else issued, self.seq)
        cursor = cursor if issued == self.seq else f"{cursor}_{issued}"
        return f"{cursor}.{feed}" if feed else cursor


START = Position(0)


def feed_state(using: str = "default") -> FeedState:
    state = FeedState.objects.using(using).filter(pk=1).first()
    if state is None:  # a database flushed after its migrations ran (tests)
        state, _created = FeedState.objects.using(using).get_or_create(pk=1)
    return state


def last_committed_change(using: str | None = None) -> int:
    """The highest change number whose transaction has ended. The counter's row is locked
    until the write that took a number commits, so every change at or below the value
    read here is committed (or rolled back): a page cut there misses nothing."""
    from keyaccounts.models import ChangeCounter

    rows = ChangeCounter.objects.using(using) if using else ChangeCounter.objects
    return rows.filter(pk=1).values_list("value", flat=True).first() or 0


def read_cursor(value: str | None, *, user, feed: str = "") -> tuple[Position, str]:
    """The position a client's cursor names, and this installation's epoch (for the next
    cursor). Raises ResyncRequired (410) for a cursor this database did not issue — of
    another installation, from the future (a database restored from a backup), not a
    cursor at all — or one it can no longer serve: older than the retention horizon, or
    older than a change of the user's whole view. Reads the primary: a replica may not
    have caught up with the cursor yet."""
    using = router.db_for_write(FeedState)
    state = feed_state(using)
    if not value:
        return START, state.epoch
    match = CURSOR_RE.fullmatch(value) if len(value) <= CURSOR_MAX_LENGTH else None
    if match is None or match[1] != state.epoch:
        raise ResyncRequired(
            _(
                "This cursor was not issued by this database (another installation, or "
                "not a cursor). Sync again from the beginning: leave out since."
            )
        )
    if feed and match[5] and match[5] != feed:
        raise ResyncRequired(
            _(
                "This cursor was issued by the changes feed of another record type. Send "
                "each feed its own next_cursor, or sync this one from the beginning: "
                "leave out since."
            )
        )
    seq = int(match[2])
    # A cursor without its issue number is as old as its position.
    issued = max(int(match[4]), seq) if match[4] else seq
    position = Position(seq, int(match[3]) if match[3] else WHOLE, issued=issued)
    if issued < state.horizon:
        raise ResyncRequired(
            _(
                "This cursor is older than the changes this database keeps "
                "(FEED_RETENTION_DAYS). Sync again from the beginning: leave out since."
            )
        )
    if issued > last_committed_change(using):
        raise ResyncRequired(
            _(
                "This cursor is ahead of this database (restored from a backup?). Sync "
                "again from the beginning: leave out since."
            )
        )
    reset = AccessChange.objects.using(using).filter(
        user_id=user.pk, kind=AccessKind.RESET, change_seq__gt=issued
    )
    if reset.exists():
        raise ResyncRequired(
            _(
                "What you can see changed as a whole since this cursor (your role "
                "changed). Sync again from the beginning: leave out since."
            )
        )
    return position, state.epoch


@dataclass
class Entry:
    position: Position
    record: object = None  # an upsert: the record as it is now
    exit: object = None  # a FeedExit (or, for a superuser, a Tombstone)

    @property
    def object_id(self) -> int:
        return self.record.pk if self.record is not None else self.exit.object_id


@dataclass
class FeedPage:
    results: list = field(default_factory=list)  # records
    deleted: list = field(default_factory=list)  # FeedExit / Tombstone (deleted)
    removed: list = field(default_factory=list)  # FeedExit (not_visible)
    next_position: Position = START
    has_more: bool = False
    issued: int = 0  # what the next cursor's knowledge dates from (Position.issued)


def _after(since: Position, seq: str, id_: str) -> Q:
    """After `since` in (change number, id) order. In the middle of a change number the
    `OR` is ANDed with `seq >= since.seq`, which says the same: that is what an index on
    the change number reads from (the `OR` alone, a filter, made a page deep in the
    feed read the index from its start)."""
    later = Q(**{f"{seq}__gt": since.seq})
    if since.id >= WHOLE:
        return later
    return Q(**{f"{seq}__gte": since.seq}) & (later | Q(**{seq: since.seq, f"{id_}__gt": since.id}))


# Each source: (its entries, how far it vouches: None when it read everything up to
# the last committed change, else the position of the last row it read).


def _changed(records: QuerySet, since: Position, upto: int, limit: int):
    rows = list(
        records.filter(_after(since, "change_seq", "pk"), change_seq__lte=upto).order_by(
            "change_seq", "pk"
        )[: limit + 1]
    )
    frontier = Position(rows[limit].change_seq, rows[limit].pk) if len(rows) > limit else None
    return [Entry(Position(r.change_seq, r.pk), record=r) for r in rows], frontier


def _granted(user, records: QuerySet, since: Position, upto: int, limit: int):
    """Records visible now under the accounts given to `user` after the cursor, unchanged
    since the cursor (the changed ones come from `_changed`), at the grant's number."""
    if since.seq == 0:
        return [], None  # from the beginning every visible record is a change
    model = records.model
    using = records.db
    q = connections[using].ops.quote_name
    table, pk = q(model._meta.db_table), q(model._meta.pk.column)
    account = q(model._meta.get_field(feed_account_attname(model)).column)
    log = q(AccessChange._meta.db_table)
    later = "g.change_seq > %s"
    params = [user.pk, AccessKind.GRANTED, upto, since.seq, since.seq]
    if since.id < WHOLE:  # as `_after`: a lower bound the index reads from
        later = f"g.change_seq >= %s AND ({later} OR (g.change_seq = %s AND r.{pk} > %s))"
        params = [*params[:-1], since.seq, since.seq, since.seq, since.id]
    sql = (
        f"SELECT g.change_seq, r.{pk} FROM {log} g JOIN {table} r ON r.{account} = g.account_id "
        f"WHERE g.user_id = %s AND g.kind = %s AND g.change_seq <= %s "
        f"AND r.change_seq <= %s AND r.deleted_at IS NULL AND {later} "
        f"AND NOT EXISTS (SELECT 1 FROM {log} l WHERE l.user_id = g.user_id "
        "AND l.account_id = g.account_id AND l.change_seq > g.change_seq) "
        f"ORDER BY g.change_seq, r.{pk} LIMIT %s"
    )
    params.append(limit + 1)
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        found = [Position(seq, pk_) for seq, pk_ in cursor.fetchall()]
    frontier = found[limit] if len(found) > limit else None
    visible = records.in_bulk([p.id for p in found])
    return [Entry(p, record=visible[p.id]) for p in found if p.id in visible], frontier


def _exits(user, records: QuerySet, since: Position, upto: int, limit: int):
    from keyaccounts.models import Tombstone

    label = records.model._meta.label_lower
    if user.is_superuser:
        rows = Tombstone.objects.using(records.db).filter(model=label)
    else:
        rows = (
            FeedExit.objects.using(records.db)
            .filter(user_id=user.pk, model=label)
            # Back in view since (given back, restored, moved back): nothing to remove.
            .exclude(Exists(records.filter(pk=OuterRef("object_id")).order_by().values("pk")))
        )
    rows = list(
        rows.filter(_after(since, "change_seq", "object_id"), change_seq__lte=upto).order_by(
            "change_seq", "object_id"
        )[: limit + 1]
    )
    frontier = (
        Position(rows[limit].change_seq, rows[limit].object_id) if len(rows) > limit else None
    )
    return [Entry(Position(r.change_seq, r.object_id), exit=r) for r in rows], frontier


def feed_page(*, user, records: QuerySet, since: Position, limit: int) -> FeedPage:
    """The next page of `records.model`'s feed for `user` after `since`. `records`: what
    the user may see now, ready to serialize (the viewset's scoped queryset)."""
    upto = last_committed_change(records.db)
    if upto < since.seq:
        # A replica that has not caught up with the cursor yet: nothing new to say.
        return FeedPage(next_position=since, issued=since.issued)
    sources = [_changed(records, since, upto, limit), _exits(user, records, since, upto, limit)]
    if not user.is_superuser and feed_account_attname(records.model) is not None:
        sources.append(_granted(user, records, since, upto, limit))
    entries, bound = [], None
    for found, frontier in sources:
        entries += found
        if frontier is not None:
            bound = frontier if bound is None else min(bound, frontier)
    if bound is not None:
        entries = [e for e in entries if e.position <= bound]
    # Upserts before exits at one position: two sources read a moment apart.
    entries.sort(key=lambda e: (e.position, e.record is None))
    unique, seen = [], set()
    for entry in entries:
        if entry.position not in seen:
            seen.add(entry.position)
            unique.append(entry)
    page = unique[:limit]
    if len(unique) > limit:
        next_position, has_more = page[-1].position, True
    elif bound is not None:
        next_position, has_more = bound, True
    else:
        next_position, has_more = Position(upto), False
    # A record comes once per page: as its latest entry.
    latest = {}
    for entry in page:
        latest[entry.object_id] = entry
    # Read from the start: what the client learns dates from now.
    issued = since.issued or upto
    result = FeedPage(next_position=next_position, has_more=has_more, issued=issued)
    for entry in page:
        if latest[entry.object_id] is not entry:
            continue
        if entry.record is not None:
            result.results.append(entry.record)
        elif getattr(entry.exit, "reason", ExitReason.DELETED) == ExitReason.DELETED:
            result.deleted.append(entry.exit)
        else:
            result.removed.append(entry.exit)
    return result


# --- what changed, who changed it ----------------------------------------------------------


@dataclass(frozen=True)
class ChangeDetails:
    changed_fields: list[str] | None  # None: the change created the record (or no history)
    changed_by: int | None
    origin: str | None


NO_DETAILS = ChangeDetails(None, None, None)


def change_details(records: list) -> dict[int, ChangeDetails]:
    """For each record (one type), the change that made its current version: the fields
    it changed (its own and its many-to-many ones, by name), who made it and from where,
    from the record's history. One query on the historical table (and one per
    many-to-many field), however many records."""
    if not records:
        return {}
    model = type(records[0])
    history = model.history.model
    versions = {v for r in records for v in (r.version, r.version - 1)}
    rows = history.objects.filter(id__in=[r.pk for r in records], version__in=versions).order_by(
        "history_id"
    )
    fields = [
        f
        for f in history.tracked_fields
        if f.name not in HIDDEN_FIELDS
        and not getattr(f, "auto_now", False)
        and not getattr(f, "auto_now_add", False)
    ]
    # Read as tuples, not historical instances: a page of 500 is 1,000 rows, and making
    # a model instance of each took longer than the query.
    latest = {}  # (id, version) -> the last row of that version
    for row in rows.values_list(*_Row._fields[:-1], *(f.attname for f in fields)):
        head = _Row(*row[: len(_Row._fields) - 1], values=row[len(_Row._fields) - 1 :])
        latest[(head.id, head.version)] = head
    m2m_fields = m2m_fields_of(history)
    history_ids = [row.history_id for row in latest.values()]
    sets = {f.name: _m2m_sets(history, f, {"history_id__in": history_ids}) for f in m2m_fields}
    details = {}
    for record in records:
        after = latest.get((record.pk, record.version))
        if after is None:
            details[record.pk] = NO_DETAILS
            continue
        before = latest.get((record.pk, record.version - 1))
        changed = None
        if after.history_type != "+" and before is not None:
            changed = [
                f.name
                for f, old, new in zip(fields, before.values, after.values, strict=True)
                if old != new
            ]
            # Bulk writes (the recycle bin's) record no many-to-many rows: none changed.
            if after.history_change_reason not in ACTION_OF_REASON:
                changed += [
                    f.name
                    for f in m2m_fields
                    if sets[f.name].get(before.history_id, set())
                    != sets[f.name].get(after.history_id, set())
                ]
            # A new version made for parts (a deal's contacts, team…) names them.
            changed += parts_in_reason(after.history_change_reason)
        details[record.pk] = ChangeDetails(changed, after.history_user_id, after.origin)
    return details


class _Row(NamedTuple):
    """A historical row as `change_details` reads it: its head, then the tracked fields'
    values in the order of the fields compared."""

    history_id: int
    id: int
    version: int
    history_type: str
    history_user_id: int | None
    origin: str
    history_change_reason: str | None
    values: tuple
