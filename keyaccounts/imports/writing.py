"""The write of an import: what its checked rows change, in one short transaction.

`engine.run_import` checks every row first, in memory and holding no lock, into a
`Plan`: the records to create and the records to change (with the row as it was read),
and for each the parts that go with it (a visit's contacts and attendees). `write`
then writes the whole plan in one transaction, as each row's service would have
written it, but set-based:

- it takes the change counter's lock (`next_change_seq`) first, as every versioned
  write does, and makes sure that nothing the check read has changed since — a record
  to change still at the version read, nothing new or changed among the accounts and
  keys the file names, every account still visible to the importer — else it raises
  `Stale` and writes nothing (the engine checks the file again);
- new records go in with their ids taken from the table's sequence first (so that a
  contact can name a boss created by the same file), changed ones as an upsert on the
  id, each with its own change number, in the order of the rows, and the next version:
  whole rows with their values final, written by `keyaccounts.bulk.insert_rows` (COPY
  on PostgreSQL);
- each gets its history entry, "created" or "changed", with the origin "import" and the
  importing user; a changed record that has no history yet (inserted in bulk) first
  gets its "created" baseline (keyaccounts.history.bulk);
- then the plain rows that go with them (a deal's stage change), and what the
  services' signals would have done: the access table of the accounts
  created, given to someone else or whose team changed (accounts.access), and the
  announcements — `records_changed` (keyaccounts.events: the webhooks' outbox) for
  every record, and `records_imported` for the apps that derive something from records
  (scoring's rescore requests, visits' reminders).

A row whose record already holds every value is in no plan: no version, no history
entry, no change number, no announcement.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import models, router
from django.db.models import Exists, OuterRef
from django.dispatch import Signal
from django.utils import timezone

from keyaccounts.bulk import insert_rows, reserve_ids, stamp_change_seqs
from keyaccounts.changeseq import next_change_seq
from keyaccounts.events import RecordEvent, records_changed
from keyaccounts.history.bulk import baseline_create_many, history_insert
from keyaccounts.history.context import current_origin
from keyaccounts.models import BOOKKEEPING_FIELDS, VersionedModel

from .lookups import chunks

logger = logging.getLogger(__name__)

BATCH = 1000  # rows per INSERT / UPDATE statement
ACCOUNT = "accounts.account"

# Sent inside the import's transaction after its set-based write, which sends no
# post_save: `sender` the model written, `account_ids` the accounts of its records
# (each record's own for accounts), `record_ids` the records' own ids. Scoring requests
# their rescoring, visits nudge the reminder scan of the visits written.
records_imported = Signal()


class Stale(Exception):
    """Something the check read changed before the write: check the file again."""


@dataclass
class Write:
    record: models.Model  # as it is to be written
    stored: models.Model | None = None  # the row as read (None: a new record)
    fields: list[str] = field(default_factory=list)  # the attnames that change
    people: dict | None = None  # m2m field name → the pks it is to hold


@dataclass
class Plan:
    """What a checked file writes, in the order its rows were checked."""

    writes: list[Write] = field(default_factory=list)
    # Plain parts written with history but no version (an account's team members).
    parts: list[Write] = field(default_factory=list)
    # Plain rows that go with a record, inserted after it (a deal's stage change).
    rows: list[models.Model] = field(default_factory=list)

    def create(self, record, *, people: dict | None = None, rows=()) -> None:
        self.writes.append(Write(record, people=people))
        self.rows.extend(rows)

    def update(
        self, record, stored, fields: list[str], *, people: dict | None = None, rows=()
    ) -> None:
        self.writes.append(Write(record, stored, fields, people))
        self.rows.extend(rows)

    def part(self, record, stored=None, fields=()) -> None:
        self.parts.append(Write(record, stored, list(fields)))


def differences(record: models.Model, stored: models.Model) -> list[str]:
    """The attnames where `record` differs from `stored`, bookkeeping aside: what
    `VersionedModel.save` compares before it writes (a link to a record not written yet
    is a difference)."""
    changed = []
    for model_field in record._meta.concrete_fields:
        if model_field.primary_key or model_field.name in BOOKKEEPING_FIELDS:
            continue
        attname = model_field.attname
        if model_field.is_relation and model_field.is_cached(record):
            target = model_field.get_cached_value(record)
            if target is not None and target.pk is None:
                changed.append(attname)
                continue
        value = getattr(record, attname)
        if value is getattr(stored, attname):
            continue  # the stored object itself (a field the row left alone): no change
        try:
            value = model_field.to_python(value)
        except ValidationError:
            changed.append(attname)
            continue
        if value != getattr(stored, attname):
            changed.append(attname)
    return changed


# --- the write ----------------------------------------------------------------------------


def lock(using: str = "default") -> None:
    """Hold the change counter's lock until the transaction ends (no number taken)."""
    next_change_seq(count=0, using=using)


