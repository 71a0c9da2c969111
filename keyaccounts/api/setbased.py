"""A bulk upsert's items written set-based, through the spreadsheet import's check and
write: a bulk job's chunk (`keyaccounts.integrations.jobs`) or a `POST <type>/bulk/`.

The per-item path (`keyaccounts.api.bulk`) writes each item through the type's
serializer and services: about 19 queries for a new account. The import
(`keyaccounts.imports`) checks a whole file in memory against what it read once, by the
same rules (`accounts.imports.AccountKind.check_row`: `check_account_owner`, the duplicate check,
`full_clean`, the unique values; a contact's likely duplicates at its account; a
visit's rules through `visits.services.visit_apply`), and writes it in one short
transaction (`imports.writing.write`: ids from the sequence, rows and history by COPY,
one access refresh, the changes feed and the webhooks' outbox). Here a chunk of
accounts, contacts or visits takes that path when each of its items is one the import
does exactly as the per-item path would, and falls back (None: the caller writes it
item by item) otherwise, so that every result, error message included, is the
per-item path's:

- eligible items: a JSON object with a string `external_id`, and only fields of the
  import's columns that are plain values or the links the type allows (`SPECIAL_TAKEN`:
  an account's owner; a contact's account, and its boss only as null; a visit's
  account, contacts and attendees) — no `parent`, `grade` or `score`; read-only fields
  (the id, the dates: what the API lists) left out as the serializer leaves them, and a
  `version` taken as the item's If-Match on the record as read (another version, or no
  record: item by item, where the item answers version_mismatch) —
  each valid by the serializer's own field (`run_validation`: the same conversions, the
  same visible accounts and contacts and pickable users, read once for the chunk as the
  per-item path reads them), every required field given (and a visit's status), and
  `confirm_duplicate` the same for all;
- the check must find every item as the per-item path would: its external_id held by
  a visible record of the type → that record updated or unchanged; else a new one (an
  import that finds it by credit code, name or time instead, or refuses any row — a
  hidden external_id, a likely duplicate, a bad value, the same record twice, a
  contact of another account — falls back);
- something the check read changed before the write (`writing.Stale`), or a unique
  value written meanwhile (IntegrityError): falls back, nothing of the chunk written.

The write is recorded with the origin of the caller's history context (the job's run:
"api", as the per-item path records it) and the job's owner. Tests:
keyaccounts/integrations/tests/test_bulk_jobs_set_based*.py compare both paths' answers
and stored rows, history included, for each type.
"""

import datetime
import logging

from django.db import IntegrityError, transaction
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.fields import SkipField

from keyaccounts.api.bulkitems import CREATED, UNCHANGED, UPDATED, read_version, usable_key

logger = logging.getLogger(__name__)

# The models written set-based (their label), with their import kind.
KINDS = {
    "accounts.account": "accounts",
    "accounts.contact": "contacts",
    "visits.visit": "visits",
    "opportunities.opportunity": "opportunities",
}
# Item keys never taken set-based: the per-item path has rules of its own for them.
PER_ITEM_KEYS = frozenset({"parent", "grade", "score"})
# Columns the import sets through their own argument that an item may still give, per
# import kind: an account's owner (a user by id in the item, checked by
# `check_account_owner` in both paths); a contact's account (by id in the item: the
# visible account the import then reads again by that id) and its boss when the item
# gives none (null: reports to nobody; a boss by id goes item by item, as the import
# names a boss by name or external ID).
SPECIAL_TAKEN = {
    "accounts": frozenset({"owner"}),
    "contacts": frozenset({"account", "reports_to"}),
    "visits": frozenset({"account", "contacts", "attendees"}),
    "opportunities": frozenset({"account", "stage", "owner"}),
}
# Of those, the ones an item may give only as null.
ONLY_NULL = frozenset({"reports_to"})
# Keys an item must give to be taken set-based: a new visit without a status is
# "done" or "planned" by its dates in an import, the model's default (planned) per item.
GIVEN = {"visits": frozenset({"status"})}


def kind_of(serializer) -> str | None:
    """The import kind that writes the serializer's records set-based (None: none)."""
    return KINDS.get(serializer.Meta.model._meta.label_lower)