def committed_change_seq(using: str = "default") -> int:
    """The last change number committed: every write numbered above it came later."""
    from keyaccounts.models import ChangeCounter

    return ChangeCounter.objects.using(using).values_list("value", flat=True).first() or 0


def check_fresh(plan: Plan, *, since: int, reads: dict) -> None:
    """Raise Stale when a record the check read changed after change number `since`:
    `reads` is {model: (account ids, keys[, ids])} — a record of the model changed since
    that belongs to (or is) one of the accounts, holds one of the keys in a unique or
    natural field, or is one of the records read by id (a contact since moved to another
    account), may change what the check decided. Call holding the lock."""
    for model, (account_ids, keys, *read) in reads.items():
        ids = read[0] if read else ()
        names = [
            f.attname
            for f in model._meta.concrete_fields
            if f.attname in ("external_id", "credit_code", "name", "name_key")
        ]
        column = "pk" if model._meta.label_lower == "accounts.account" else "account_id"
        changed = model.all_objects.filter(change_seq__gt=since).values("pk", column, *names)
        for row in changed.iterator(chunk_size=2000):
            if (
                row[column] in account_ids
                or row["pk"] in ids
                or any(row[name] in keys for name in names)
            ):
                raise Stale(f"{model._meta.label} changed meanwhile")
    by_model = defaultdict(dict)
    for item in plan.writes:
        if item.stored is not None:
            by_model[type(item.record)][item.record.pk] = item.stored.version
    for model, versions in by_model.items():
        for chunk in chunks(versions):
            rows = model.all_objects.filter(pk__in=chunk).values_list("pk", "version", "deleted_at")
            current = {pk: (version, deleted) for pk, version, deleted in rows}
            for pk in chunk:
                if current.get(pk, (None, None)) != (versions[pk], None):
                    raise Stale(f"{model._meta.label} {pk} changed meanwhile")


def check_visible(account_ids, by) -> None:
    """Raise Stale when one of the accounts the check found visible to `by` (their ids;
    references of new ones are left aside) no longer is."""
    from accounts.selectors import accounts_visible_to

    if by.is_superuser:
        return
    visible = accounts_visible_to(by)
    for chunk in chunks(pk for pk in account_ids if isinstance(pk, int)):
        if visible.filter(pk__in=chunk).count() != len(chunk):
            raise Stale("an account left the importer's view meanwhile")


def write(plan: Plan, *, by) -> None:
    """Write `plan` (inside the caller's transaction, which holds the lock)."""
    from accounts.access import access_refresh_for_accounts

    now = timezone.now()
    origin = current_origin()
    groups: dict[type, list[Write]] = defaultdict(list)
    for item in plan.writes:
        groups[type(item.record)].append(item)
    for model, items in groups.items():
        new = [item.record for item in items if item.stored is None]
        changed = [item for item in items if item.stored is not None]
        # A "created" entry before the first change of a record that has none.
        baseline_create_many(_without_history(model, [item.stored for item in changed]))
        if model._meta.label_lower == "accounts.contact":
            from accounts.people_move import contacts_imported_left

            contacts_imported_left(items)  # people move: `left_on`, as the services set it
        stamp_change_seqs([item.record for item in items])
        _insert(model, new, now=now)
        _update(model, changed, now=now)
        _set_people(model, [item for item in items if item.people is not None])
        _history(model, new, changed, now=now, user=by, origin=origin)
        if model._meta.label_lower == "accounts.account":
            # Before the announcements: a listener asks who sees the account. A new
            # account's first rows are no news to the changes feed (`created`).
            access_refresh_for_accounts((record.pk for record in new), created=True)
            access_refresh_for_accounts(
                item.record.pk for item in changed if item.record.owner_id != item.stored.owner_id
            )
        using = router.db_for_write(model)
        records_changed(model=model, records=new, event=RecordEvent.CREATED, using=using)
        records_changed(
            model=model,
            records=[item.record for item in changed],
            event=RecordEvent.UPDATED,
            using=using,
        )
        records_imported.send(
            sender=model,
            account_ids={_account_id(item.record) for item in items},
            record_ids=[item.record.pk for item in items],
        )
    part_accounts = _write_parts(plan, now=now, user=by, origin=origin)
    access_refresh_for_accounts(part_accounts)
    _touch_accounts(plan, part_accounts, now=now, user=by, origin=origin)
    _insert_rows(plan.rows, now=now)


def _touch_accounts(plan: Plan, account_ids: set, *, now, user, origin) -> None:
    """A new version of each account whose team the file changed, named "team" in its
    history (`keyaccounts.history.parts`), as `accounts.services.team_member_set` makes
    one: sync clients and webhooks see the change. An account the file also wrote has
    its new version already."""
    from django.apps import apps

    from keyaccounts.history.parts import parts_reason

    written = {item.record.pk for item in plan.writes if item.record._meta.label_lower == ACCOUNT}
    ids = sorted(pk for pk in account_ids if pk not in written)
    if not ids:
        return
    model = apps.get_model(ACCOUNT)
    stored = []
    for chunk in chunks(ids):
        stored.extend(model.all_objects.filter(pk__in=chunk, deleted_at__isnull=True))
    if not stored:
        return
    baseline_create_many(_without_history(model, stored))
    for record in stored:
        record.version += 1
        record.updated_at = now
    stamp_change_seqs(stored)
    _write_rows(model, stored, update=True)
    history_insert(
        model, stored, history_type="~", user=user, dates=[now] * len(stored), origin=origin,
        reason=parts_reason(["team"]),
    )  # fmt: skip
    records_changed(
        model=model, records=stored, event=RecordEvent.UPDATED, using=router.db_for_write(model)
    )


def _insert_rows(rows: list, *, now) -> None:
    """Plain rows of the records written (a deal's `StageChange`, linking a deal created
    above: its id is known now), by model, in the order given, their ids from the
    sequence (`insert_rows`: COPY on PostgreSQL); a date set when added is `now`."""
    groups: dict[type, list] = defaultdict(list)
    for row in rows:
        groups[type(row)].append(row)
    for model, items in groups.items():
        for record in items:
            for model_field in model._meta.concrete_fields:
                if getattr(model_field, "auto_now_add", False) or getattr(
                    model_field, "auto_now", False
                ):
                    setattr(record, model_field.attname, now)
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        _link(items, fields)
        columns = [model_field.attname for model_field in fields]
        insert_rows(model, columns, [tuple(getattr(r, name) for name in columns) for r in items])


def _history(model, new: list, changed: list[Write], *, now, user, origin) -> None:
    """A "created" entry for each new record, a "changed" one for each changed record."""
    for records, history_type in ((new, "+"), ([item.record for item in changed], "~")):
        history_insert(
            model, records, history_type=history_type, user=user, dates=[now] * len(records),
            origin=origin,
        )  # fmt: skip


def _account_id(record) -> int:
    return record.pk if record._meta.label_lower == "accounts.account" else record.account_id


def _without_history(model, stored: list) -> list:
    history = model.history.model
    have = set()
    for chunk in chunks(record.pk for record in stored):
        # Whether each has an entry (one index probe each), not the distinct ids of all
        # their entries: with the history's own order (newest first) DISTINCT read and
        # sorted every entry of every record (41 ms for 500 deals written often).
        entries = history.objects.filter(id=OuterRef("pk")).order_by()
        rows = model._base_manager.filter(pk__in=chunk).filter(Exists(entries))
        have.update(rows.order_by().values_list("pk", flat=True))
    return [record for record in stored if record.pk not in have]