def _rows(record_type: str, kind, items: list[dict], serializer):
    """The items as checked import rows (values as the serializer's fields give them),
    and whether duplicates are confirmed; None when an item is not eligible."""
    from keyaccounts.imports.kinds import Row

    taken = SPECIAL_TAKEN[record_type]
    given = GIVEN.get(record_type, frozenset())
    columns = {column.key for column in kind.columns()} - (kind.special - taken)
    fields = serializer.fields
    required = {
        name
        for name, field in fields.items()
        if field.required and not field.read_only and name != "version"
    }
    confirms = set()
    rows = []
    memo = _FieldMemo(fields)
    for number, item in enumerate(items):
        if not isinstance(item, dict) or not usable_key(item.get("external_id")):
            return None
        confirm = item.get("confirm_duplicate", False)
        if not isinstance(confirm, bool):
            return None  # "true", 1, ...: the serializer's to read
        confirms.add(confirm)
        keys = set(item) - {"confirm_duplicate", "version"}
        # What the API lists and nobody writes (the id, the dates, a deal's grade…) is
        # left out, as the per-item path's serializer leaves it: a record sent back as
        # it was read is still a plain item.
        keys -= {key for key in keys - PER_ITEM_KEYS if key in fields and fields[key].read_only}
        if keys & PER_ITEM_KEYS or not keys <= columns or not (required | given) <= keys:
            return None
        expected_version, wrong = read_version(item)
        if wrong:
            return None  # the per-item path's to refuse, in its words
        values = {}
        for key in keys:
            field = fields.get(key)
            if field is None or field.read_only:
                return None
            try:
                value = memo.run_validation(key, field, item[key])
                check = getattr(serializer, f"validate_{key}", None)
                if check is not None:
                    value = check(value)
            except (ValidationError, SkipField):
                return None
            except Exception:  # noqa: BLE001 - any surprise: the per-item path's to answer
                logger.warning("a bulk job's item goes item by item", exc_info=True)
                return None
            if key in ONLY_NULL and value is not None:
                return None
            values[key] = value
        if values["external_id"] != item["external_id"]:
            return None  # trimmed: the per-item path looks the record up untrimmed
        raw = {key: value for key, value in values.items() if isinstance(value, str)}
        try:  # the serializer's own check of the whole item (a deal's: of its parts)
            checked = serializer.validate(dict(values))
        except (ValidationError, SkipField):
            return None
        if checked != values:
            return None  # it changed something: the per-item path's to write
        row = Row(number, raw, set(keys))
        row.values = values
        row.expected_version = expected_version
        rows.append(row)
    if len(confirms) != 1:
        return None
    if serializer.get_validators():
        return None  # validators of the model's (unique together): the serializer's
    return rows, confirms.pop()


class _FieldMemo:
    """A field's `run_validation` of a value given again in the list, answered as the
    first time: for the serializer's plain fields (text, choices, numbers, booleans,
    dates and times; not the related fields, whose answer depends on what the caller
    sees), whose check reads the value alone and gives back a value nobody changes.
    A visit's method, status and attitude, a deal's currency: checked once a list."""

    PLAIN = (
        serializers.CharField,
        serializers.ChoiceField,
        serializers.IntegerField,
        serializers.BooleanField,
        serializers.DateField,
        serializers.DateTimeField,
    )
    GIVEN = (str, int, bool, type(None))  # as JSON gives them (not a list or an object)
    KEPT = (str, int, bool, type(None), datetime.date, datetime.datetime)

    def __init__(self, fields):
        self.plain = {name for name, field in fields.items() if isinstance(field, self.PLAIN)}
        self.answers: dict = {}

    def run_validation(self, key: str, field, given):
        if key not in self.plain or not isinstance(given, self.GIVEN):
            return field.run_validation(given)
        memo = (key, type(given), given)
        if memo not in self.answers:
            value = field.run_validation(given)  # raises as it would each time
            if not isinstance(value, self.KEPT):
                return value
            self.answers[memo] = value
        return self.answers[memo]


def write_set_based(items: list[dict], *, user, serializer, since: int | None = None):
    """The items' results (as the per-item path gives them, in order), written in one
    transaction; None when the chunk is to be written item by item (nothing written).
    `since`: the changes counter before the serializer's rows were read (None: now)."""
    from keyaccounts.imports import engine, writing
    from keyaccounts.imports.kinds import CREATE, UPDATE, kind_named
    from keyaccounts.imports.kinds import UNCHANGED as SAME

    record_type = kind_of(serializer)
    if not items or record_type is None:
        return None
    kind = kind_named(record_type)
    eligible = _rows(record_type, kind, items, serializer)
    if eligible is None:
        return None
    rows, confirm = eligible
    columns = {column.key: column for column in kind.columns()}
    if since is None:
        since = writing.committed_change_seq()
    ctx = engine.Context(by=user, confirm_duplicates=confirm)
    ctx.opens_need_criteria = True  # as the per-item create (`opportunity_create`)
    if not _prepare(record_type, kind, ctx, rows):
        return None
    kind.gather(ctx, rows)
    # The record each item names as the per-item path finds it: by its external_id
    # among the records of its type the user sees (read above), else none (a new one).
    index = ctx.accounts if record_type == "accounts" else ctx.records
    expected = {row.number: index.by_external_id.get(row.values["external_id"]) for row in rows}
    stored = dict(index.records)  # the records as read, before the rows' checks
    for row in rows:  # an item's own If-Match, on the record as read
        ref = expected[row.number]
        wanted = row.expected_version
        if wanted is not None and (ref is None or stored[ref].version != wanted):
            return None  # item by item: that item answers version_mismatch
    outcomes = {}
    for row in kind.order(rows):
        result, outcome = engine._row(kind, ctx, row, _describe, columns)
        if outcome is None:
            return None  # refused: the per-item path says why, in its own words
        ref = expected[row.number]
        if ref is None and outcome.status != CREATE:
            return None  # found by credit code or name: per item, a new one (or a refusal)
        if ref is not None and (
            outcome.status not in (UPDATE, SAME) or outcome.record is not stored[ref]
        ):
            return None
        outcomes[row.number] = outcome
    if ctx.plan.writes:  # every item unchanged: nothing to write, no lock to take
        try:
            with transaction.atomic():
                writing.lock()
                writing.check_fresh(ctx.plan, since=since, reads=kind.reads(ctx))
                writing.check_visible(ctx.accounts.records, user)
                writing.write(ctx.plan, by=user)
        except (writing.Stale, IntegrityError) as exc:
            logger.info("a bulk upsert's items go item by item: %s", exc)
            return None
    statuses = {CREATE: CREATED, UPDATE: UPDATED, SAME: UNCHANGED}
    results = []
    for row, item in zip(rows, items, strict=True):
        record = outcomes[row.number].record
        results.append(
            {
                "index": row.number,
                "external_id": item["external_id"],
                "status": statuses[outcomes[row.number].status],
                "id": record.pk,
                "version": record.version,
                "errors": {},
            }
        )
    return results


def _prepare(record_type: str, kind, ctx, rows) -> bool:
    """Read what the rows name before their check, as the import's `prepare` does; for a
    type under an account, the rows' accounts are those the serializer read by the ids
    the items give, among the accounts the user sees (`preload_related`): one object per
    account, as the import holds them. Whether the user still sees each, and it is not
    in the recycle bin, is checked again when the chunk is written (`check_visible`).
    False: the chunk goes item by item."""
    if record_type == "accounts":
        kind.prepare(ctx, rows)
        return True
    ctx.identifiers = set()  # no account named by a text: the freshness check's keys
    ctx.accounts.register_read(row.values["account"] for row in rows)
    stages = {}
    if record_type == "opportunities":
        stages = {stage.pk: stage for stage in ctx.reference("stage").stages}
    for row in rows:
        row.values["account"] = ctx.accounts.records[row.values["account"].pk]
        if row.values.get("stage") is not None:  # the stages as the import holds them
            row.values["stage"] = stages.get(row.values["stage"].pk)
            if row.values["stage"] is None:
                return False  # a stage set up meanwhile: item by item
    return True


def _describe(row, key, message, expected=""):
    return None  # a refused row falls back: its problems are not reported from here