def _prepare(record) -> None:
    if isinstance(record, VersionedModel) and record.external_id == "":
        record.external_id = None
    set_keys = getattr(record, "set_keys", None)
    if set_keys is not None:
        set_keys()


def _insert(model, records: list, *, now) -> None:
    """Insert new `records`, their ids taken first: a record may link to another new
    one (a contact to its boss), and the database checks links at the commit."""
    if not records:
        return
    for record, pk in zip(records, reserve_ids(model, len(records)), strict=True):
        record.pk = pk
        record.created_at = record.updated_at = now
        _prepare(record)
    _write_rows(model, records)
    for record in records:
        record._state.adding = False


def _update(model, items: list[Write], *, now) -> None:
    """Write changed records whole (an upsert on the id), each at its next version."""
    if not items:
        return
    for item in items:
        _prepare(item.record)
        item.record.version = item.stored.version + 1
        item.record.updated_at = now
    _write_rows(model, [item.record for item in items], update=True)


def _link(records: list, fields) -> None:
    """A link to a record this write creates: its id now."""
    for record in records:
        for model_field in fields:
            if model_field.is_relation and model_field.is_cached(record):
                target = model_field.get_cached_value(record)
                if target is not None and getattr(record, model_field.attname) != target.pk:
                    setattr(record, model_field.attname, target.pk)


def _write_rows(model, records: list, *, update: bool = False) -> None:
    fields = model._meta.concrete_fields
    _link(records, fields)
    columns = [model_field.attname for model_field in fields]
    rows = [tuple(getattr(record, name) for name in columns) for record in records]
    insert_rows(model, columns, rows, update_on_conflict=model._meta.pk.attname if update else "")


def _set_people(model, items: list[Write]) -> None:
    """A visit's contacts and attendees, as its save and `.set()` leave them."""
    if not items:
        return
    for name in getattr(model, "_history_m2m_fields", ()):
        relation = model._meta.get_field(name)
        through = relation.remote_field.through
        own, other = relation.m2m_field_name(), relation.m2m_reverse_field_name()
        wanted = {item.record.pk: set(item.people.get(name, ())) for item in items}
        # As `.set()` reads them: through the other side's default manager, so a link
        # to a contact in the recycle bin is kept (a restore brings it back to the visit).
        live = {}
        if any(f.name == "deleted_at" for f in relation.related_model._meta.concrete_fields):
            live = {f"{other}__deleted_at__isnull": True}
        stored, gone = defaultdict(set), []
        for chunk in chunks(wanted):
            for pk, owner_id, other_id in through.objects.filter(
                **{f"{own}_id__in": chunk}, **live
            ).values_list("pk", f"{own}_id", f"{other}_id"):
                stored[owner_id].add(other_id)
                if other_id not in wanted[owner_id]:
                    gone.append(pk)
        for chunk in chunks(gone):
            through.objects.filter(pk__in=chunk).delete()
        through.objects.bulk_create(
            [
                through(**{f"{own}_id": pk, f"{other}_id": other_id})
                for pk, pks in wanted.items()
                for other_id in sorted(pks - stored[pk])
            ],
            batch_size=BATCH,
        )


def _write_parts(plan: Plan, *, now, user, origin) -> set:
    """Plain parts with a history of their own (an account's team members); returns the
    accounts they belong to."""
    accounts = set()
    groups: dict[type, list[Write]] = defaultdict(list)
    for item in plan.parts:
        groups[type(item.record)].append(item)
    for model, items in groups.items():
        new = [item.record for item in items if item.stored is None]
        changed = [item for item in items if item.stored is not None]
        baseline_create_many(_without_history(model, [item.stored for item in changed]))
        model.objects.bulk_create(new, batch_size=BATCH)
        fields = sorted({name for item in changed for name in item.fields})
        if changed:
            model.objects.bulk_update([item.record for item in changed], fields, batch_size=BATCH)
        _history(model, new, changed, now=now, user=user, origin=origin)
        accounts |= {item.record.account_id for item in items}
    return accounts
